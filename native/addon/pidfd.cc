// Process file descriptors for the response actions (src/respond/node/pidfd.ts): Node has no
// pidfd API. A pidfd names one process for its whole life: a signal sent through it reaches that
// process or fails with ESRCH once it has exited, never a later process that reused the number.
#include "pidfd.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace kestrel {

namespace {

Napi::Error errnoError(Napi::Env env, const char* call, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(call) + ": " + strerror(err));
  e.Set("code", Napi::String::New(env, err == ESRCH ? "ESRCH" : err == EPERM ? "EPERM" : err == EINVAL ? "EINVAL" : "EOTHER"));
  e.Set("errno", Napi::Number::New(env, err));
  return e;
}

// pidfdOpen(pid): the pidfd (an ordinary fd: close it with fs.closeSync). Throws with code ESRCH
// when no such process exists.
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "pidfdOpen(pid: number)");
  int pid = info[0].As<Napi::Number>().Int32Value();
  if (pid <= 0) throw Napi::TypeError::New(env, "pidfdOpen: pid must be positive");
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) throw errnoError(env, "pidfd_open", errno);
  return Napi::Number::New(env, static_cast<double>(fd));
}

// pidfdSendSignal(fd, signal): 0 when delivered, else the errno (ESRCH: the process has exited).
// Signal 0 checks that the process is still alive.
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "pidfdSendSignal(fd: number, signal: number)");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  long r = syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0);
  return Napi::Number::New(env, r < 0 ? errno : 0);
}

}  // namespace

void registerPidfd(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("ESRCH", Napi::Number::New(env, ESRCH));
}

}  // namespace kestrel
