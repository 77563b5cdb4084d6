// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a syscall hook costs syscalls nobody asked for. Candidate hooks, each doing only the
 * "is this syscall wanted?" test (openat and close wanted; dd's read/write not):
 *   rawtp_exit: raw_tracepoint/sys_exit + filter map (one program for every syscall)
 *   btf_exit:   tp_btf/sys_exit + filter map (same, BTF-typed)
 *   tp_openat/tp_close: syscalls:sys_exit_openat / sys_exit_close (only wanted syscalls)
 * and, to tell the hook's own cost from the kernel's syscall-tracepoint slow path:
 *   rawtp_exit_empty: raw_tracepoint/sys_exit doing nothing at all
 *   btf_exec:         tp_btf/sched_process_exec (a non-syscall tracepoint: read/write never reach it)
 * Candidates this kernel may refuse (run.sh reports what loading them says):
 *   lsm_file_open (BPF LSM), fexit_openat (fexit on do_sys_openat2)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
char LICENSE[] SEC("license") = "GPL";
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 512); __type(key, u32); __type(value, u8);} want SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1); __type(key, u32); __type(value, u64);} cnt SEC(".maps");
static __always_inline int hit(void){ u32 k=0; u64 *c=bpf_map_lookup_elem(&cnt,&k); if(c) (*c)++; return 0;}
SEC("raw_tracepoint/sys_exit")
int rawtp_exit(struct bpf_raw_tracepoint_args *ctx){
  struct pt_regs *regs=(struct pt_regs*)ctx->args[0];
  long id = BPF_CORE_READ(regs, orig_ax);
  u32 k = (u32)id; u8 *w = bpf_map_lookup_elem(&want,&k);
  if(!w || !*w) return 0;
  return hit();
}
SEC("tp_btf/sys_exit")
int BPF_PROG(btf_exit, struct pt_regs *regs, long ret){
  u32 k = (u32)regs->orig_ax; u8 *w = bpf_map_lookup_elem(&want,&k);
  if(!w || !*w) return 0;
  return hit();
}
SEC("tracepoint/syscalls/sys_exit_openat")
int tp_openat(void *ctx){ return hit(); }
SEC("tracepoint/syscalls/sys_exit_close")
int tp_close(void *ctx){ return hit(); }
SEC("raw_tracepoint/sys_exit")
int rawtp_exit_empty(void *ctx){ return 0; }
SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec){ return hit(); }
SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *f){ hit(); return 0; }
SEC("fexit/do_sys_openat2")
int BPF_PROG(fexit_openat){ return hit(); }
