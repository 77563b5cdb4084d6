// pidfd_open and pidfd_send_signal for the response actions (see pidfd.cc).
#pragma once
#include <napi.h>

namespace kestrel {

void registerPidfd(Napi::Env env, Napi::Object exports);

}  // namespace kestrel
