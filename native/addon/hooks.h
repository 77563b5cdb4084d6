// Which BPF program produces which record type, and how it is attached.
#pragma once
#include <string>
#include <vector>

namespace kestrel {

enum class HookKind {
  Syscall,    // syscalls:sys_exit_X tracepoint, attached only while its type is wanted
  Lifecycle,  // sched tracepoint, attached for the collector's whole life
  None,       // never produced (e.g. switch)
};

struct Hook {
  unsigned type;        // KT_* code
  const char* name;     // Falco event name
  std::string program;  // BPF program name in the skeleton ("" for None)
  HookKind kind;
};

// One entry per KT_* code, indexed by code.
const std::vector<Hook>& hooks();

}  // namespace kestrel
