#include "errors.h"

#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace kestrel {

// Minimum kernel: BPF ring buffer (5.8), bpf_task_pt_regs (5.15), bpf_loop (5.17).
static const int kMinMajor = 5, kMinMinor = 17;

static const int CAP_SYS_ADMIN_ = 21, CAP_PERFMON_ = 38, CAP_BPF_ = 39;

static unsigned long long effective_caps() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) return std::stoull(line.substr(7), nullptr, 16);
  }
  return 0;
}

static bool has(unsigned long long caps, int cap) { return (caps >> cap) & 1ULL; }

std::string preflight() {
  struct utsname u {};
  uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  if (major < kMinMajor || (major == kMinMajor && minor < kMinMinor)) {
    std::ostringstream m;
    m << "kernel " << u.release << " is too old for the eBPF collector: it needs Linux >= " << kMinMajor
      << "." << kMinMinor << " (BPF ring buffer, bpf_task_pt_regs, bpf_loop)";
    return m.str();
  }
  struct stat st {};
  if (stat("/sys/kernel/btf/vmlinux", &st) != 0) {
    return "this kernel exposes no BTF type information (/sys/kernel/btf/vmlinux is missing): "
           "the eBPF collector needs a kernel built with CONFIG_DEBUG_INFO_BTF=y";
  }
  unsigned long long caps = effective_caps();
  bool bpf_ok = has(caps, CAP_SYS_ADMIN_) || (has(caps, CAP_BPF_) && has(caps, CAP_PERFMON_));
  if (!bpf_ok) {
    std::ostringstream m;
    m << "not permitted to load eBPF programs (uid " << geteuid() << ", missing";
    if (!has(caps, CAP_BPF_)) m << " CAP_BPF";
    if (!has(caps, CAP_PERFMON_)) m << " CAP_PERFMON";
    m << "): run Kestrel as root, or grant CAP_BPF and CAP_PERFMON (plus CAP_SYS_ADMIN if "
         "tracefs is not mounted), e.g. `setcap cap_bpf,cap_perfmon,cap_sys_admin+ep $(which node)` "
         "or in Kubernetes securityContext.capabilities.add";
    return m.str();
  }
  return "";
}

std::string ensure_tracefs() {
  struct stat st {};
  if (stat("/sys/kernel/tracing/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
    return "";
  if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) return "";
  std::ostringstream m;
  m << "tracefs is not mounted and mounting it at /sys/kernel/tracing failed (" << std::strerror(errno)
    << "): mount it (`mount -t tracefs nodev /sys/kernel/tracing`) or grant CAP_SYS_ADMIN";
  return m.str();
}

static std::mutex log_mu;
static std::string log_buf;

static int on_libbpf_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = vsnprintf(line, sizeof(line), fmt, ap);
  std::lock_guard<std::mutex> g(log_mu);
  log_buf.append(line, n > 0 ? std::min<size_t>(n, sizeof(line) - 1) : 0);
  if (log_buf.size() > 64 * 1024) log_buf.erase(0, log_buf.size() - 32 * 1024);
  return 0;
}

void capture_libbpf_log() { libbpf_set_print(on_libbpf_print); }

void clear_libbpf_log() {
  std::lock_guard<std::mutex> g(log_mu);
  log_buf.clear();
}

static std::string log_tail(size_t lines) {
  std::lock_guard<std::mutex> g(log_mu);
  size_t pos = log_buf.size();
  for (size_t i = 0; i <= lines && pos != std::string::npos && pos > 0; i++) pos = log_buf.rfind('\n', pos - 1);
  return log_buf.substr(pos == std::string::npos ? 0 : pos + 1);
}

std::string describe_failure(const std::string& step, int err) {
  int e = err < 0 ? -err : err;
  std::ostringstream m;
  m << step << " failed: " << std::strerror(e);
  if (e == EPERM || e == EACCES) {
    m << ". The kernel refused: run Kestrel as root or grant CAP_BPF and CAP_PERFMON "
         "(and CAP_SYS_ADMIN on kernels before 5.8); lockdown=confidentiality also forbids it";
  } else if (e == ENOENT) {
    m << ". A tracepoint or kernel type the collector needs is missing on this kernel";
  } else if (e == E2BIG || e == EINVAL) {
    m << ". The kernel's verifier rejected a program (kernel too old or too different?)";
  }
  std::string tail = log_tail(8);
  if (!tail.empty()) m << "\nlibbpf: " << tail;
  return m.str();
}

}  // namespace kestrel
