#include "hooks.h"

extern "C" {
#include <linux/types.h>
#include "events.h"
}

namespace kestrel {

static HookKind kind_of(unsigned type) {
  switch (type) {
    case KT_NONE:
    case KT_SWITCH:
      return HookKind::None;
    // one sched_process_fork program emits all four, by the parent's syscall
    case KT_CLONE:
    case KT_CLONE3:
    case KT_FORK:
    case KT_VFORK:
    case KT_PROCEXIT:
      return HookKind::Lifecycle;
    default:
      // execve/execveat: success comes from sched_process_exec (always attached),
      // failures from their sys_exit tracepoint (attached while wanted)
      return HookKind::Syscall;
  }
}

static std::string program_of(unsigned type, const char* name) {
  if (kind_of(type) != HookKind::Syscall) return "";
  if (type == KT_UMOUNT2) return "kx_umount";  // the kernel's syscall is "umount"
  return std::string("kx_") + name;
}

const std::vector<Hook>& hooks() {
  static const std::vector<Hook> table = [] {
    std::vector<Hook> t;
#define KESTREL__HOOK(NAME, code, falco, params) \
  t.push_back(Hook{code, falco, program_of(code, falco), kind_of(code)});
#define KESTREL__NOPARAM(ev, pname, ptype)
    KESTREL_EVENT_TABLE(KESTREL__HOOK, KESTREL__NOPARAM)
#undef KESTREL__HOOK
#undef KESTREL__NOPARAM
    return t;
  }();
  return table;
}

}  // namespace kestrel
