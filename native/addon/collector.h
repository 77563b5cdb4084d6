// The JS-facing collector: load, attach, filter, read, count, detach.
#pragma once
#include <napi.h>

#include <memory>
#include <thread>
#include <vector>

#include "consumer.h"

struct kestrel_bpf;
struct bpf_link;

namespace kestrel {

class Collector : public Napi::ObjectWrap<Collector> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Collector(const Napi::CallbackInfo& info);
  ~Collector() override;

 private:
  Napi::Value Open(const Napi::CallbackInfo& info);
  Napi::Value SetInterest(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Counters(const Napi::CallbackInfo& info);
  Napi::Value Interest(const Napi::CallbackInfo& info);
  Napi::Value LearnSyscalls(const Napi::CallbackInfo& info);
  Napi::Value LearnedSyscalls(const Napi::CallbackInfo& info);

  void Detach();
  void DestroyLater(std::vector<bpf_link*> links);
  void JoinDetachers();

  size_t ring_bytes_;
  uint64_t wakeup_bytes_;
  bool ignore_self_;
  uint32_t data_snaplen_;
  ConsumerOptions consumer_opts_;

  kestrel_bpf* skel_ = nullptr;
  std::vector<bpf_link*> syscall_links_;  // by KT_* code
  std::vector<bpf_link*> lifecycle_links_;
  bpf_link* learn_link_ = nullptr;  // learning mode's sys_enter program, while learning
  ConsumerStats stats_;
  std::unique_ptr<Consumer> consumer_;
  // Destroying a tracepoint link waits for the kernel's RCU grace periods (tens of ms each):
  // done off the JS thread, records having already stopped through the interest map.
  std::vector<std::thread> detachers_;
};

}  // namespace kestrel
