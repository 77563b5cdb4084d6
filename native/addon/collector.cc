#include "collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <set>

extern "C" {
#include <linux/types.h>
#include "events.h"
#include "shared.h"
#include "kestrel.skel.h"
}

#include "errors.h"
#include "hooks.h"

namespace kestrel {

static const char* kLifecyclePrograms[] = {"kl_fork", "kl_exec", "kl_exit"};

static uint64_t opt_u64(const Napi::Object& o, const char* key, uint64_t def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d < 0) throw Napi::RangeError::New(o.Env(), std::string("option ") + key + " must be >= 0");
  return static_cast<uint64_t>(d);
}

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

Napi::Function Collector::Define(Napi::Env env) {
  return DefineClass(env, "Collector",
                     {InstanceMethod("open", &Collector::Open), InstanceMethod("setInterest", &Collector::SetInterest),
                      InstanceMethod("start", &Collector::Start), InstanceMethod("stop", &Collector::Stop),
                      InstanceMethod("close", &Collector::Close), InstanceMethod("counters", &Collector::Counters),
                      InstanceMethod("interest", &Collector::Interest),
                      InstanceMethod("learnSyscalls", &Collector::LearnSyscalls),
                      InstanceMethod("learnedSyscalls", &Collector::LearnedSyscalls)});
}

Collector::Collector(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Collector>(info) {
  Napi::Env env = info.Env();
  Napi::Object o = info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env);
  ring_bytes_ = opt_u64(o, "ringBufferBytes", 16u << 20);
  long page = sysconf(_SC_PAGESIZE);
  if (!is_pow2(ring_bytes_) || ring_bytes_ < static_cast<uint64_t>(page))
    throw Napi::RangeError::New(env, "ringBufferBytes must be a power of two and at least one page (" +
                                         std::to_string(page) + " bytes)");
  wakeup_bytes_ = opt_u64(o, "wakeupBytes", ring_bytes_ / 8);
  ignore_self_ = o.Get("ignoreSelf").IsUndefined() ? true : o.Get("ignoreSelf").ToBoolean().Value();
  data_snaplen_ = static_cast<uint32_t>(opt_u64(o, "dataSnaplen", KESTREL_MAX_DATA));
  if (data_snaplen_ > KESTREL_MAX_DATA) data_snaplen_ = KESTREL_MAX_DATA;
  consumer_opts_.batch_bytes = opt_u64(o, "batchBytes", 512 * 1024);
  if (consumer_opts_.batch_bytes < KESTREL_MAX_RECORD)
    throw Napi::RangeError::New(env, "batchBytes must be at least " + std::to_string(KESTREL_MAX_RECORD));
  consumer_opts_.max_pending = opt_u64(o, "maxPendingBatches", 4);
  if (consumer_opts_.max_pending < 1) consumer_opts_.max_pending = 1;
  consumer_opts_.poll_ms = static_cast<int>(opt_u64(o, "pollIntervalMs", 10));
  const auto& table = hooks();
  syscall_links_.assign(table.size(), nullptr);
}

Collector::~Collector() {
  consumer_.reset();
  Detach();
}

static Napi::Error failure(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// The verifier gives up with EAGAIN when a signal is pending (SIGCHLD, a profiler's SIGPROF...)
// and libbpf retries only a few times: keep this thread's signals pending until loading is done.
static int load_blocking_signals(kestrel_bpf* skel) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int err = kestrel_bpf__load(skel);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return err;
}

// Loads (verifies) every program; attaches nothing yet.
Napi::Value Collector::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (skel_) return env.Undefined();
  std::string why = preflight();
  if (!why.empty()) throw failure(env, why, "EUNSUPPORTED");
  why = ensure_tracefs();
  if (!why.empty()) throw failure(env, why, "ETRACEFS");
  capture_libbpf_log();
  clear_libbpf_log();

  kestrel_bpf* skel = kestrel_bpf__open();
  if (!skel) throw failure(env, describe_failure("opening the BPF object", -errno), "EBPFOPEN");
  int err = bpf_map__set_max_entries(skel->maps.rb, ring_bytes_);
  if (!err) err = bpf_map__set_max_entries(skel->maps.scratch, libbpf_num_possible_cpus());
  if (!err) err = load_blocking_signals(skel);
  if (err) {
    kestrel_bpf__destroy(skel);
    throw failure(env, describe_failure("loading the BPF programs", err), err == -EPERM ? "EPERM" : "EBPFLOAD");
  }
  struct stat ns {};
  bool self_known = ignore_self_ && stat("/proc/self/ns/pid", &ns) == 0;
  skel->bss->cfg.self_vpid = self_known ? static_cast<uint32_t>(getpid()) : 0;
  skel->bss->cfg.self_pid_ns = self_known ? static_cast<uint32_t>(ns.st_ino) : 0;
  skel->bss->cfg.data_snaplen = data_snaplen_;
  skel->bss->cfg.wakeup_bytes = wakeup_bytes_;
  for (auto& w : skel->bss->interest) w = 0;
  skel_ = skel;
  return env.Undefined();
}

static bpf_program* program(kestrel_bpf* skel, const std::string& name) {
  return bpf_object__find_program_by_name(skel->obj, name.c_str());
}

// "" when the program's tracepoint exists; else why not (a syscall this kernel was built without).
static std::string missing_tracepoint(bpf_program* p) {
  if (!p) return "";
  std::string sec = bpf_program__section_name(p);
  const std::string prefix = "tracepoint/";
  if (sec.rfind(prefix, 0) != 0) return "";
  std::string tp = sec.substr(prefix.size());
  struct stat st {};
  if (stat(("/sys/kernel/tracing/events/" + tp).c_str(), &st) == 0 ||
      stat(("/sys/kernel/debug/tracing/events/" + tp).c_str(), &st) == 0)
    return "";
  std::string name = tp.substr(tp.find('/') + 1);
  return "this kernel has no " + tp.substr(0, tp.find('/')) + ":" + name +
         " tracepoint (the syscall is not built into it), so no records of this type";
}

// setInterest(types: number[]) -> { attached: number[], unavailable: {type, reason}[] }
// Types not listed stop producing records at once (the in-kernel check), then their
// tracepoints are detached so those syscalls no longer run any Kestrel code.
Napi::Value Collector::SetInterest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!skel_) throw Napi::Error::New(env, "setInterest() before open()");
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "setInterest(types: number[])");
  const auto& table = hooks();
  Napi::Array arr = info[0].As<Napi::Array>();
  std::set<unsigned> want;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    unsigned t = arr.Get(i).ToNumber().Uint32Value();
    if (t >= table.size()) throw Napi::RangeError::New(env, "unknown record type " + std::to_string(t));
    want.insert(t);
  }
  Napi::Array unavailable = Napi::Array::New(env);
  std::vector<bpf_link*> stale;
  for (unsigned t = 0; t < table.size(); t++) {
    bool on = want.count(t) > 0 && table[t].kind != HookKind::None;
    // records flow as soon as a hook is attached, and stop before it is detached
    skel_->bss->interest[t] = on ? 1 : 0;
    const Hook& h = table[t];
    if (h.kind != HookKind::Syscall) continue;
    if (on && !syscall_links_[t]) {
      bpf_program* p = program(skel_, h.program);
      std::string missing = missing_tracepoint(p);
      clear_libbpf_log();
      bpf_link* link = p && missing.empty() ? bpf_program__attach(p) : nullptr;
      if (!link) {
        Napi::Object u = Napi::Object::New(env);
        u.Set("type", t);
        u.Set("name", h.name);
        u.Set("reason", !missing.empty() ? missing
                                         : describe_failure(std::string("attaching ") + h.program, p ? -errno : -ENOENT));
        unavailable.Set(unavailable.Length(), u);
        skel_->bss->interest[t] = 0;
      }
      syscall_links_[t] = link;
    } else if (!on && syscall_links_[t]) {
      stale.push_back(syscall_links_[t]);
      syscall_links_[t] = nullptr;
    }
  }
  if (!stale.empty()) DestroyLater(std::move(stale));
  Napi::Object result = Napi::Object::New(env);
  result.Set("unavailable", unavailable);
  return result;
}

// interest() -> { wanted: number[], attached: number[] }: what the kernel side is doing now.
Napi::Value Collector::Interest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array wanted = Napi::Array::New(env), attached = Napi::Array::New(env);
  const auto& table = hooks();
  for (unsigned t = 0; skel_ && t < table.size(); t++) {
    if (skel_->bss->interest[t]) wanted.Set(wanted.Length(), t);
    if (syscall_links_[t] || (table[t].kind == HookKind::Lifecycle && !lifecycle_links_.empty()))
      attached.Set(attached.Length(), t);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("wanted", wanted);
  r.Set("attached", attached);
  return r;
}

// learnSyscalls(on: boolean, hostMntNs: number): attaches (or detaches) learning mode's sys_enter
// program, which records the syscalls of every task outside the host mount namespace per mount
// namespace (progs_learn.h). Detection never has it attached.
Napi::Value Collector::LearnSyscalls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!skel_) throw Napi::Error::New(env, "learnSyscalls() before open()");
  if (info.Length() < 2 || !info[0].IsBoolean() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "learnSyscalls(on: boolean, hostMntNs: number)");
  bool on = info[0].As<Napi::Boolean>().Value();
  if (on && !learn_link_) {
    skel_->bss->learn_host_mnt_ns = info[1].As<Napi::Number>().Uint32Value();
    clear_libbpf_log();
    learn_link_ = bpf_program__attach(skel_->progs.kx_learn_sys_enter);
    if (!learn_link_) throw failure(env, describe_failure("attaching kx_learn_sys_enter", -errno), "EATTACH");
  } else if (!on && learn_link_) {
    DestroyLater({learn_link_});
    learn_link_ = nullptr;
  }
  return env.Undefined();
}

// learnedSyscalls() -> { mntNs, levels: number[][] }[]: the syscall numbers seen per mount
// namespace since learning started, per seccomp filter depth of the caller (progs_learn.h).
Napi::Value Collector::LearnedSyscalls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
  if (!skel_) return out;
  int fd = bpf_map__fd(skel_->maps.learn_syscalls);
  __u32 key = 0, next = 0;
  const unsigned words = KESTREL_LEARN_SYSCALLS / 64;
  const unsigned levels = 4;  // LEARN_LEVELS
  __u64 value[1 + levels * words];  // struct learn_bits: generation, then the bitmaps by level
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(fd, &key, value) != 0) continue;
    Napi::Array by_level = Napi::Array::New(env);
    for (unsigned l = 0; l < levels; l++) {
      const __u64* bits = value + 1 + l * words;
      Napi::Array ids = Napi::Array::New(env);
      for (unsigned i = 0; i < KESTREL_LEARN_SYSCALLS; i++)
        if (bits[i / 64] & (1ULL << (i % 64))) ids.Set(ids.Length(), i);
      by_level.Set(l, ids);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("mntNs", Napi::Number::New(env, key));
    o.Set("levels", by_level);
    out.Set(out.Length(), o);
  }
  return out;
}

// start(onBatch): attaches the lifecycle hooks and starts the reader thread.
Napi::Value Collector::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!skel_) throw Napi::Error::New(env, "start() before open()");
  if (consumer_ && consumer_->running()) throw Napi::Error::New(env, "already started");
  if (info.Length() < 1 || !info[0].IsFunction()) throw Napi::TypeError::New(env, "start(onBatch: function)");
  if (lifecycle_links_.empty()) {
    for (const char* name : kLifecyclePrograms) {
      clear_libbpf_log();
      bpf_link* l = bpf_program__attach(program(skel_, name));
      if (!l) {
        int err = -errno;
        for (auto* x : lifecycle_links_) bpf_link__destroy(x);
        lifecycle_links_.clear();
        throw failure(env, describe_failure(std::string("attaching ") + name, err), "EATTACH");
      }
      lifecycle_links_.push_back(l);
    }
  }
  consumer_.reset();
  consumer_ = std::make_unique<Consumer>(env, bpf_map__fd(skel_->maps.rb), info[0].As<Napi::Function>(),
                                         consumer_opts_, &stats_);
  return env.Undefined();
}

// stop(): Promise<void>, resolved when every record read so far has been handed to JS.
Napi::Value Collector::Stop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!consumer_) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }
  return consumer_->Stop(env);
}

// Destroys links on several threads (concurrent detaches share the kernel's grace periods);
// the threads are added to `into`.
static void destroy_links(std::vector<bpf_link*> links, std::vector<std::thread>& into) {
  const size_t parallel = 8;
  for (size_t i = 0; i < parallel && i < links.size(); i++) {
    std::vector<bpf_link*> part;
    for (size_t j = i; j < links.size(); j += parallel) part.push_back(links[j]);
    into.emplace_back([part = std::move(part)] {
      for (auto* l : part) bpf_link__destroy(l);
    });
  }
}

static void join_all(std::vector<std::thread>& threads) {
  for (auto& t : threads)
    if (t.joinable()) t.join();
  threads.clear();
}

void Collector::DestroyLater(std::vector<bpf_link*> links) { destroy_links(std::move(links), detachers_); }

void Collector::JoinDetachers() { join_all(detachers_); }

// Detaches everything (links in parallel: each waits for grace periods) and unloads.
void Collector::Detach() {
  if (skel_)
    for (auto& w : skel_->bss->interest) w = 0;
  std::vector<bpf_link*> all;
  for (auto*& l : syscall_links_) {
    if (l) all.push_back(l);
    l = nullptr;
  }
  for (auto* l : lifecycle_links_) all.push_back(l);
  lifecycle_links_.clear();
  if (learn_link_) all.push_back(learn_link_);
  learn_link_ = nullptr;
  DestroyLater(std::move(all));
  JoinDetachers();
  if (skel_) kestrel_bpf__destroy(skel_);
  skel_ = nullptr;
}

// Detaching waits for kernel grace periods (about 2 s for every hook): off the JS thread. The
// worker owns everything it touches (the JS object may be collected meanwhile).
class CloseWorker : public Napi::AsyncWorker {
 public:
  CloseWorker(Napi::Env env, kestrel_bpf* skel, std::vector<bpf_link*> links, std::vector<std::thread> pending)
      : Napi::AsyncWorker(env),
        skel_(skel),
        links_(std::move(links)),
        pending_(std::move(pending)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    join_all(pending_);
    std::vector<std::thread> threads;
    destroy_links(std::move(links_), threads);
    join_all(threads);
    if (skel_) kestrel_bpf__destroy(skel_);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }

 private:
  kestrel_bpf* skel_;
  std::vector<bpf_link*> links_;
  std::vector<std::thread> pending_;
  Napi::Promise::Deferred deferred_;
};

// close(): Promise<void>; detaches everything and unloads. Call after stop() has resolved.
Napi::Value Collector::Close(const Napi::CallbackInfo& info) {
  if (consumer_ && consumer_->running())
    throw Napi::Error::New(info.Env(), "close() while running: await stop() first");
  consumer_.reset();
  kestrel_bpf* skel = skel_;
  skel_ = nullptr;  // from here on the collector is closed for every other method
  if (skel)
    for (auto& w : skel->bss->interest) w = 0;
  std::vector<bpf_link*> links;
  for (auto*& l : syscall_links_) {
    if (l) links.push_back(l);
    l = nullptr;
  }
  for (auto* l : lifecycle_links_) links.push_back(l);
  lifecycle_links_.clear();
  if (learn_link_) links.push_back(learn_link_);
  learn_link_ = nullptr;
  auto* worker = new CloseWorker(info.Env(), skel, std::move(links), std::move(detachers_));
  detachers_.clear();
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

// counters(): kernel-side (summed over CPUs) and reader-side counts.
Napi::Value Collector::Counters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  kestrel_counters sum{};
  if (skel_) {
    int ncpu = libbpf_num_possible_cpus();
    std::vector<kestrel_counters> per(ncpu > 0 ? ncpu : 1);
    __u32 zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &zero, per.data()) == 0) {
      for (const auto& c : per) {
        sum.produced += c.produced;
        sum.dropped += c.dropped;
        sum.truncated += c.truncated;
        sum.read_faults += c.read_faults;
        sum.filtered += c.filtered;
      }
    }
  }
  Napi::Object o = Napi::Object::New(env);
  auto n = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, static_cast<double>(v))); };
  n("produced", sum.produced);
  n("dropped", sum.dropped);
  n("truncated", sum.truncated);
  n("readFaults", sum.read_faults);
  n("filtered", sum.filtered);
  n("batches", stats_.batches);
  n("records", stats_.records);
  n("bytes", stats_.bytes);
  n("blockedNs", stats_.blocked_ns);
  n("callbackErrors", stats_.callback_errors);
  n("pendingBatches", static_cast<uint64_t>(stats_.pending < 0 ? 0 : stats_.pending.load()));
  return o;
}

}  // namespace kestrel
