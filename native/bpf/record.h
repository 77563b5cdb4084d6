/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * Building one record (native/events.h layout) in a per-CPU scratch area, then copying it into
 * the ring buffer. Every param write goes through a cursor masked to the record bound, which is
 * what lets the verifier accept variable-length records.
 *
 * PARAM SLOTS. Every param write names its slot, KP_<EVENT>_<param> from native/events.h, so the
 * programs hold no copy of the table's param order: push_u64(r, KP_OPENAT_dirfd, AINT(0)).
 * Values are packed back to back in fill order, so the slots must still be filled in table
 * order, each exactly once, and a record must be complete when submitted. The compiler checks
 * both: r->next (the slot the next write must fill) is a compile-time constant in every program
 * (after inlining, at -O2), and a write whose slot is not r->next, or a rec_submit() with
 * r->next != the type's param count, fails the build (kestrel_param_out_of_table_order /
 * kestrel_record_incomplete below, reported at the offending line). So does a write where the
 * compiler cannot prove r->next (kestrel_slot_order_unproven), e.g. when two branches leave a
 * record at different slots, so no fill escapes the check. For r->next to stay a constant, a
 * record must never escape into a real (non-inlined) function: __noinline fillers are called
 * through rec_call(), which checks their slot and hands them a copy of the record state.
 * Nothing of this exists at run time. (-DKESTREL_SLOT_CHECK_UNPROVEN_WARN turns the "cannot be
 * proven" error into a warning, for a compiler that folds less.)
 *
 * The public fill operations (push_*, commit_bytes, and the helpers built on them) are macros
 * that check the slot and call an unchecked `_` function; the `_` functions are for __noinline
 * fillers, which only ever fill the slot rec_call() checked for them.
 */
#ifndef KESTREL_BPF_RECORD_H
#define KESTREL_BPF_RECORD_H

#include "maps.h"

#define OFF_MASK (KESTREL_MAX_RECORD - 1)

struct rec {
	__u8 *buf;      /* scratch (map value) */
	__u32 off;      /* next param byte */
	__u16 flags;    /* KREC_F_* */
	__u16 type;
	__u16 next;     /* the slot the next param write must fill (compile-time only, see above) */
	__u16 nparams;  /* slots of this record (KESTREL_NPARAMS) */
};

extern void kestrel_param_out_of_table_order(void)
	__attribute__((error("param slot filled out of native/events.h table order (skipped, repeated or reordered)")));
extern void kestrel_record_incomplete(void)
	__attribute__((error("record submitted before every param slot native/events.h lists for its type was filled")));
#ifdef KESTREL_SLOT_CHECK_UNPROVEN_WARN
#define KESTREL__UNPROVEN_DIAG warning
#else
#define KESTREL__UNPROVEN_DIAG error
#endif
extern void kestrel_slot_order_unproven(void) __attribute__((KESTREL__UNPROVEN_DIAG(
	"param slot order cannot be proven here: the slots a fill reaches must not depend on run-time values")));
#define SLOT_UNPROVEN() kestrel_slot_order_unproven()

/* Claims `slot` for the next param write: it must be r->next (checked at compile time). */
#define SLOT_TAKE(r, slot)                                                  \
	do {                                                                \
		if (!__builtin_constant_p((r)->next != (slot)))             \
			SLOT_UNPROVEN();                                    \
		else if ((r)->next != (slot))                               \
			kestrel_param_out_of_table_order();                 \
		(r)->next = (slot) + 1;                                     \
	} while (0)

/* Slots first..last are all filled by the time r->next is last + 1. */
#define SLOTS_DONE(r, last)                                                 \
	do {                                                                \
		if (!__builtin_constant_p((r)->next != (last) + 1))         \
			SLOT_UNPROVEN();                                    \
		else if ((r)->next != (last) + 1)                           \
			kestrel_record_incomplete();                        \
	} while (0)

static __always_inline int wanted(__u16 type)
{
	return interest[type & (KESTREL_INTEREST_SLOTS - 1)];
}

static __always_inline struct kestrel_counters *counters_here(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline __u32 pid_nr_at(struct pid *p, unsigned int level)
{
	struct upid up = {};
	if (!p)
		return 0;
	/* numbers[] is a flexible array: index it by address, read with a probe */
	bpf_probe_read_kernel(&up, sizeof(up), (void *)((__u64)p + bpf_core_field_offset(p->numbers) +
							  (__u64)(level & 31) * sizeof(struct upid)));
	return up.nr;
}

/*
 * The header fields that describe a task (the current one for every record Kestrel emits).
 * Direct loads through the BTF-typed task pointer (no helper calls: this runs for every record);
 * only the pid-namespace numbers of tasks in a child pid namespace need probe reads.
 */
static __always_inline void fill_task(struct kestrel_hdr *h, struct task_struct *t)
{
	struct pid *tp = t->thread_pid;
	unsigned int level = tp->level;
	const struct cred *cred = t->cred;

	h->tid = t->pid;
	h->pid = t->tgid;
	h->ppid = t->real_parent->tgid;
	if (level == 0) {
		h->vtid = h->tid;
		h->vpid = h->pid;
		h->pid_ns = tp->numbers[0].ns->ns.inum;
	} else {
		struct upid up = {};
		h->vtid = pid_nr_at(tp, level);
		h->vpid = pid_nr_at(t->group_leader->thread_pid, level);
		bpf_probe_read_kernel(&up, sizeof(up), (void *)((__u64)tp + bpf_core_field_offset(tp->numbers) +
								   (__u64)(level & 31) * sizeof(struct upid)));
		h->pid_ns = BPF_CORE_READ(up.ns, ns.inum);
	}
	h->uid = cred->euid.val;
	h->gid = cred->egid.val;
	h->loginuid = bpf_core_field_exists(t->loginuid) ? t->loginuid.val : (__u32)-1;
	h->mnt_ns = t->nsproxy->mnt_ns->ns.inum;
	__builtin_memcpy(h->comm, t->comm, sizeof(h->comm));
}

/*
 * Starts a record of `type` with `nparams` slots, or returns non-zero when none should be made
 * (type not wanted, our own process, no scratch). `ret` is the syscall's return value.
 * Lifecycle records of our own process are kept (rare, and the process tree needs them);
 * its syscalls are not (the agent reading files would report itself).
 */
static __always_inline int rec_begin_(struct rec *r, __u16 type, __u16 nparams, __s64 ret, int keep_self)
{
	struct kestrel_counters *c;
	struct kestrel_hdr *h;
	__u32 cpu;

	if (!wanted(type)) {
		c = counters_here();
		if (c)
			c->filtered++;
		return -1;
	}
	cpu = bpf_get_smp_processor_id();
	r->buf = bpf_map_lookup_elem(&scratch, &cpu);
	if (!r->buf)
		return -1;
	r->off = KESTREL_HDR_SIZE + 2 * (__u32)nparams;
	r->next = 0;
	r->nparams = nparams;
	r->flags = 0;
	r->type = type;

	h = (struct kestrel_hdr *)r->buf;
	h->ts = bpf_ktime_get_boot_ns();
	h->type = type;
	h->ret = ret;
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->nparams = nparams;
	h->cpu = cpu;
	h->reserved = 0;
	fill_task(h, bpf_get_current_task_btf());
	if (!keep_self && cfg.self_vpid && h->vpid == cfg.self_vpid && h->pid_ns == cfg.self_pid_ns)
		return -1;
	return 0;
}

#define rec_begin(r, type, nparams, ret) rec_begin_(r, type, nparams, ret, 0)
#define rec_begin_lifecycle(r, type, nparams, ret) rec_begin_(r, type, nparams, ret, 1)

/* lens[slot] = len. */
static __always_inline void set_len(struct rec *r, __u32 slot, __u16 len)
{
	*(__u16 *)(r->buf + KESTREL_HDR_SIZE + 2 * (slot & (KESTREL_MAX_PARAMS - 1))) = len;
}

/* A param left unfilled (no value). */
static __always_inline void push_empty_(struct rec *r, __u32 slot)
{
	set_len(r, slot, 0);
}
#define push_empty(r, slot) do { SLOT_TAKE(r, slot); push_empty_(r, slot); } while (0)

/* Slots first..last all left unfilled. */
#define push_empties(r, first, last)                                        \
	do {                                                                \
		SLOT_TAKE(r, first);                                        \
		for (__u32 s_ = (first); s_ <= (last); s_++)                \
			push_empty_(r, s_);                                 \
		(r)->next = (last) + 1;                                     \
	} while (0)

static __always_inline void push_u64_(struct rec *r, __u32 slot, __u64 v)
{
	*(__u64 *)(r->buf + (r->off & OFF_MASK)) = v;
	r->off += 8;
	set_len(r, slot, 8);
}
#define push_u64(r, slot, v) do { SLOT_TAKE(r, slot); push_u64_(r, slot, v); } while (0)

static __always_inline void push_u32_(struct rec *r, __u32 slot, __u32 v)
{
	*(__u32 *)(r->buf + (r->off & OFF_MASK)) = v;
	r->off += 4;
	set_len(r, slot, 4);
}
#define push_u32(r, slot, v) do { SLOT_TAKE(r, slot); push_u32_(r, slot, v); } while (0)

static __always_inline void push_u16_(struct rec *r, __u32 slot, __u16 v)
{
	*(__u16 *)(r->buf + (r->off & OFF_MASK)) = v;
	r->off += 2;
	set_len(r, slot, 2);
}
#define push_u16(r, slot, v) do { SLOT_TAKE(r, slot); push_u16_(r, slot, v); } while (0)

static __always_inline void push_u8_(struct rec *r, __u32 slot, __u8 v)
{
	*(__u8 *)(r->buf + (r->off & OFF_MASK)) = v;
	r->off += 1;
	set_len(r, slot, 1);
}
#define push_u8(r, slot, v) do { SLOT_TAKE(r, slot); push_u8_(r, slot, v); } while (0)

/* A NUL-terminated user string of at most `max` bytes (NUL included), truncation flagged. */
static __always_inline void push_user_str_(struct rec *r, __u32 slot, const void *uptr, __u32 max)
{
	__u32 off = r->off & OFF_MASK;
	__u16 lenw = 0;
	long n;
	char c = 0;

	if (!uptr) {
		set_len(r, slot, 0);
		return;
	}
	n = bpf_probe_read_user_str(r->buf + off, max, uptr);
	if (n < 0) {
		r->flags |= KREC_F_READ_FAULT;
		n = 0;
	} else if (n == max && !bpf_probe_read_user(&c, 1, uptr + max - 1) && c) {
		lenw = KREC_PARAM_TRUNC;
		r->flags |= KREC_F_TRUNCATED;
	}
	n &= KREC_PARAM_LEN_MASK;
	r->off += n;
	set_len(r, slot, (__u16)n | lenw);
}
#define push_user_str(r, slot, uptr, max) do { SLOT_TAKE(r, slot); push_user_str_(r, slot, uptr, max); } while (0)

static __always_inline void push_kernel_str_(struct rec *r, __u32 slot, const void *kptr, __u32 max)
{
	__u32 off = r->off & OFF_MASK;
	__u16 lenw = 0;
	long n;
	char c = 0;

	if (!kptr) {
		set_len(r, slot, 0);
		return;
	}
	n = bpf_probe_read_kernel_str(r->buf + off, max, kptr);
	if (n < 0) {
		r->flags |= KREC_F_READ_FAULT;
		n = 0;
	} else if (n == max && !bpf_probe_read_kernel(&c, 1, kptr + max - 1) && c) {
		lenw = KREC_PARAM_TRUNC;
		r->flags |= KREC_F_TRUNCATED;
	}
	n &= KREC_PARAM_LEN_MASK;
	r->off += n;
	set_len(r, slot, (__u16)n | lenw);
}
#define push_kernel_str(r, slot, kptr, max) do { SLOT_TAKE(r, slot); push_kernel_str_(r, slot, kptr, max); } while (0)

/* `size` bytes of user memory, at most `max` (a power of two), truncation flagged. */
static __always_inline void push_user_bytes_(struct rec *r, __u32 slot, const void *uptr, __u64 size, __u32 max)
{
	__u32 off = r->off & OFF_MASK;
	__u16 lenw = 0;
	__u32 n;

	if (!uptr || (__s64)size <= 0) {
		set_len(r, slot, 0);
		return;
	}
	if (size > max) {
		size = max;
		lenw = KREC_PARAM_TRUNC;
		r->flags |= KREC_F_TRUNCATED;
	}
	n = size & (2 * max - 1);
	if (n > max)
		n = max;
	if (bpf_probe_read_user(r->buf + off, n, uptr)) {
		r->flags |= KREC_F_READ_FAULT;
		set_len(r, slot, 0);
		return;
	}
	r->off += n;
	set_len(r, slot, (__u16)n | lenw);
}
#define push_user_bytes(r, slot, uptr, size, max) \
	do { SLOT_TAKE(r, slot); push_user_bytes_(r, slot, uptr, size, max); } while (0)

/* Raw bytes already in the scratch at the cursor (written by a helper), `n` long. */
static __always_inline void commit_bytes_(struct rec *r, __u32 slot, __u32 n, int truncated)
{
	__u16 lenw = 0;

	n &= KREC_PARAM_LEN_MASK;
	if (truncated) {
		lenw = KREC_PARAM_TRUNC;
		r->flags |= KREC_F_TRUNCATED;
	}
	r->off += n;
	set_len(r, slot, (__u16)n | lenw);
}
#define commit_bytes(r, slot, n, truncated) do { SLOT_TAKE(r, slot); commit_bytes_(r, slot, n, truncated); } while (0)

/*
 * Calls a __noinline filler fn(struct rec *, slot, args...) that fills exactly `slot`: the slot is
 * checked here and fn gets a copy of the record state, so `r` never escapes (see PARAM SLOTS).
 */
#define rec_call(r, slot, fn, ...)                                          \
	do {                                                                \
		struct rec c_;                                              \
		SLOT_TAKE(r, slot);                                         \
		c_ = *(r);                                                  \
		fn(&c_, slot, __VA_ARGS__);                                 \
		(r)->off = c_.off;                                          \
		(r)->flags = c_.flags;                                      \
	} while (0)

/* Pads, stamps len/flags, copies into the ring buffer and counts the outcome. */
static __always_inline int rec_submit_(struct rec *r)
{
	struct kestrel_hdr *h = (struct kestrel_hdr *)r->buf;
	struct kestrel_counters *c = counters_here();
	__u64 len = (r->off + (KESTREL_RECORD_ALIGN - 1)) & ~(__u64)(KESTREL_RECORD_ALIGN - 1);
	__u64 wake, avail;

	if (len > KESTREL_MAX_RECORD)
		len = KESTREL_MAX_RECORD;
	*(__u64 *)(r->buf + (r->off & OFF_MASK)) = 0; /* zero padding up to len */
	h->len = len;
	h->flags = r->flags;

	/* The reader polls on a short timer; wake it early only when this record makes the pending
	 * data cross wakeup_bytes (once per crossing: a reader that is behind is not woken again
	 * for every record, which would cost an interrupt per record exactly when time is short). */
	avail = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
	wake = avail < cfg.wakeup_bytes && avail + len >= cfg.wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&rb, r->buf, len, wake)) {
		if (c)
			c->dropped++;
		return 0;
	}
	if (c) {
		c->produced++;
		if (r->flags & KREC_F_TRUNCATED)
			c->truncated++;
		if (r->flags & KREC_F_READ_FAULT)
			c->read_faults++;
	}
	return 0;
}
#define rec_submit(r) ({ SLOTS_DONE(r, (r)->nparams - 1); rec_submit_(r); })

#endif
