// Reads the BPF ring buffer on its own thread and hands records to JavaScript in batches.
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

struct ring_buffer;

namespace kestrel {

struct ConsumerOptions {
  size_t batch_bytes = 512 * 1024;  // one JS crossing carries up to this much
  size_t max_pending = 4;           // batches queued for JS before the reader stops reading
  int poll_ms = 10;                 // longest a record waits when the producer does not wake us
};

struct ConsumerStats {
  std::atomic<uint64_t> batches{0};
  std::atomic<uint64_t> records{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> blocked_ns{0};  // time the reader waited for JS (backpressure)
  std::atomic<uint64_t> callback_errors{0};
  std::atomic<int64_t> pending{0};      // batches handed over, not yet processed by JS
};

// A batch handed to JS: which slot, how many bytes and records it holds.
struct Batch {
  size_t slot;
  size_t len;
  uint32_t count;
};

class Consumer;
void ConsumerCallJs(Napi::Env env, Napi::Function fn, Consumer* self, Batch* batch);

class Consumer {
 public:
  // onBatch(buffer: ArrayBuffer, count: number, bytes: number) is called on the JS thread for
  // every batch: the first `bytes` of `buffer` hold `count` records. The buffers are a fixed set
  // of slots the reader thread fills directly (no allocation or copy per batch on the JS
  // thread): a slot is refilled once onBatch has returned, so JS copies what it keeps.
  // When JS falls behind (max_pending batches queued) the reader blocks: records then wait in
  // the kernel ring buffer, and what does not fit there is counted as dropped by the BPF side.
  Consumer(Napi::Env env, int ring_fd, Napi::Function on_batch, const ConsumerOptions& opts,
           ConsumerStats* stats);
  ~Consumer();

  // Asks the thread to drain what is in the ring buffer and finish; the promise resolves once
  // every batch it produced has been handed to JS and the thread has exited.
  Napi::Promise Stop(Napi::Env env);
  bool running() const { return !done_; }

 private:
  friend void ConsumerCallJs(Napi::Env env, Napi::Function fn, Consumer* self, Batch* batch);
  using Tsfn = Napi::TypedThreadSafeFunction<Consumer, Batch, ConsumerCallJs>;
  struct Slot {
    uint8_t* data;                           // the ArrayBuffer's memory (V8 owns it)
    Napi::Reference<Napi::ArrayBuffer> ab;   // kept alive while the consumer lives
  };
  static void Finalize(Napi::Env env, void* data, Consumer* self);
  static int OnSample(void* ctx, void* data, size_t size);
  void Run();
  bool Flush();
  void AcquireSlot();
  void ReleaseSlot(size_t slot);

  ConsumerOptions opts_;
  ConsumerStats* stats_;
  ring_buffer* rb_ = nullptr;
  Tsfn tsfn_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  bool closing_ = false;
  std::vector<Napi::Promise::Deferred> waiters_;

  // slots: max_pending queued + one JS is processing + one being filled
  std::vector<Slot> slots_;
  std::mutex free_mu_;
  std::condition_variable free_cv_;
  std::vector<size_t> free_;  // slots neither being filled nor handed to JS
  size_t cur_slot_ = 0;       // the slot being filled (reader thread only)
  size_t cur_len_ = 0;
  uint32_t cur_count_ = 0;
};

}  // namespace kestrel
