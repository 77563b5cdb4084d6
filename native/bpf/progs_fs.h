/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* File-system and fd syscalls. Params are filled by their native/events.h slots (KP_*; record.h). */
#ifndef KESTREL_BPF_PROGS_FS_H
#define KESTREL_BPF_PROGS_FS_H

#include "hook.h"

static __always_inline struct file *opened_file(long fd)
{
	return fd >= 0 ? fd_file(bpf_get_current_task_btf(), fd) : NULL;
}
/* The `dev` and `ino` params of event EV for the file the syscall opened as fd. */
#define push_opened(r, EV, fd) push_file_dev_ino(r, KP_##EV##_dev, KP_##EV##_ino, opened_file(fd))

SYS_EXIT(open, OPEN)
{
	push_u64(r, KP_OPEN_fd, ret);
	push_user_str(r, KP_OPEN_name, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, KP_OPEN_flags, A(1));
	push_u32(r, KP_OPEN_mode, A(2));
	push_opened(r, OPEN, ret);
}

SYS_EXIT(openat, OPENAT)
{
	push_u64(r, KP_OPENAT_fd, ret);
	push_u64(r, KP_OPENAT_dirfd, AINT(0));
	push_user_str(r, KP_OPENAT_name, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, KP_OPENAT_flags, A(2));
	push_u32(r, KP_OPENAT_mode, A(3));
	push_opened(r, OPENAT, ret);
}

SYS_EXIT(openat2, OPENAT2)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), UPTR(2));
	push_u64(r, KP_OPENAT2_fd, ret);
	push_u64(r, KP_OPENAT2_dirfd, AINT(0));
	push_user_str(r, KP_OPENAT2_name, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, KP_OPENAT2_flags, how.flags);
	push_u32(r, KP_OPENAT2_mode, how.mode);
	push_u32(r, KP_OPENAT2_resolve, how.resolve);
	push_opened(r, OPENAT2, ret);
}

SYS_EXIT(creat, CREAT)
{
	push_u64(r, KP_CREAT_fd, ret);
	push_user_str(r, KP_CREAT_name, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, KP_CREAT_mode, A(1));
	push_opened(r, CREAT, ret);
}

SYS_EXIT(close, CLOSE)
{
	push_u64(r, KP_CLOSE_res, ret);
	push_u64(r, KP_CLOSE_fd, AINT(0));
}

SYS_EXIT(chdir, CHDIR)
{
	push_u64(r, KP_CHDIR_res, ret);
	push_user_str(r, KP_CHDIR_path, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(fchdir, FCHDIR)
{
	push_u64(r, KP_FCHDIR_res, ret);
	push_u64(r, KP_FCHDIR_fd, AINT(0));
}

SYS_EXIT(mkdir, MKDIR)
{
	push_u64(r, KP_MKDIR_res, ret);
	push_user_str(r, KP_MKDIR_path, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, KP_MKDIR_mode, A(1));
}

SYS_EXIT(mkdirat, MKDIRAT)
{
	push_u64(r, KP_MKDIRAT_res, ret);
	push_u64(r, KP_MKDIRAT_dirfd, AINT(0));
	push_user_str(r, KP_MKDIRAT_path, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, KP_MKDIRAT_mode, A(2));
}

SYS_EXIT(rmdir, RMDIR)
{
	push_u64(r, KP_RMDIR_res, ret);
	push_user_str(r, KP_RMDIR_path, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(unlink, UNLINK)
{
	push_u64(r, KP_UNLINK_res, ret);
	push_user_str(r, KP_UNLINK_path, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(unlinkat, UNLINKAT)
{
	push_u64(r, KP_UNLINKAT_res, ret);
	push_u64(r, KP_UNLINKAT_dirfd, AINT(0));
	push_user_str(r, KP_UNLINKAT_name, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, KP_UNLINKAT_flags, A(2));
}

SYS_EXIT(link, LINK)
{
	push_u64(r, KP_LINK_res, ret);
	push_user_str(r, KP_LINK_oldpath, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, KP_LINK_newpath, UPTR(1), KESTREL_MAX_PATH);
}

SYS_EXIT(linkat, LINKAT)
{
	push_u64(r, KP_LINKAT_res, ret);
	push_u64(r, KP_LINKAT_olddir, AINT(0));
	push_user_str(r, KP_LINKAT_oldpath, UPTR(1), KESTREL_MAX_PATH);
	push_u64(r, KP_LINKAT_newdir, AINT(2));
	push_user_str(r, KP_LINKAT_newpath, UPTR(3), KESTREL_MAX_PATH);
	push_u32(r, KP_LINKAT_flags, A(4));
}

SYS_EXIT(symlink, SYMLINK)
{
	push_u64(r, KP_SYMLINK_res, ret);
	push_user_str(r, KP_SYMLINK_target, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, KP_SYMLINK_linkpath, UPTR(1), KESTREL_MAX_PATH);
}

SYS_EXIT(symlinkat, SYMLINKAT)
{
	push_u64(r, KP_SYMLINKAT_res, ret);
	push_user_str(r, KP_SYMLINKAT_target, UPTR(0), KESTREL_MAX_PATH);
	push_u64(r, KP_SYMLINKAT_linkdirfd, AINT(1));
	push_user_str(r, KP_SYMLINKAT_linkpath, UPTR(2), KESTREL_MAX_PATH);
}

SYS_EXIT(rename, RENAME)
{
	push_u64(r, KP_RENAME_res, ret);
	push_user_str(r, KP_RENAME_oldpath, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, KP_RENAME_newpath, UPTR(1), KESTREL_MAX_PATH);
}

SYS_EXIT(renameat, RENAMEAT)
{
	push_u64(r, KP_RENAMEAT_res, ret);
	push_u64(r, KP_RENAMEAT_olddirfd, AINT(0));
	push_user_str(r, KP_RENAMEAT_oldpath, UPTR(1), KESTREL_MAX_PATH);
	push_u64(r, KP_RENAMEAT_newdirfd, AINT(2));
	push_user_str(r, KP_RENAMEAT_newpath, UPTR(3), KESTREL_MAX_PATH);
}

SYS_EXIT(renameat2, RENAMEAT2)
{
	push_u64(r, KP_RENAMEAT2_res, ret);
	push_u64(r, KP_RENAMEAT2_olddirfd, AINT(0));
	push_user_str(r, KP_RENAMEAT2_oldpath, UPTR(1), KESTREL_MAX_PATH);
	push_u64(r, KP_RENAMEAT2_newdirfd, AINT(2));
	push_user_str(r, KP_RENAMEAT2_newpath, UPTR(3), KESTREL_MAX_PATH);
	push_u32(r, KP_RENAMEAT2_flags, A(4));
}

SYS_EXIT(chmod, CHMOD)
{
	push_u64(r, KP_CHMOD_res, ret);
	push_user_str(r, KP_CHMOD_filename, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, KP_CHMOD_mode, A(1));
}

SYS_EXIT(fchmod, FCHMOD)
{
	push_u64(r, KP_FCHMOD_res, ret);
	push_u64(r, KP_FCHMOD_fd, AINT(0));
	push_u32(r, KP_FCHMOD_mode, A(1));
}

SYS_EXIT(fchmodat, FCHMODAT)
{
	push_u64(r, KP_FCHMODAT_res, ret);
	push_u64(r, KP_FCHMODAT_dirfd, AINT(0));
	push_user_str(r, KP_FCHMODAT_filename, UPTR(1), KESTREL_MAX_PATH);
	push_u32(r, KP_FCHMODAT_mode, A(2));
}

SYS_EXIT(mount, MOUNT)
{
	push_u64(r, KP_MOUNT_res, ret);
	push_user_str(r, KP_MOUNT_dev, UPTR(0), KESTREL_MAX_PATH);
	push_user_str(r, KP_MOUNT_dir, UPTR(1), KESTREL_MAX_PATH);
	push_user_str(r, KP_MOUNT_type, UPTR(2), 256);
	push_u32(r, KP_MOUNT_flags, A(3));
}

/* umount2(2) is the kernel's "umount" syscall */
SYS_EXIT(umount, UMOUNT2)
{
	push_u64(r, KP_UMOUNT2_res, ret);
	push_user_str(r, KP_UMOUNT2_name, UPTR(0), KESTREL_MAX_PATH);
	push_u32(r, KP_UMOUNT2_flags, A(1));
}

SYS_EXIT(chroot, CHROOT)
{
	push_u64(r, KP_CHROOT_res, ret);
	push_user_str(r, KP_CHROOT_path, UPTR(0), KESTREL_MAX_PATH);
}

SYS_EXIT(memfd_create, MEMFD_CREATE)
{
	push_u64(r, KP_MEMFD_CREATE_fd, ret);
	push_user_str(r, KP_MEMFD_CREATE_name, UPTR(0), 256);
	push_u32(r, KP_MEMFD_CREATE_flags, A(1));
}

SYS_EXIT(userfaultfd, USERFAULTFD)
{
	push_u64(r, KP_USERFAULTFD_res, ret);
	push_u32(r, KP_USERFAULTFD_flags, A(0));
}

SYS_EXIT(dup, DUP)
{
	push_u64(r, KP_DUP_res, ret);
	push_u64(r, KP_DUP_oldfd, AINT(0));
}

SYS_EXIT(dup2, DUP2)
{
	push_u64(r, KP_DUP2_res, ret);
	push_u64(r, KP_DUP2_oldfd, AINT(0));
	push_u64(r, KP_DUP2_newfd, AINT(1));
}

SYS_EXIT(dup3, DUP3)
{
	push_u64(r, KP_DUP3_res, ret);
	push_u64(r, KP_DUP3_oldfd, AINT(0));
	push_u64(r, KP_DUP3_newfd, AINT(1));
	push_u32(r, KP_DUP3_flags, A(2));
}

SYS_EXIT(fcntl, FCNTL)
{
	push_u64(r, KP_FCNTL_res, ret);
	push_u64(r, KP_FCNTL_fd, AINT(0));
	push_u32(r, KP_FCNTL_cmd, A(1)); /* raw F_* cmd */
}

/* res, fd1, fd2, ino: the slots of PIPE, which PIPE2 shares. */
_Static_assert(KP_PIPE_res == KP_PIPE2_res && KP_PIPE_fd1 == KP_PIPE2_fd1 && KP_PIPE_fd2 == KP_PIPE2_fd2 &&
		       KP_PIPE_ino == KP_PIPE2_ino,
	       "pipe and pipe2 share their first params");
static __always_inline void push_pipe(struct rec *r, const void *ufds, long ret)
{
	int fds[2] = {-1, -1};
	struct file *f;

	if (ret == 0)
		bpf_probe_read_user(fds, sizeof(fds), ufds);
	push_u64(r, KP_PIPE_res, ret);
	push_u64(r, KP_PIPE_fd1, fds[0]);
	push_u64(r, KP_PIPE_fd2, fds[1]);
	f = ret == 0 ? fd_file(bpf_get_current_task_btf(), fds[0]) : NULL;
	if (f)
		push_u64(r, KP_PIPE_ino, BPF_CORE_READ(f, f_inode, i_ino));
	else
		push_empty(r, KP_PIPE_ino);
}

SYS_EXIT(pipe, PIPE)
{
	push_pipe(r, UPTR(0), ret);
}

SYS_EXIT(pipe2, PIPE2)
{
	push_pipe(r, UPTR(0), ret);
	push_u32(r, KP_PIPE2_flags, A(1));
}

#endif
