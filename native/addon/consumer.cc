#include "consumer.h"

#include <bpf/libbpf.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace kestrel {

static uint64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Consumer::Consumer(Napi::Env env, int ring_fd, Napi::Function on_batch, const ConsumerOptions& opts,
                   ConsumerStats* stats)
    : opts_(opts), stats_(stats) {
  rb_ = ring_buffer__new(ring_fd, OnSample, this, nullptr);
  if (!rb_) throw Napi::Error::New(env, "creating the ring buffer reader failed");
  cur_.data = static_cast<uint8_t*>(std::malloc(opts_.batch_bytes));
  tsfn_ = Tsfn::New(env, on_batch, "kestrel-syscall-batches", opts_.max_pending, 1, this, Finalize,
                    static_cast<void*>(nullptr));
  thread_ = std::thread([this] { Run(); });
}

Consumer::~Consumer() {
  if (thread_.joinable()) thread_.join();
  if (rb_) ring_buffer__free(rb_);
  std::free(cur_.data);
}

void ConsumerCallJs(Napi::Env env, Napi::Function fn, Consumer* self, Batch* batch) {
  self->stats_->pending--;
  if (env != nullptr && fn != nullptr) {
    // One copy into a JS-owned buffer: the batch stays valid however long JS keeps it.
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, batch->len);
    std::memcpy(ab.Data(), batch->data, batch->len);
    try {
      fn.Call({ab, Napi::Number::New(env, batch->count)});
    } catch (const Napi::Error& e) {
      self->stats_->callback_errors++;
    }
  }
  std::free(batch->data);
  delete batch;
}

void Consumer::Finalize(Napi::Env env, void*, Consumer* self) {
  if (self->thread_.joinable()) self->thread_.join();
  self->done_ = true;
  for (auto& d : self->waiters_) d.Resolve(env.Undefined());
  self->waiters_.clear();
}

int Consumer::OnSample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Consumer*>(ctx);
  if (self->closing_) return -1;
  if (self->cur_.len + size > self->opts_.batch_bytes && self->cur_.count > 0) {
    if (!self->Flush()) return -1;
  }
  if (size > self->opts_.batch_bytes) return 0;  // cannot happen: records are <= 64 KiB
  std::memcpy(self->cur_.data + self->cur_.len, data, size);
  self->cur_.len += size;
  self->cur_.count++;
  return 0;
}

// Hands the current batch to JS. Blocks while max_pending batches are queued: this is the
// backpressure that leaves records in the kernel buffer. False when JS is gone.
bool Consumer::Flush() {
  auto* b = new Batch(cur_);
  stats_->batches++;
  stats_->records += b->count;
  stats_->bytes += b->len;
  stats_->pending++;
  cur_.data = static_cast<uint8_t*>(std::malloc(opts_.batch_bytes));
  cur_.len = 0;
  cur_.count = 0;
  uint64_t t0 = now_ns();
  napi_status st = tsfn_.BlockingCall(b);
  stats_->blocked_ns += now_ns() - t0;
  if (st != napi_ok) {
    stats_->pending--;
    std::free(b->data);
    delete b;
    closing_ = true;
    return false;
  }
  return true;
}

void Consumer::Run() {
  while (!stop_.load(std::memory_order_relaxed) && !closing_) {
    // The producer wakes us only when a lot is pending; otherwise the poll times out, and
    // ring_buffer__poll() consumes only rings that signalled: consume explicitly.
    int n = ring_buffer__poll(rb_, opts_.poll_ms);
    if (n < 0 && n != -EINTR) break;
    if (!closing_) n = ring_buffer__consume(rb_);
    if (n < 0 && n != -EINTR && !closing_) break;
    if (cur_.count > 0 && !Flush()) break;
  }
  // Drain: records produced before stop() still reach JS.
  if (!closing_) {
    ring_buffer__consume(rb_);
    if (cur_.count > 0) Flush();
  }
  tsfn_.Release();
}

Napi::Promise Consumer::Stop(Napi::Env env) {
  auto d = Napi::Promise::Deferred::New(env);
  if (done_) {
    d.Resolve(env.Undefined());
  } else {
    waiters_.push_back(d);
    stop_ = true;
  }
  return d.Promise();
}

}  // namespace kestrel
