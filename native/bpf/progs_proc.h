/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * Process lifecycle (fork/clone, exec, exit: sched tracepoints, always attached) and the
 * credential/namespace/process syscalls. Params are filled by their native/events.h slots (KP_*;
 * record.h).
 */
#ifndef KESTREL_BPF_PROGS_PROC_H
#define KESTREL_BPF_PROGS_PROC_H

#include "hook.h"

#define PF_KTHREAD_ 0x00200000
#define RLIMIT_NOFILE_ 7
#define SIGCHLD_ 17
#define CLONE_VM_ 0x100
#define CLONE_VFORK_ 0x4000
#define PR_SET_NAME_ 15
#define PR_GET_NAME_ 16

#if defined(__TARGET_ARCH_x86)
#define NR_CLONE 56
#define NR_FORK 57
#define NR_VFORK 58
#define NR_EXECVEAT 322
#define NR_CLONE3 435
#else /* arm64: no fork/vfork syscalls */
#define NR_CLONE 220
#define NR_FORK -1000
#define NR_VFORK -1001
#define NR_EXECVEAT 281
#define NR_CLONE3 435
#endif

static __always_inline __u32 task_vnr(struct pid *p, struct task_struct *t)
{
	return pid_nr_at(p, BPF_CORE_READ(t, thread_pid, level));
}

/*
 * Memory counters of an mm, in pages (libs' driver reports the same: vm_rss = file + anon + shmem
 * pages, vm_swap = swap entries). Since 6.2 each is a percpu_counter whose `count` is the
 * approximate total; before, an atomic_long in struct mm_rss_stat (matched by a flavor type).
 */
struct mm_rss_stat___pre62 {
	struct { long counter; } count[4];
} __attribute__((preserve_access_index));
struct mm_struct___pre62 {
	struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));
#define MM_FILEPAGES_ 0
#define MM_ANONPAGES_ 1
#define MM_SWAPENTS_ 2
#define MM_SHMEMPAGES_ 3
/*
 * Tested as a field of mm_struct (a type vmlinux has): a relocation against a type vmlinux lacks
 * makes libbpf search the modules' BTF, which needs CAP_SYS_ADMIN the agent's pod does not have.
 */
#define MM_COUNTER(mm, i)                                                                        \
	(bpf_core_field_exists(((struct mm_struct___pre62 *)0)->rss_stat.count)                     \
		 ? BPF_CORE_READ((struct mm_struct___pre62 *)(mm), rss_stat.count[i].counter)       \
		 : BPF_CORE_READ((mm), rss_stat[i].count))
static __always_inline __u32 mm_kib(long pages)
{
	return pages > 0 ? (__u32)(pages * 4) : 0; /* KiB, 4 KiB pages (as vm_size) */
}
static __always_inline __u32 mm_rss_kib(struct mm_struct *mm)
{
	if (!mm)
		return 0;
	return mm_kib(MM_COUNTER(mm, MM_FILEPAGES_)) + mm_kib(MM_COUNTER(mm, MM_ANONPAGES_)) +
	       mm_kib(MM_COUNTER(mm, MM_SHMEMPAGES_));
}
static __always_inline __u32 mm_swap_kib(struct mm_struct *mm)
{
	return mm ? mm_kib(MM_COUNTER(mm, MM_SWAPENTS_)) : 0;
}

/*
 * When the pid namespace of a task started: the start (CLOCK_BOOTTIME ns, as record timestamps)
 * of its namespace's init (child_reaper; pid 1 of the host for the initial namespace, as libs'
 * driver reports). User space adds the boot epoch for proc.pidns_init_start_ts.
 */
static __always_inline __u64 task_pidns_start(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up = {};
	struct task_struct *reaper;

	if (!p)
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up), (void *)((__u64)p + bpf_core_field_offset(p->numbers) +
							  (__u64)(level & 31) * sizeof(struct upid)));
	reaper = BPF_CORE_READ(up.ns, child_reaper);
	return reaper ? BPF_CORE_READ(reaper, start_boottime) : 0;
}

/* A user-space area [start, end) (argv or environment) as one ARGV param, bounded by max. */
#define push_user_area(r, slot, start, end, max) \
	do { SLOT_TAKE(r, slot); push_user_area_(r, slot, start, end, max); } while (0)
static __always_inline void push_user_area_(struct rec *r, __u32 slot, __u64 start, __u64 end, __u32 max)
{
	if (end <= start) {
		push_empty_(r, slot);
		return;
	}
	push_user_bytes_(r, slot, (const void *)start, end - start, max);
}

/*
 * The four clone records share KESTREL_CLONE_PARAMS and are filled by KP_CLONE_* slots; the two
 * exec records start with KESTREL_EXEC_PARAMS, filled by KP_EXECVE_* slots. Check the slots agree.
 */
#define SAME_SLOT_CLONE(ev, pname, ptype) _Static_assert(KP_##ev##_##pname == KP_CLONE_##pname, #ev " params are CLONE's");
#define SAME_SLOT_EXECVE(ev, pname, ptype) _Static_assert(KP_##ev##_##pname == KP_EXECVE_##pname, #ev " params start as EXECVE's");
KESTREL_CLONE_PARAMS(SAME_SLOT_CLONE, CLONE3)
KESTREL_CLONE_PARAMS(SAME_SLOT_CLONE, FORK)
KESTREL_CLONE_PARAMS(SAME_SLOT_CLONE, VFORK)
KESTREL_EXEC_PARAMS(SAME_SLOT_EXECVE, EXECVEAT)
_Static_assert(KESTREL_NPARAMS(CLONE3) == KESTREL_NPARAMS(CLONE) && KESTREL_NPARAMS(FORK) == KESTREL_NPARAMS(CLONE) &&
		       KESTREL_NPARAMS(VFORK) == KESTREL_NPARAMS(CLONE),
	       "the clone records have one layout");
#undef SAME_SLOT_CLONE
#undef SAME_SLOT_EXECVE

/* --- fork / clone: one record per new task, parent in the header, child in the params --- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(kl_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pt_regs *regs = current_regs();
	long nr = sys_nr(regs);
	__u64 flags;
	__u16 type;
	struct rec rr, *r = &rr;

	if (BPF_CORE_READ(child, flags) & PF_KTHREAD_)
		return 0;
	if (nr == NR_CLONE3) {
		flags = 0;
		bpf_probe_read_user(&flags, sizeof(flags), UPTR(0)); /* struct clone_args.flags */
		type = KT_CLONE3;
	} else if (nr == NR_FORK) {
		flags = SIGCHLD_;
		type = KT_FORK;
	} else if (nr == NR_VFORK) {
		flags = CLONE_VFORK_ | CLONE_VM_ | SIGCHLD_;
		type = KT_VFORK;
	} else {
		flags = nr == NR_CLONE ? A(0) : 0;
		type = KT_CLONE;
	}
	/* all four share one param layout (KP_CLONE_* slots) */
	if (rec_begin_lifecycle(r, type, KESTREL_NPARAMS(CLONE), BPF_CORE_READ(child, pid)))
		return 0;
	push_u64(r, KP_CLONE_res, BPF_CORE_READ(child, pid));
	push_empty(r, KP_CLONE_exe);  /* inherited */
	push_empty(r, KP_CLONE_args); /* inherited */
	push_u64(r, KP_CLONE_tid, BPF_CORE_READ(child, pid));
	push_u64(r, KP_CLONE_pid, BPF_CORE_READ(child, tgid));
	push_u64(r, KP_CLONE_ptid, BPF_CORE_READ(child, real_parent, tgid)); /* the parent process */
	push_empty(r, KP_CLONE_cwd);  /* inherited */
	push_u64(r, KP_CLONE_fdlimit, BPF_CORE_READ(child, signal, rlim[RLIMIT_NOFILE_].rlim_cur));
	push_empties(r, KP_CLONE_pgft_maj, KP_CLONE_pgft_min);
	{
		struct mm_struct *cmm = BPF_CORE_READ(child, mm);
		push_u32(r, KP_CLONE_vm_size, cmm ? BPF_CORE_READ(cmm, total_vm) * 4 : 0);
		push_u32(r, KP_CLONE_vm_rss, mm_rss_kib(cmm));
		push_u32(r, KP_CLONE_vm_swap, mm_swap_kib(cmm));
	}
	push_kernel_str(r, KP_CLONE_comm, &child->comm, 16);
	/* a child placed in another cgroup (clone3 CLONE_INTO_CGROUP) says where */
	if (BPF_CORE_READ(child, cgroups) != BPF_CORE_READ(parent, cgroups))
		push_cgroups(r, KP_CLONE_cgroups, child);
	else
		push_empty(r, KP_CLONE_cgroups);
	push_u32(r, KP_CLONE_flags, flags);
	push_u32(r, KP_CLONE_uid, BPF_CORE_READ(child, cred, euid.val));
	push_u32(r, KP_CLONE_gid, BPF_CORE_READ(child, cred, egid.val));
	push_u64(r, KP_CLONE_vtid, task_vnr(BPF_CORE_READ(child, thread_pid), child));
	push_u64(r, KP_CLONE_vpid, task_vnr(BPF_CORE_READ(child, group_leader, thread_pid), child));
	push_u64(r, KP_CLONE_pidns_init_start_ts, task_pidns_start(child));
	return rec_submit(r);
}

/* --- exec: success from sched_process_exec (new image, bprm at hand), failure from sys_exit --- */

static __always_inline __u64 cap64(const kernel_cap_t *c)
{
	__u64 v = 0;
	bpf_probe_read_kernel(&v, sizeof(v), c); /* u64 since 6.3, u32[2] before: same bytes */
	return v;
}

/*
 * The KESTREL_EXEC_PARAMS slots of a successful exec (KP_EXECVE_*: both exec records start with
 * them). A __noinline filler: fill_exec(r, t, bprm) checks that r is at the first slot, and the
 * body works on a local copy of the record state so its own slot order is checked too.
 */
#define fill_exec(r, t, bprm)                                               \
	do {                                                                \
		struct rec c_;                                              \
		SLOT_TAKE(r, KP_EXECVE_res);                                \
		c_ = *(r);                                                  \
		fill_exec_(&c_, t, bprm);                                   \
		(r)->off = c_.off;                                          \
		(r)->flags = c_.flags;                                      \
		(r)->next = KP_EXECVE_trusted_exepath + 1;                  \
	} while (0)
static __noinline int fill_exec_(struct rec *out, struct task_struct *t, struct linux_binprm *bprm)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	struct file *exe = BPF_CORE_READ(bprm, file);
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	const struct cred *cred = BPF_CORE_READ(t, cred);
	__u32 euid = BPF_CORE_READ(cred, euid.val), egid = BPF_CORE_READ(cred, egid.val);
	struct path pwd = BPF_CORE_READ(t, fs, pwd);
	struct path exe_path = BPF_CORE_READ(exe, f_path);
	struct rec rr = *out, *r = &rr;

	r->next = KP_EXECVE_res; /* the caller checked */
	push_u64(r, KP_EXECVE_res, 0);
	push_empty(r, KP_EXECVE_exe); /* argv[0], taken from args by user space */
	push_user_area(r, KP_EXECVE_args, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end), KESTREL_MAX_ARGS);
	push_u64(r, KP_EXECVE_tid, BPF_CORE_READ(t, pid));
	push_u64(r, KP_EXECVE_pid, BPF_CORE_READ(t, tgid));
	push_u64(r, KP_EXECVE_ptid, BPF_CORE_READ(t, real_parent, tgid));
	push_path(r, KP_EXECVE_cwd, &pwd);
	push_u64(r, KP_EXECVE_fdlimit, BPF_CORE_READ(t, signal, rlim[RLIMIT_NOFILE_].rlim_cur));
	push_u64(r, KP_EXECVE_pgft_maj, BPF_CORE_READ(t, maj_flt));
	push_u64(r, KP_EXECVE_pgft_min, BPF_CORE_READ(t, min_flt));
	push_u32(r, KP_EXECVE_vm_size, BPF_CORE_READ(mm, total_vm) * 4); /* KiB, 4 KiB pages */
	push_u32(r, KP_EXECVE_vm_rss, mm_rss_kib(mm));
	push_u32(r, KP_EXECVE_vm_swap, mm_swap_kib(mm));
	push_kernel_str(r, KP_EXECVE_comm, &t->comm, 16);
	push_cgroups(r, KP_EXECVE_cgroups, t);
	push_user_area(r, KP_EXECVE_env, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end), KESTREL_MAX_ENV);
	push_u32(r, KP_EXECVE_tty, task_tty(t));
	push_u64(r, KP_EXECVE_pgid, task_vnr(BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]), t));
	push_u32(r, KP_EXECVE_loginuid, bpf_core_field_exists(t->loginuid) ? BPF_CORE_READ(t, loginuid.val) : (__u32)-1);
	push_u32(r, KP_EXECVE_flags, exe ? exe_flags(exe, euid, egid) : 0);
	push_u64(r, KP_EXECVE_cap_inheritable, cap64(&cred->cap_inheritable));
	push_u64(r, KP_EXECVE_cap_permitted, cap64(&cred->cap_permitted));
	push_u64(r, KP_EXECVE_cap_effective, cap64(&cred->cap_effective));
	push_u64(r, KP_EXECVE_exe_ino, BPF_CORE_READ(ino, i_ino));
	push_u64(r, KP_EXECVE_exe_ino_ctime, ino ? inode_ctime_ns(ino) : 0);
	push_u64(r, KP_EXECVE_exe_ino_mtime, ino ? inode_mtime_ns(ino) : 0);
	push_u32(r, KP_EXECVE_uid, euid);
	push_path(r, KP_EXECVE_trusted_exepath, &exe_path);
	SLOTS_DONE(r, KP_EXECVE_trusted_exepath);
	out->off = rr.off;
	out->flags = rr.flags;
	(void)egid;
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(kl_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct rec rr, *r = &rr;
	struct task_struct *t = bpf_get_current_task_btf();

	if (sys_nr(current_regs()) == NR_EXECVEAT) {
		if (rec_begin_lifecycle(r, KT_EXECVEAT, KESTREL_NPARAMS(EXECVEAT), 0))
			return 0;
		fill_exec(r, t, bprm);
		push_empty(r, KP_EXECVEAT_dirfd);
		push_kernel_str(r, KP_EXECVEAT_pathname, BPF_CORE_READ(bprm, filename), KESTREL_MAX_PATH);
		return rec_submit(r);
	}
	if (rec_begin_lifecycle(r, KT_EXECVE, KESTREL_NPARAMS(EXECVE), 0))
		return 0;
	fill_exec(r, t, bprm);
	push_kernel_str(r, KP_EXECVE_filename, BPF_CORE_READ(bprm, filename), KESTREL_MAX_PATH);
	return rec_submit(r);
}

/* A failed exec: the caller's image is intact; res and the requested file name (KP_EXECVE_*). */
static __always_inline void fill_exec_failed(struct rec *r, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();

	push_u64(r, KP_EXECVE_res, ret);
	push_empty(r, KP_EXECVE_exe);
	push_empty(r, KP_EXECVE_args);
	push_u64(r, KP_EXECVE_tid, BPF_CORE_READ(t, pid));
	push_u64(r, KP_EXECVE_pid, BPF_CORE_READ(t, tgid));
	push_u64(r, KP_EXECVE_ptid, BPF_CORE_READ(t, real_parent, tgid));
	push_empties(r, KP_EXECVE_cwd, KP_EXECVE_vm_swap);
	push_kernel_str(r, KP_EXECVE_comm, &t->comm, 16);
	push_empties(r, KP_EXECVE_cgroups, KP_EXECVE_trusted_exepath);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int kx_execve(struct trace_event_raw_sys_exit *ctx)
{
	struct rec rr, *r = &rr;
	long ret = ctx->ret;

	if (ret >= 0 || rec_begin(r, KT_EXECVE, KESTREL_NPARAMS(EXECVE), ret))
		return 0;
	fill_exec_failed(r, ret);
	push_user_str(r, KP_EXECVE_filename, (const void *)sys_arg(current_regs(), 0), KESTREL_MAX_PATH);
	return rec_submit(r);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int kx_execveat(struct trace_event_raw_sys_exit *ctx)
{
	struct rec rr, *r = &rr;
	struct pt_regs *regs;
	long ret = ctx->ret;

	if (ret >= 0 || rec_begin(r, KT_EXECVEAT, KESTREL_NPARAMS(EXECVEAT), ret))
		return 0;
	regs = current_regs();
	fill_exec_failed(r, ret);
	push_u64(r, KP_EXECVEAT_dirfd, AINT(0));
	push_user_str(r, KP_EXECVEAT_pathname, UPTR(1), KESTREL_MAX_PATH);
	return rec_submit(r);
}

/* --- exit: one record per exiting thread --- */

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kl_exit, struct task_struct *p)
{
	struct rec rr, *r = &rr;
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 code;

	if (BPF_CORE_READ(t, flags) & PF_KTHREAD_)
		return 0;
	code = BPF_CORE_READ(t, exit_code);
	if (rec_begin_lifecycle(r, KT_PROCEXIT, KESTREL_NPARAMS(PROCEXIT), code))
		return 0;
	push_u64(r, KP_PROCEXIT_status, code);          /* raw wait status */
	push_u64(r, KP_PROCEXIT_ret, (code >> 8) & 0xff); /* exit status */
	push_u8(r, KP_PROCEXIT_sig, code & 0x7f);
	push_u8(r, KP_PROCEXIT_core, (code & 0x80) ? 1 : 0);
	push_empty(r, KP_PROCEXIT_reaper_tid); /* left to user space */
	return rec_submit(r);
}

/* --- credentials, sessions, namespaces, other process syscalls --- */

SYS_EXIT(setuid, SETUID)
{
	push_u64(r, KP_SETUID_res, ret);
	push_u32(r, KP_SETUID_uid, A(0));
}

SYS_EXIT(setgid, SETGID)
{
	push_u64(r, KP_SETGID_res, ret);
	push_u32(r, KP_SETGID_gid, A(0));
}

SYS_EXIT(setresuid, SETRESUID)
{
	push_u64(r, KP_SETRESUID_res, ret);
	push_u32(r, KP_SETRESUID_ruid, A(0));
	push_u32(r, KP_SETRESUID_euid, A(1));
	push_u32(r, KP_SETRESUID_suid, A(2));
}

SYS_EXIT(setresgid, SETRESGID)
{
	push_u64(r, KP_SETRESGID_res, ret);
	push_u32(r, KP_SETRESGID_rgid, A(0));
	push_u32(r, KP_SETRESGID_egid, A(1));
	push_u32(r, KP_SETRESGID_sgid, A(2));
}

SYS_EXIT(setreuid, SETREUID)
{
	push_u64(r, KP_SETREUID_res, ret);
	push_u32(r, KP_SETREUID_ruid, A(0));
	push_u32(r, KP_SETREUID_euid, A(1));
}

SYS_EXIT(setregid, SETREGID)
{
	push_u64(r, KP_SETREGID_res, ret);
	push_u32(r, KP_SETREGID_rgid, A(0));
	push_u32(r, KP_SETREGID_egid, A(1));
}

SYS_EXIT(setsid, SETSID)
{
	push_u64(r, KP_SETSID_res, ret);
}

SYS_EXIT(setpgid, SETPGID)
{
	push_u64(r, KP_SETPGID_res, ret);
	push_u64(r, KP_SETPGID_pid, AINT(0));
	push_u64(r, KP_SETPGID_pgid, AINT(1));
}

SYS_EXIT(prctl, PRCTL)
{
	__u32 option = A(0);
	push_u64(r, KP_PRCTL_res, ret);
	push_u32(r, KP_PRCTL_option, option);
	if (option == PR_SET_NAME_ || option == PR_GET_NAME_) {
		push_user_str(r, KP_PRCTL_arg2_str, UPTR(1), 16);
		push_empty(r, KP_PRCTL_arg2_int);
	} else {
		push_empty(r, KP_PRCTL_arg2_str);
		push_u64(r, KP_PRCTL_arg2_int, A(1));
	}
}

SYS_EXIT(capset, CAPSET)
{
	const struct cred *cred = BPF_CORE_READ(bpf_get_current_task_btf(), cred);
	push_u64(r, KP_CAPSET_res, ret);
	push_u64(r, KP_CAPSET_cap_inheritable, cap64(&cred->cap_inheritable));
	push_u64(r, KP_CAPSET_cap_permitted, cap64(&cred->cap_permitted));
	push_u64(r, KP_CAPSET_cap_effective, cap64(&cred->cap_effective));
}

SYS_EXIT(setns, SETNS)
{
	push_u64(r, KP_SETNS_res, ret);
	push_u64(r, KP_SETNS_fd, AINT(0));
	push_u32(r, KP_SETNS_nstype, A(1));
}

SYS_EXIT(unshare, UNSHARE)
{
	push_u64(r, KP_UNSHARE_res, ret);
	push_u32(r, KP_UNSHARE_flags, A(0));
}

SYS_EXIT(ptrace, PTRACE)
{
	push_u64(r, KP_PTRACE_res, ret);
	push_u64(r, KP_PTRACE_addr, A(2));
	push_u64(r, KP_PTRACE_data, A(3));
	push_u16(r, KP_PTRACE_request, A(0));
	push_u64(r, KP_PTRACE_pid, AINT(1));
}

SYS_EXIT(kill, KILL)
{
	push_u64(r, KP_KILL_res, ret);
	push_u64(r, KP_KILL_pid, AINT(0));
	push_u8(r, KP_KILL_sig, A(1));
}

SYS_EXIT(bpf, BPF)
{
	push_u64(r, KP_BPF_fd, ret);
	push_u32(r, KP_BPF_cmd, A(0));
}

SYS_EXIT(init_module, INIT_MODULE)
{
	push_u64(r, KP_INIT_MODULE_res, ret);
	push_user_bytes(r, KP_INIT_MODULE_img, UPTR(0), A(1), KESTREL_MAX_DATA);
	push_u64(r, KP_INIT_MODULE_length, A(1));
	push_user_str(r, KP_INIT_MODULE_uargs, UPTR(2), 256);
}

SYS_EXIT(finit_module, FINIT_MODULE)
{
	push_u64(r, KP_FINIT_MODULE_res, ret);
	push_u64(r, KP_FINIT_MODULE_fd, AINT(0));
	push_user_str(r, KP_FINIT_MODULE_uargs, UPTR(1), 256);
	push_u32(r, KP_FINIT_MODULE_flags, A(2));
}

#endif
