/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * Learning mode's syscall capture (kestrel learn, issue 9): which syscalls each container makes,
 * for its seccomp profile. One program on the sys_enter tracepoint, attached only while learning
 * (user space: learnSyscalls(true)), never while detecting. For a task outside the host's mount
 * namespace it sets the syscall's bit in a bitmap kept per mount namespace (a container's mount
 * namespace is its own from runc's setup on, so what the runtime does after installing the
 * seccomp filter is seen too). No record is made; host tasks pay one comparison. The same idea as
 * the OCI seccomp-bpf hook and the Security Profiles Operator's BPF recorder.
 */
#ifndef KESTREL_BPF_PROGS_LEARN_H
#define KESTREL_BPF_PROGS_LEARN_H

#include "maps.h"

/*
 * Bitmaps per mount namespace, one per seccomp filter depth of the task (0 = no filter, 1, 2,
 * 3 or more). The runtime sets a container up (unshare, mount over masked paths, pivot_root, ...)
 * in the new namespaces before it installs the container's filter, and may itself already run
 * under one: what the container's own profile must allow is what was made at the deepest level
 * seen (the runtime's last steps after installing the filter, then the workload). A container
 * learned unconfined has level 0 only: a profile that also allows the runtime's setup.
 */
#define LEARN_LEVELS 4
struct learn_bits {
	__u64 generation; /* which namespace holds the inode now (see ns_generation) */
	__u64 bits[LEARN_LEVELS * (KESTREL_LEARN_SYSCALLS / 64)]; /* level-major */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* mount namespace inode */
	__type(value, struct learn_bits);
} learn_syscalls SEC(".maps");

/* The host's mount namespace inode (user space sets it before attaching). */
__u32 learn_host_mnt_ns;

/*
 * Inode numbers of namespaces are reused once a namespace is gone: a container that ran and
 * exited during learning must not lend its syscalls to a later one given the same inode. The
 * namespace's unique id (ns_common.ns_id, Linux 6.11+) or else its address tells them apart; when
 * it changes, the entry starts over.
 */
static __always_inline __u64 ns_generation(struct mnt_namespace *mnt)
{
	if (bpf_core_field_exists(mnt->ns.ns_id))
		return BPF_CORE_READ(mnt, ns.ns_id);
	return (__u64)mnt;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(kx_learn_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct mnt_namespace *mnt = t->nsproxy->mnt_ns;
	__u32 ns = mnt->ns.inum;
	if (ns == 0 || ns == learn_host_mnt_ns || id < 0 || id >= KESTREL_LEARN_SYSCALLS)
		return 0;
	__u64 gen = ns_generation(mnt);
	struct learn_bits *b = bpf_map_lookup_elem(&learn_syscalls, &ns);
	if (!b || b->generation != gen) {
		struct learn_bits fresh = {};
		fresh.generation = gen;
		bpf_map_update_elem(&learn_syscalls, &ns, &fresh, b ? BPF_EXIST : BPF_NOEXIST);
		b = bpf_map_lookup_elem(&learn_syscalls, &ns);
		if (!b)
			return 0;
	}
	int depth = t->seccomp.filter_count.counter;
	__u32 level = depth <= 0 ? 0 : depth >= LEARN_LEVELS ? LEARN_LEVELS - 1 : depth;
	__u32 idx = level * (KESTREL_LEARN_SYSCALLS / 64) + ((__u32)id >> 6);
	/* the compiler knows idx is in range and would drop the mask; the verifier needs to see it */
	asm volatile("" : "+r"(idx));
	idx &= LEARN_LEVELS * (KESTREL_LEARN_SYSCALLS / 64) - 1;
	__sync_fetch_and_or(&b->bits[idx], 1ULL << (id & 63));
	return 0;
}

#endif
