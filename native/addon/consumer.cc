#include "consumer.h"

#include <bpf/libbpf.h>

#include <chrono>
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
  // JS-owned memory from the start: handing a batch to JS is passing a reference, not a copy.
  size_t n = opts_.max_pending + 2;
  slots_.resize(n);
  for (size_t i = 0; i < n; i++) {
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, opts_.batch_bytes);
    slots_[i].data = static_cast<uint8_t*>(ab.Data());
    slots_[i].ab = Napi::Persistent(ab);
    if (i > 0) free_.push_back(i);
  }
  cur_slot_ = 0;
  tsfn_ = Tsfn::New(env, on_batch, "kestrel-syscall-batches", opts_.max_pending, 1, this, Finalize,
                    static_cast<void*>(nullptr));
  thread_ = std::thread([this] { Run(); });
}

Consumer::~Consumer() {
  if (thread_.joinable()) thread_.join();
  if (rb_) ring_buffer__free(rb_);
}

void ConsumerCallJs(Napi::Env env, Napi::Function fn, Consumer* self, Batch* batch) {
  self->stats_->pending--;
  if (env != nullptr && fn != nullptr) {
    try {
      fn.Call({self->slots_[batch->slot].ab.Value(), Napi::Number::New(env, batch->count),
               Napi::Number::New(env, static_cast<double>(batch->len))});
    } catch (const Napi::Error& e) {
      self->stats_->callback_errors++;
    }
  }
  self->ReleaseSlot(batch->slot);
  delete batch;
}

void Consumer::Finalize(Napi::Env env, void*, Consumer* self) {
  if (self->thread_.joinable()) self->thread_.join();
  self->done_ = true;
  for (auto& d : self->waiters_) d.Resolve(env.Undefined());
  self->waiters_.clear();
}

void Consumer::ReleaseSlot(size_t slot) {
  {
    std::lock_guard<std::mutex> lock(free_mu_);
    free_.push_back(slot);
  }
  free_cv_.notify_one();
}

// Takes a free slot to fill next (the reader thread). Always finds one at once: the slots are
// the queue's capacity plus the one JS is in plus the one being filled, and BlockingCall has
// already waited for room in the queue. The wait is a safety net, not the backpressure.
void Consumer::AcquireSlot() {
  std::unique_lock<std::mutex> lock(free_mu_);
  free_cv_.wait(lock, [this] { return !free_.empty(); });
  cur_slot_ = free_.back();
  free_.pop_back();
  cur_len_ = 0;
  cur_count_ = 0;
}

int Consumer::OnSample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<Consumer*>(ctx);
  if (self->closing_) return -1;
  if (self->cur_len_ + size > self->opts_.batch_bytes && self->cur_count_ > 0) {
    if (!self->Flush()) return -1;
  }
  if (size > self->opts_.batch_bytes) return 0;  // cannot happen: records are <= 64 KiB
  std::memcpy(self->slots_[self->cur_slot_].data + self->cur_len_, data, size);
  self->cur_len_ += size;
  self->cur_count_++;
  return 0;
}

// Hands the current slot to JS and takes the next. Blocks while max_pending batches are queued:
// this is the backpressure that leaves records in the kernel buffer. False when JS is gone.
bool Consumer::Flush() {
  auto* b = new Batch{cur_slot_, cur_len_, cur_count_};
  stats_->batches++;
  stats_->records += b->count;
  stats_->bytes += b->len;
  stats_->pending++;
  uint64_t t0 = now_ns();
  napi_status st = tsfn_.BlockingCall(b);
  if (st != napi_ok) {
    stats_->pending--;
    ReleaseSlot(b->slot);
    delete b;
    closing_ = true;
    stats_->blocked_ns += now_ns() - t0;
    return false;
  }
  AcquireSlot();
  stats_->blocked_ns += now_ns() - t0;
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
    if (cur_count_ > 0 && !Flush()) break;
  }
  // Drain: records produced before stop() still reach JS.
  if (!closing_) {
    ring_buffer__consume(rb_);
    if (cur_count_ > 0) Flush();
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
