// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kestrel's live syscall source. One program per covered syscall, on its own syscall exit
 * tracepoint (syscalls:sys_exit_X): user space attaches only the ones the loaded rules and the
 * state tracker need, so other syscalls never run Kestrel code (a raw sys_exit program would run
 * for every syscall of every process; see bench/live-hooks for the measurement). Arguments come
 * from the user registers saved at syscall entry, so no enter hook is needed. Process lifecycle
 * comes from the sched tracepoints (fork, exec, exit), always attached.
 *
 * Every program first checks interest[type] (written by user space at run time) so a type can be
 * switched off instantly, before its tracepoint is detached.
 *
 * progs_learn.h: learning mode's per-container syscall capture, attached only while learning.
 */
#include "net.h"
#include "progs_fs.h"
#include "progs_net.h"
#include "progs_proc.h"
#include "progs_learn.h"

char LICENSE[] SEC("license") = "GPL";
