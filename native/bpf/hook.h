/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
#ifndef KESTREL_BPF_HOOK_H
#define KESTREL_BPF_HOOK_H

#include "net.h"

/*
 * SYS_EXIT(tp, TYPE) { body } defines the program kx_<tp> on syscalls:sys_exit_<tp> producing
 * records of KT_<TYPE>. The body fills the params from `regs` (the syscall's saved user
 * registers) and `ret`, each named by its slot (push_u64(r, KP_<TYPE>_<param>, ...)), in table
 * order: the compiler checks the order and completeness (record.h, PARAM SLOTS). A(n) is
 * syscall argument n.
 */
#define SYS_EXIT(tp, TYPE)                                                                      \
	static __always_inline void fill_##tp(struct rec *r, struct pt_regs *regs, long ret);  \
	SEC("tracepoint/syscalls/sys_exit_" #tp)                                                \
	int kx_##tp(struct trace_event_raw_sys_exit *ctx)                                       \
	{                                                                                       \
		struct rec r;                                                                   \
		if (rec_begin(&r, KT_##TYPE, KESTREL_NPARAMS(TYPE), ctx->ret))                  \
			return 0;                                                               \
		fill_##tp(&r, current_regs(), ctx->ret);                                        \
		return rec_submit(&r);                                                          \
	}                                                                                       \
	static __always_inline void fill_##tp(struct rec *r, struct pt_regs *regs, long ret)

#define A(n) sys_arg(regs, n)
#define UPTR(n) ((const void *)sys_arg(regs, n))
/* fd-like and other int arguments are 32-bit in the ABI: sign-extend (AT_FDCWD is -100) */
#define AINT(n) ((__s64)(__s32)sys_arg(regs, n))

#endif
