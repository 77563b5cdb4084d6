// kestrel_collector.node: the live syscall source (eBPF collector) for Node.
#include <napi.h>
#include <time.h>

#include "collector.h"
#include "errors.h"
#include "hooks.h"
#include "pidfd.h"

namespace kestrel {

// support(): null when this process can run the collector, else why not (and how to fix it).
static Napi::Value Support(const Napi::CallbackInfo& info) {
  std::string why = preflight();
  if (why.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), why);
}

// bootEpochNs(): CLOCK_REALTIME - CLOCK_BOOTTIME, to turn record timestamps into epoch time.
static Napi::Value BootEpochNs(const Napi::CallbackInfo& info) {
  struct timespec rt {}, bt {};
  clock_gettime(CLOCK_REALTIME, &rt);
  clock_gettime(CLOCK_BOOTTIME, &bt);
  int64_t ns = (static_cast<int64_t>(rt.tv_sec) - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
  return Napi::BigInt::New(info.Env(), ns);
}

// hooks(): [{ type, name, kind: 'syscall'|'lifecycle'|'none', program }], indexed by type code.
static Napi::Value Hooks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& table = hooks();
  Napi::Array arr = Napi::Array::New(env, table.size());
  for (size_t i = 0; i < table.size(); i++) {
    Napi::Object h = Napi::Object::New(env);
    h.Set("type", table[i].type);
    h.Set("name", table[i].name);
    h.Set("kind", table[i].kind == HookKind::Syscall     ? "syscall"
                  : table[i].kind == HookKind::Lifecycle ? "lifecycle"
                                                         : "none");
    h.Set("program", table[i].program);
    arr.Set(i, h);
  }
  return arr;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  const auto& table = hooks();
  for (size_t i = 0; i < table.size(); i++) {
    if (table[i].type != i) throw Napi::Error::New(env, "events.h table is not in code order");
  }
  exports.Set("Collector", Collector::Define(env));
  exports.Set("support", Napi::Function::New(env, Support));
  exports.Set("bootEpochNs", Napi::Function::New(env, BootEpochNs));
  exports.Set("hooks", Napi::Function::New(env, Hooks));
  registerPidfd(env, exports);
  return exports;
}

}  // namespace kestrel

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return kestrel::Init(env, exports); }

NODE_API_MODULE(kestrel_collector, InitModule)
