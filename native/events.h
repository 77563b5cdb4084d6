/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * Kestrel syscall record format: the one source of truth, shared by the BPF programs (C, CO-RE,
 * vmlinux.h), the addon, and the TypeScript decoder:
 *   - the BPF programs (native/bpf/progs_*.h) name every param they fill by its KP_<EVENT>_<param>
 *     index, and the compiler rejects a fill that is out of table order or incomplete;
 *   - the TypeScript event table (src/sources/syscall/record/event-table.ts) is built from
 *     src/generated/event-table.ts, which scripts/gen-event-table.mjs generates from this header at
 *     build time (it compiles a small C program that expands the X-macros below and prints them);
 *   - the record layout constants (src/sources/syscall/record/layout.ts) are written by hand and
 *     checked by test/sources/syscall/layout.test.ts, which compiles this header and compares
 *     (it also checks the event table and that the generated file is up to date).
 *
 * LAYOUT (all integers little-endian, host order; every record starts 8-byte aligned)
 *
 *   offset  size  field
 *   0       8     ts          CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns); user space adds the boot epoch
 *   8       4     len         total record bytes: header + lens + params + padding; multiple of 8
 *   12      2     type        enum kestrel_event_type (KT_*)
 *   14      2     flags       KREC_F_* (truncation, read faults)
 *   16      8     ret         syscall return value (s64); for lifecycle records see the table
 *   24      8     cgroup_id   cgroup v2 id of the task (bpf_get_current_cgroup_id)
 *   32      4     tid         host thread id (task->pid)
 *   36      4     pid         host process id (task->tgid)
 *   40      4     ppid        host pid of task->real_parent->tgid
 *   44      4     vtid        thread id in the task's own pid namespace
 *   48      4     vpid        process id in the task's own pid namespace
 *   52      4     uid         effective uid (cred->euid), as Falco's user.uid
 *   56      4     gid         effective gid (cred->egid)
 *   60      4     loginuid    task->loginuid (4294967295 = unset)
 *   64      4     mnt_ns      mount namespace inode number
 *   68      4     pid_ns      pid namespace inode number
 *   72      16    comm        task->comm, NUL padded
 *   88      2     nparams     number of u16 entries in lens[]; equals KESTREL_NPARAMS(type)
 *   90      2     cpu         CPU that produced the record
 *   92      4     reserved    0
 *   96      2*n   lens[n]     per-param byte length; bit 15 (KREC_PARAM_TRUNC) = value was truncated
 *   96+2n   ...   params      param values packed back to back in table order, no alignment
 *   ...           padding     zero bytes up to len (multiple of 8)
 *
 *   A record of type T carries exactly the params listed for T in KESTREL_EVENT_TABLE, in that order,
 *   using Falco's exit-event parameter names (driver/event_table.c, exit event, with the enter-event
 *   params appended as modern Falco does), so evt.arg.NAME and evt.arg[N] mean what they mean in Falco.
 *   A param the producer does not fill has length 0 (the field then has no value); never omit the slot.
 *
 * PARAM ENCODINGS (by KPT_* type; a numeric param may also be given in fewer bytes, 1/2/4/8, and the
 * decoder sign- or zero-extends by type)
 *   FD, ERRNO, PID, INT64, ABSTIME   s64 / u64 (8 bytes); ERRNO is the raw return (-errno on failure)
 *   UINT64                           u64
 *   UINT32, FLAGS32, ENUMFLAGS32,
 *   MODE, UID, GID                   u32; flags are RAW kernel values (O_*, AF_*, S_I*, CLONE_*...),
 *                                    user space renders them with Falco's names (O_RDONLY|O_CLOEXEC)
 *   INT32                            s32
 *   UINT16, ENUMFLAGS16              u16
 *   UINT8, ENUMFLAGS8, SIGTYPE       u8
 *   CHARBUF, FSPATH, FSRELPATH       bytes as read by bpf_probe_read_*_str, INCLUDING the trailing NUL
 *                                    (the decoder also accepts no NUL); bounded by KESTREL_MAX_PATH
 *   BYTEBUF                          raw bytes (data buffers, bounded by KESTREL_MAX_DATA)
 *   ARGV (exec/clone `args`, `env`, `cgroups`)  NUL-separated strings exactly as in
 *                                    mm->arg_start..arg_end / env_start..env_end (each string NUL
 *                                    terminated). For `args` the producer writes the WHOLE argv area
 *                                    INCLUDING argv[0]; user space renders Falco's `args` (argv[1..]).
 *                                    `exe` (argv[0]) may be left empty: user space takes argv[0].
 *                                    `cgroups` holds "subsys=path" entries (e.g. "cpuset=/kubepods/...");
 *                                    for cgroup v2 a single "unified=/path" entry (may be left empty:
 *                                    user space resolves the header's cgroup_id).
 *   SOCKADDR   u8 family (AF_*), then:
 *                AF_INET   4 bytes address (network order, as in sin_addr) + u16 port (HOST order)
 *                AF_INET6  16 bytes address + u16 port (host order)
 *                AF_UNIX   path bytes (sun_path, NUL terminated; abstract: leading NUL kept)
 *                other     nothing more
 *   SOCKTUPLE  u8 family, then (always CLIENT first, SERVER second, as Falco: for connect/sendto the
 *              local end is the client; for accept the peer is the client):
 *                AF_INET   4 src addr + u16 sport + 4 dst addr + u16 dport   (13 bytes total)
 *                AF_INET6  16 + u16 + 16 + u16                                (37 bytes total)
 *                AF_UNIX   u64 source (struct sock *), u64 dest (peer sock *), then path bytes
 *
 * TRUNCATION: a bounded string/buffer that did not fit is stored cut to the bound, its lens[] entry
 * gets KREC_PARAM_TRUNC, and the record gets KREC_F_TRUNCATED. Never silent: user space counts it.
 * A param whose user memory could not be read (fault) is stored with length 0 and the record gets
 * KREC_F_READ_FAULT.
 *
 * LIFECYCLE RECORDS
 *   CLONE/CLONE3/FORK/VFORK: one record per new task, emitted with the PARENT in the header;
 *     ret = child host tid; params tid/pid/ptid/vtid/vpid describe the CHILD; flags = clone flags
 *     (CLONE_THREAD set for threads). exe/args/cwd/comm/cgroups may be empty (the child inherits
 *     the parent's, which user space already has). vm_size/vm_rss/vm_swap: the child's memory in
 *     KiB (rss = file + anon + shmem pages); pidns_init_start_ts: CLOCK_BOOTTIME ns at which the
 *     init (child_reaper) of the child's pid namespace started (the host's pid 1 for the initial one).
 *   EXECVE/EXECVEAT: emitted on completion (success: ret 0, header describes the task AFTER exec;
 *     failure: ret -errno and only res/filename need be filled). On success tid/pid/ptid, exe,
 *     args, cwd, comm, env, tty, pgid, loginuid, cap_*, exe_ino*, trusted_exepath, flags
 *     (KEXE_F_* execve_flags: writable/upper-layer/from-memfd/lower-layer), vm_size/vm_rss/vm_swap
 *     (KiB, of the new image) should be filled.
 *   PROCEXIT: one per exiting thread (sched_process_exit); header describes the exiting thread;
 *     ret = exit code (status).
 *
 * RECVMSG msgcontrol: the control (ancillary) data the call returned, as struct cmsghdr records
 *   back to back, at most KESTREL_MAX_DATA bytes (truncation flagged); empty on failure or none.
 *
 * BATCHES: user space receives many records back to back in one buffer (one JS crossing per
 * batch); the stride is `len`. The producer (addon) copies exactly `len` bytes per record.
 */
#ifndef KESTREL_EVENTS_H
#define KESTREL_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KESTREL_RECORD_ALIGN 8
#define KESTREL_HDR_SIZE 96
#define KESTREL_MAX_PATH 4096  /* paths and other strings */
#define KESTREL_MAX_ARGS 4096  /* argv area */
#define KESTREL_MAX_ENV 4096   /* environment area */
#define KESTREL_MAX_DATA 256   /* I/O data snapshots (sendto/recvfrom `data`) */
#define KESTREL_MAX_CGROUPS 1024
#define KESTREL_MAX_PARAMS 32
#define KESTREL_MAX_RECORD 65536 /* upper bound of len */

/* record flags (kestrel_hdr.flags) */
#define KREC_F_TRUNCATED 0x0001  /* at least one param carries KREC_PARAM_TRUNC */
#define KREC_F_READ_FAULT 0x0002 /* at least one param could not be read (stored empty) */
#define KREC_F_SYNTHETIC 0x8000  /* made by the test builder, not the kernel */

/* per-param length word */
#define KREC_PARAM_TRUNC 0x8000
#define KREC_PARAM_LEN_MASK 0x7fff

/* execve/execveat `flags` param (Falco's execve_flags, PPM_EXE_*) */
#define KEXE_F_WRITABLE 0x1
#define KEXE_F_UPPER_LAYER 0x2
#define KEXE_F_FROM_MEMFD 0x4
#define KEXE_F_LOWER_LAYER 0x8

struct kestrel_hdr {
	__u64 ts;
	__u32 len;
	__u16 type;
	__u16 flags;
	__s64 ret;
	__u64 cgroup_id;
	__u32 tid;
	__u32 pid;
	__u32 ppid;
	__u32 vtid;
	__u32 vpid;
	__u32 uid;
	__u32 gid;
	__u32 loginuid;
	__u32 mnt_ns;
	__u32 pid_ns;
	char comm[16];
	__u16 nparams;
	__u16 cpu;
	__u32 reserved;
	/* __u16 lens[nparams]; params... */
};

/* Param value types (Falco's PT_* names; encodings above). */
enum kestrel_param_type {
	KPT_NONE = 0,
	KPT_FD = 1,
	KPT_ERRNO = 2,
	KPT_PID = 3,
	KPT_INT64 = 4,
	KPT_UINT64 = 5,
	KPT_UINT32 = 6,
	KPT_INT32 = 7,
	KPT_UINT16 = 8,
	KPT_UINT8 = 9,
	KPT_FLAGS32 = 10,
	KPT_ENUMFLAGS32 = 11,
	KPT_ENUMFLAGS16 = 12,
	KPT_ENUMFLAGS8 = 13,
	KPT_MODE = 14,
	KPT_UID = 15,
	KPT_GID = 16,
	KPT_SIGTYPE = 17,
	KPT_ABSTIME = 18,
	KPT_CHARBUF = 19,
	KPT_FSPATH = 20,
	KPT_FSRELPATH = 21,
	KPT_BYTEBUF = 22,
	KPT_ARGV = 23,
	KPT_SOCKADDR = 24,
	KPT_SOCKTUPLE = 25,
};

/*
 * The event table: EV(NAME, code, "falco event name", params) with params a sequence of
 * P(NAME, param_name, TYPE). Codes are stable (captures store them); add, never renumber.
 * Several codes may share a Falco name. SWITCH is never produced (rules may name it).
 * A new event also needs a row in KESTREL_FD_TABLE below when it uses or creates an fd.
 */
#define KESTREL_CLONE_PARAMS(P, E) \
	P(E, res, PID) P(E, exe, CHARBUF) P(E, args, ARGV) P(E, tid, PID) P(E, pid, PID) P(E, ptid, PID) \
	P(E, cwd, CHARBUF) P(E, fdlimit, INT64) P(E, pgft_maj, UINT64) P(E, pgft_min, UINT64) \
	P(E, vm_size, UINT32) P(E, vm_rss, UINT32) P(E, vm_swap, UINT32) P(E, comm, CHARBUF) \
	P(E, cgroups, ARGV) P(E, flags, FLAGS32) P(E, uid, UINT32) P(E, gid, UINT32) P(E, vtid, PID) \
	P(E, vpid, PID) P(E, pidns_init_start_ts, UINT64)

#define KESTREL_EXEC_PARAMS(P, E) \
	P(E, res, ERRNO) P(E, exe, CHARBUF) P(E, args, ARGV) P(E, tid, PID) P(E, pid, PID) P(E, ptid, PID) \
	P(E, cwd, CHARBUF) P(E, fdlimit, UINT64) P(E, pgft_maj, UINT64) P(E, pgft_min, UINT64) \
	P(E, vm_size, UINT32) P(E, vm_rss, UINT32) P(E, vm_swap, UINT32) P(E, comm, CHARBUF) \
	P(E, cgroups, ARGV) P(E, env, ARGV) P(E, tty, UINT32) P(E, pgid, PID) P(E, loginuid, UID) \
	P(E, flags, FLAGS32) P(E, cap_inheritable, UINT64) P(E, cap_permitted, UINT64) \
	P(E, cap_effective, UINT64) P(E, exe_ino, UINT64) P(E, exe_ino_ctime, ABSTIME) \
	P(E, exe_ino_mtime, ABSTIME) P(E, uid, UID) P(E, trusted_exepath, FSPATH)

#define KESTREL_EVENT_TABLE(EV, P) \
	EV(NONE, 0, "NA", ) \
	EV(OPEN, 1, "open", P(OPEN, fd, FD) P(OPEN, name, FSPATH) P(OPEN, flags, FLAGS32) P(OPEN, mode, UINT32) P(OPEN, dev, UINT32) P(OPEN, ino, UINT64)) \
	EV(OPENAT, 2, "openat", P(OPENAT, fd, FD) P(OPENAT, dirfd, FD) P(OPENAT, name, FSRELPATH) P(OPENAT, flags, FLAGS32) P(OPENAT, mode, UINT32) P(OPENAT, dev, UINT32) P(OPENAT, ino, UINT64)) \
	EV(OPENAT2, 3, "openat2", P(OPENAT2, fd, FD) P(OPENAT2, dirfd, FD) P(OPENAT2, name, FSRELPATH) P(OPENAT2, flags, FLAGS32) P(OPENAT2, mode, UINT32) P(OPENAT2, resolve, FLAGS32) P(OPENAT2, dev, UINT32) P(OPENAT2, ino, UINT64)) \
	EV(CREAT, 4, "creat", P(CREAT, fd, FD) P(CREAT, name, FSPATH) P(CREAT, mode, UINT32) P(CREAT, dev, UINT32) P(CREAT, ino, UINT64)) \
	EV(CLOSE, 5, "close", P(CLOSE, res, ERRNO) P(CLOSE, fd, FD)) \
	EV(CHDIR, 6, "chdir", P(CHDIR, res, ERRNO) P(CHDIR, path, CHARBUF)) \
	EV(FCHDIR, 7, "fchdir", P(FCHDIR, res, ERRNO) P(FCHDIR, fd, FD)) \
	EV(MKDIR, 8, "mkdir", P(MKDIR, res, ERRNO) P(MKDIR, path, FSPATH) P(MKDIR, mode, UINT32)) \
	EV(MKDIRAT, 9, "mkdirat", P(MKDIRAT, res, ERRNO) P(MKDIRAT, dirfd, FD) P(MKDIRAT, path, FSRELPATH) P(MKDIRAT, mode, UINT32)) \
	EV(RMDIR, 10, "rmdir", P(RMDIR, res, ERRNO) P(RMDIR, path, FSPATH)) \
	EV(UNLINK, 11, "unlink", P(UNLINK, res, ERRNO) P(UNLINK, path, FSPATH)) \
	EV(UNLINKAT, 12, "unlinkat", P(UNLINKAT, res, ERRNO) P(UNLINKAT, dirfd, FD) P(UNLINKAT, name, FSRELPATH) P(UNLINKAT, flags, FLAGS32)) \
	EV(LINK, 13, "link", P(LINK, res, ERRNO) P(LINK, oldpath, FSPATH) P(LINK, newpath, FSPATH)) \
	EV(LINKAT, 14, "linkat", P(LINKAT, res, ERRNO) P(LINKAT, olddir, FD) P(LINKAT, oldpath, FSRELPATH) P(LINKAT, newdir, FD) P(LINKAT, newpath, FSRELPATH) P(LINKAT, flags, FLAGS32)) \
	EV(SYMLINK, 15, "symlink", P(SYMLINK, res, ERRNO) P(SYMLINK, target, CHARBUF) P(SYMLINK, linkpath, FSPATH)) \
	EV(SYMLINKAT, 16, "symlinkat", P(SYMLINKAT, res, ERRNO) P(SYMLINKAT, target, CHARBUF) P(SYMLINKAT, linkdirfd, FD) P(SYMLINKAT, linkpath, FSRELPATH)) \
	EV(RENAME, 17, "rename", P(RENAME, res, ERRNO) P(RENAME, oldpath, FSPATH) P(RENAME, newpath, FSPATH)) \
	EV(RENAMEAT, 18, "renameat", P(RENAMEAT, res, ERRNO) P(RENAMEAT, olddirfd, FD) P(RENAMEAT, oldpath, FSRELPATH) P(RENAMEAT, newdirfd, FD) P(RENAMEAT, newpath, FSRELPATH)) \
	EV(RENAMEAT2, 19, "renameat2", P(RENAMEAT2, res, ERRNO) P(RENAMEAT2, olddirfd, FD) P(RENAMEAT2, oldpath, FSRELPATH) P(RENAMEAT2, newdirfd, FD) P(RENAMEAT2, newpath, FSRELPATH) P(RENAMEAT2, flags, FLAGS32)) \
	EV(CHMOD, 20, "chmod", P(CHMOD, res, ERRNO) P(CHMOD, filename, FSPATH) P(CHMOD, mode, MODE)) \
	EV(FCHMOD, 21, "fchmod", P(FCHMOD, res, ERRNO) P(FCHMOD, fd, FD) P(FCHMOD, mode, MODE)) \
	EV(FCHMODAT, 22, "fchmodat", P(FCHMODAT, res, ERRNO) P(FCHMODAT, dirfd, FD) P(FCHMODAT, filename, FSRELPATH) P(FCHMODAT, mode, MODE)) \
	EV(MOUNT, 23, "mount", P(MOUNT, res, ERRNO) P(MOUNT, dev, CHARBUF) P(MOUNT, dir, FSPATH) P(MOUNT, type, CHARBUF) P(MOUNT, flags, FLAGS32)) \
	EV(UMOUNT2, 24, "umount2", P(UMOUNT2, res, ERRNO) P(UMOUNT2, name, FSPATH) P(UMOUNT2, flags, FLAGS32)) \
	EV(CHROOT, 25, "chroot", P(CHROOT, res, ERRNO) P(CHROOT, path, FSPATH)) \
	EV(MEMFD_CREATE, 26, "memfd_create", P(MEMFD_CREATE, fd, FD) P(MEMFD_CREATE, name, CHARBUF) P(MEMFD_CREATE, flags, FLAGS32)) \
	EV(USERFAULTFD, 27, "userfaultfd", P(USERFAULTFD, res, ERRNO) P(USERFAULTFD, flags, FLAGS32)) \
	EV(DUP, 28, "dup", P(DUP, res, FD) P(DUP, oldfd, FD)) \
	EV(DUP2, 29, "dup2", P(DUP2, res, FD) P(DUP2, oldfd, FD) P(DUP2, newfd, FD)) \
	EV(DUP3, 30, "dup3", P(DUP3, res, FD) P(DUP3, oldfd, FD) P(DUP3, newfd, FD) P(DUP3, flags, FLAGS32)) \
	EV(FCNTL, 31, "fcntl", P(FCNTL, res, FD) P(FCNTL, fd, FD) P(FCNTL, cmd, ENUMFLAGS32)) \
	EV(PIPE, 32, "pipe", P(PIPE, res, ERRNO) P(PIPE, fd1, FD) P(PIPE, fd2, FD) P(PIPE, ino, UINT64)) \
	EV(PIPE2, 33, "pipe2", P(PIPE2, res, ERRNO) P(PIPE2, fd1, FD) P(PIPE2, fd2, FD) P(PIPE2, ino, UINT64) P(PIPE2, flags, FLAGS32)) \
	EV(SOCKET, 34, "socket", P(SOCKET, fd, FD) P(SOCKET, domain, ENUMFLAGS32) P(SOCKET, type, UINT32) P(SOCKET, proto, UINT32)) \
	EV(SOCKETPAIR, 35, "socketpair", P(SOCKETPAIR, res, ERRNO) P(SOCKETPAIR, fd1, FD) P(SOCKETPAIR, fd2, FD) P(SOCKETPAIR, source, UINT64) P(SOCKETPAIR, peer, UINT64) P(SOCKETPAIR, domain, ENUMFLAGS32) P(SOCKETPAIR, type, UINT32) P(SOCKETPAIR, proto, UINT32)) \
	EV(BIND, 36, "bind", P(BIND, res, ERRNO) P(BIND, addr, SOCKADDR) P(BIND, fd, FD)) \
	EV(CONNECT, 37, "connect", P(CONNECT, res, ERRNO) P(CONNECT, tuple, SOCKTUPLE) P(CONNECT, fd, FD) P(CONNECT, addr, SOCKADDR)) \
	EV(LISTEN, 38, "listen", P(LISTEN, res, ERRNO) P(LISTEN, fd, FD) P(LISTEN, backlog, INT32)) \
	EV(ACCEPT, 39, "accept", P(ACCEPT, fd, FD) P(ACCEPT, tuple, SOCKTUPLE) P(ACCEPT, queuepct, UINT8) P(ACCEPT, queuelen, UINT32) P(ACCEPT, queuemax, UINT32)) \
	EV(ACCEPT4, 40, "accept4", P(ACCEPT4, fd, FD) P(ACCEPT4, tuple, SOCKTUPLE) P(ACCEPT4, queuepct, UINT8) P(ACCEPT4, queuelen, UINT32) P(ACCEPT4, queuemax, UINT32) P(ACCEPT4, flags, INT32)) \
	EV(SENDTO, 41, "sendto", P(SENDTO, res, ERRNO) P(SENDTO, data, BYTEBUF) P(SENDTO, fd, FD) P(SENDTO, size, UINT32) P(SENDTO, tuple, SOCKTUPLE)) \
	EV(SENDMSG, 42, "sendmsg", P(SENDMSG, res, ERRNO) P(SENDMSG, data, BYTEBUF) P(SENDMSG, fd, FD) P(SENDMSG, size, UINT32) P(SENDMSG, tuple, SOCKTUPLE)) \
	EV(RECVFROM, 43, "recvfrom", P(RECVFROM, res, ERRNO) P(RECVFROM, data, BYTEBUF) P(RECVFROM, tuple, SOCKTUPLE) P(RECVFROM, fd, FD) P(RECVFROM, size, UINT32)) \
	EV(RECVMSG, 44, "recvmsg", P(RECVMSG, res, ERRNO) P(RECVMSG, size, UINT32) P(RECVMSG, data, BYTEBUF) P(RECVMSG, tuple, SOCKTUPLE) P(RECVMSG, msgcontrol, BYTEBUF) P(RECVMSG, fd, FD)) \
	EV(CLONE, 45, "clone", KESTREL_CLONE_PARAMS(P, CLONE)) \
	EV(CLONE3, 46, "clone3", KESTREL_CLONE_PARAMS(P, CLONE3)) \
	EV(FORK, 47, "fork", KESTREL_CLONE_PARAMS(P, FORK)) \
	EV(VFORK, 48, "vfork", KESTREL_CLONE_PARAMS(P, VFORK)) \
	EV(EXECVE, 49, "execve", KESTREL_EXEC_PARAMS(P, EXECVE) P(EXECVE, filename, FSPATH)) \
	EV(EXECVEAT, 50, "execveat", KESTREL_EXEC_PARAMS(P, EXECVEAT) P(EXECVEAT, dirfd, FD) P(EXECVEAT, pathname, FSRELPATH)) \
	EV(PROCEXIT, 51, "procexit", P(PROCEXIT, status, ERRNO) P(PROCEXIT, ret, ERRNO) P(PROCEXIT, sig, SIGTYPE) P(PROCEXIT, core, UINT8) P(PROCEXIT, reaper_tid, PID)) \
	EV(SETUID, 52, "setuid", P(SETUID, res, ERRNO) P(SETUID, uid, UID)) \
	EV(SETGID, 53, "setgid", P(SETGID, res, ERRNO) P(SETGID, gid, GID)) \
	EV(SETRESUID, 54, "setresuid", P(SETRESUID, res, ERRNO) P(SETRESUID, ruid, UID) P(SETRESUID, euid, UID) P(SETRESUID, suid, UID)) \
	EV(SETRESGID, 55, "setresgid", P(SETRESGID, res, ERRNO) P(SETRESGID, rgid, GID) P(SETRESGID, egid, GID) P(SETRESGID, sgid, GID)) \
	EV(SETREUID, 56, "setreuid", P(SETREUID, res, ERRNO) P(SETREUID, ruid, UID) P(SETREUID, euid, UID)) \
	EV(SETREGID, 57, "setregid", P(SETREGID, res, ERRNO) P(SETREGID, rgid, GID) P(SETREGID, egid, GID)) \
	EV(SETSID, 58, "setsid", P(SETSID, res, PID)) \
	EV(SETPGID, 59, "setpgid", P(SETPGID, res, PID) P(SETPGID, pid, PID) P(SETPGID, pgid, PID)) \
	EV(PRCTL, 60, "prctl", P(PRCTL, res, ERRNO) P(PRCTL, option, ENUMFLAGS32) P(PRCTL, arg2_str, CHARBUF) P(PRCTL, arg2_int, INT64)) \
	EV(CAPSET, 61, "capset", P(CAPSET, res, ERRNO) P(CAPSET, cap_inheritable, UINT64) P(CAPSET, cap_permitted, UINT64) P(CAPSET, cap_effective, UINT64)) \
	EV(SETNS, 62, "setns", P(SETNS, res, ERRNO) P(SETNS, fd, FD) P(SETNS, nstype, FLAGS32)) \
	EV(UNSHARE, 63, "unshare", P(UNSHARE, res, ERRNO) P(UNSHARE, flags, FLAGS32)) \
	EV(PTRACE, 64, "ptrace", P(PTRACE, res, ERRNO) P(PTRACE, addr, UINT64) P(PTRACE, data, UINT64) P(PTRACE, request, ENUMFLAGS16) P(PTRACE, pid, PID)) \
	EV(KILL, 65, "kill", P(KILL, res, ERRNO) P(KILL, pid, PID) P(KILL, sig, SIGTYPE)) \
	EV(BPF, 66, "bpf", P(BPF, fd, FD) P(BPF, cmd, INT32)) \
	EV(INIT_MODULE, 67, "init_module", P(INIT_MODULE, res, ERRNO) P(INIT_MODULE, img, BYTEBUF) P(INIT_MODULE, length, UINT64) P(INIT_MODULE, uargs, CHARBUF)) \
	EV(FINIT_MODULE, 68, "finit_module", P(FINIT_MODULE, res, ERRNO) P(FINIT_MODULE, fd, FD) P(FINIT_MODULE, uargs, CHARBUF) P(FINIT_MODULE, flags, FLAGS32)) \
	EV(SWITCH, 69, "switch", P(SWITCH, next, PID))

/*
 * File-descriptor semantics (Falco's EF_USES_FD and EF_CREATES_FD event flags), for user space's
 * fd table and fd.* fields: FD(NAME, uses, creates) where
 *   uses     the param (of event NAME) holding the fd the event works on, or `none`
 *   creates  1 when the event's return value (its first param) is a new fd, else 0
 * Events not listed neither use nor create an fd (e.g. pipe/socketpair return theirs in params).
 */
#define KESTREL_FD_TABLE(FD) \
	FD(OPEN, none, 1) \
	FD(OPENAT, none, 1) \
	FD(OPENAT2, none, 1) \
	FD(CREAT, none, 1) \
	FD(CLOSE, fd, 0) \
	FD(FCHDIR, fd, 0) \
	FD(FCHMOD, fd, 0) \
	FD(MEMFD_CREATE, none, 1) \
	FD(USERFAULTFD, none, 1) \
	FD(DUP, oldfd, 1) \
	FD(DUP2, oldfd, 1) \
	FD(DUP3, oldfd, 1) \
	FD(FCNTL, fd, 0) \
	FD(SOCKET, none, 1) \
	FD(BIND, fd, 0) \
	FD(CONNECT, fd, 0) \
	FD(LISTEN, fd, 0) \
	FD(ACCEPT, none, 1) \
	FD(ACCEPT4, none, 1) \
	FD(SENDTO, fd, 0) \
	FD(SENDMSG, fd, 0) \
	FD(RECVFROM, fd, 0) \
	FD(RECVMSG, fd, 0) \
	FD(SETNS, fd, 0) \
	FD(BPF, none, 1) \
	FD(FINIT_MODULE, fd, 0)

/* enum kestrel_event_type: KT_OPEN, KT_OPENAT, ... */
#define KESTREL__EV_ENUM(name, code, falco, params) KT_##name = code,
#define KESTREL__P_NONE(ev, pname, ptype)
enum kestrel_event_type {
	KESTREL_EVENT_TABLE(KESTREL__EV_ENUM, KESTREL__P_NONE)
	KT__COUNT
};
#undef KESTREL__EV_ENUM

/*
 * Per event, the param slots: KP_OPENAT_fd = 0, KP_OPENAT_dirfd = 1, ..., KP_OPENAT__COUNT, and
 * KP_OPENAT_none = -1 (the `none` of KESTREL_FD_TABLE).
 */
#define KESTREL__EV_PARAMS(name, code, falco, params) enum { KP_##name##_none = -1, params KP_##name##__COUNT };
#define KESTREL__P_INDEX(ev, pname, ptype) KP_##ev##_##pname,
KESTREL_EVENT_TABLE(KESTREL__EV_PARAMS, KESTREL__P_INDEX)
#undef KESTREL__EV_PARAMS
#undef KESTREL__P_INDEX
#undef KESTREL__P_NONE

/* Number of params (lens[] entries) a record of event NAME carries, e.g. KESTREL_NPARAMS(OPENAT). */
#define KESTREL_NPARAMS(name) KP_##name##__COUNT

/* Offset of the first param byte for a record of event NAME. */
#define KESTREL_PARAMS_OFFSET(name) (KESTREL_HDR_SIZE + 2 * KESTREL_NPARAMS(name))

#endif /* KESTREL_EVENTS_H */
