/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* Maps and globals of the collector. User space sizes rb and scratch before load. */
#ifndef KESTREL_BPF_MAPS_H
#define KESTREL_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by user space (options.ringBufferBytes) */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kestrel_counters);
} counters SEC(".maps");

struct scratch {
	__u8 buf[KESTREL_SCRATCH_SIZE];
};

/* One entry per possible CPU (set by user space); too big for a per-CPU map value. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* Run-time configuration and the kernel-side filter: both in .bss, memory-mapped by user space. */
struct kestrel_config cfg;
/* interest[KT_x] != 0: records of type x are produced. Written by user space at any time. */
__u8 interest[KESTREL_INTEREST_SLOTS];

#endif
