/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* File-system and fd syscalls. Param order: native/events.h KESTREL_EVENT_TABLE. */
#ifndef KESTREL_BPF_PROGS_FS_H
#define KESTREL_BPF_PROGS_FS_H

#include "hook.h"

static __always_inline void push_opened(struct rec *r, long fd)
{
	struct file *f = fd >= 0 ? fd_file(bpf_get_current_task_btf(), fd) : NULL;
	push_file_dev_ino(r, f);
}

SYS_EXIT(open, OPEN)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, A(1));
	push_u32(r, A(2));
	push_opened(r, ret);
}

SYS_EXIT(openat, OPENAT)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, A(2));
	push_u32(r, A(3));
	push_opened(r, ret);
}

SYS_EXIT(openat2, OPENAT2)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), UPTR(2));
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, how.flags);
	push_u32(r, how.mode);
	push_u32(r, how.resolve);
	push_opened(r, ret);
}

SYS_EXIT(creat, CREAT)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, A(1));
	push_opened(r, ret);
}

SYS_EXIT(close, CLOSE)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
}

SYS_EXIT(chdir, CHDIR)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(fchdir, FCHDIR)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
}

SYS_EXIT(mkdir, MKDIR)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, A(1));
}

SYS_EXIT(mkdirat, MKDIRAT)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, A(2));
}

SYS_EXIT(rmdir, RMDIR)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(unlink, UNLINK)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(unlinkat, UNLINKAT)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, A(2));
}

SYS_EXIT(link, LINK)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
}

SYS_EXIT(linkat, LINKAT)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u64(r, AINT(2));
	push_user_str(r, UPTR(3), KESTREL_MAX_PATH);
	push_u32(r, A(4));
}

SYS_EXIT(symlink, SYMLINK)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
}

SYS_EXIT(symlinkat, SYMLINKAT)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_u64(r, AINT(1));
	push_user_str(r, UPTR(2), KESTREL_MAX_PATH);
}

SYS_EXIT(rename, RENAME)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
}

SYS_EXIT(renameat, RENAMEAT)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u64(r, AINT(2));
	push_user_str(r, UPTR(3), KESTREL_MAX_PATH);
}

SYS_EXIT(renameat2, RENAMEAT2)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u64(r, AINT(2));
	push_user_str(r, UPTR(3), KESTREL_MAX_PATH);
	push_u32(r, A(4));
}

SYS_EXIT(chmod, CHMOD)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, A(1));
}

SYS_EXIT(fchmod, FCHMOD)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_u32(r, A(1));
}

SYS_EXIT(fchmodat, FCHMODAT)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, A(2));
}

SYS_EXIT(mount, MOUNT)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, UPTR(1), KESTREL_MAX_PATH);
	push_user_str(r, UPTR(2), 256);
	push_u32(r, A(3));
}

/* umount2(2) is the kernel's "umount" syscall */
SYS_EXIT(umount, UMOUNT2)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, A(1));
}

SYS_EXIT(chroot, CHROOT)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(memfd_create, MEMFD_CREATE)
{
	push_u64(r, ret);
	push_user_str(r, UPTR(0), 256);
	push_u32(r, A(1));
}

SYS_EXIT(userfaultfd, USERFAULTFD)
{
	push_u64(r, ret);
	push_u32(r, A(0));
}

SYS_EXIT(dup, DUP)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
}

SYS_EXIT(dup2, DUP2)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_u64(r, AINT(1));
}

SYS_EXIT(dup3, DUP3)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_u64(r, AINT(1));
	push_u32(r, A(2));
}

SYS_EXIT(fcntl, FCNTL)
{
	push_u64(r, ret);
	push_u64(r, AINT(0));
	push_u32(r, A(1)); /* raw F_* cmd */
}

static __always_inline void push_pipe(struct rec *r, const void *ufds, long ret)
{
	int fds[2] = {-1, -1};
	struct file *f;

	if (ret == 0)
		bpf_probe_read_user(fds, sizeof(fds), ufds);
	push_u64(r, ret);
	push_u64(r, fds[0]);
	push_u64(r, fds[1]);
	f = ret == 0 ? fd_file(bpf_get_current_task_btf(), fds[0]) : NULL;
	if (f)
		push_u64(r, BPF_CORE_READ(f, f_inode, i_ino));
	else
		push_empty(r);
}

SYS_EXIT(pipe, PIPE)
{
	push_pipe(r, UPTR(0), ret);
}

SYS_EXIT(pipe2, PIPE2)
{
	push_pipe(r, UPTR(0), ret);
	push_u32(r, A(1));
}

#endif
