/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * What the BPF programs and the addon share besides the record format (native/events.h):
 * the per-CPU counters and the run-time configuration. Not seen by TypeScript.
 */
#ifndef KESTREL_BPF_SHARED_H
#define KESTREL_BPF_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* One per CPU (BPF_MAP_TYPE_PERCPU_ARRAY, key 0); user space sums them. */
struct kestrel_counters {
	__u64 produced;    /* records written into the ring buffer */
	__u64 dropped;     /* records lost: no room in the ring buffer */
	__u64 truncated;   /* records carrying at least one truncated param */
	__u64 read_faults; /* records with a param that could not be read */
	__u64 filtered;    /* hook ran but the type was not wanted (attached-but-unwanted window) */
};

/* Written by user space into the program's .bss (memory-mapped) before and after attach. */
struct kestrel_config {
	/* Records of this process are not produced (self_vpid 0: keep them). The process is named
	 * by its pid in its own pid namespace, which works whether or not Kestrel runs in one. */
	__u32 self_vpid;
	__u32 self_pid_ns;     /* pid namespace inode */
	__u32 data_snaplen;    /* bytes of I/O buffers captured (<= KESTREL_MAX_DATA) */
	__u32 reserved;
	__u64 wakeup_bytes;    /* wake the reader only once this much data is pending */
};

/* Room per CPU for building one record before it is copied into the ring buffer. */
#define KESTREL_SCRATCH_SIZE (KESTREL_MAX_RECORD + 2 * KESTREL_MAX_PATH)
/* Syscall numbers learning mode records per mount namespace (progs_learn.h): a power of two. */
#define KESTREL_LEARN_SYSCALLS 512
#define KESTREL_INTEREST_SLOTS 128

#endif
