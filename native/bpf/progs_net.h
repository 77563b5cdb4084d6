/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* Socket syscalls. Params are filled by their native/events.h slots (KP_*; record.h). */
#ifndef KESTREL_BPF_PROGS_NET_H
#define KESTREL_BPF_PROGS_NET_H

#include "hook.h"

static __always_inline struct sock *arg_sock(long fd)
{
	return fd_sock(bpf_get_current_task_btf(), fd);
}

/* A data snapshot: at most cfg.data_snaplen (<= KESTREL_MAX_DATA) bytes, truncation flagged. */
#define push_data(r, slot, uptr, size) do { SLOT_TAKE(r, slot); push_data_(r, slot, uptr, size); } while (0)
static __always_inline void push_data_(struct rec *r, __u32 slot, const void *uptr, __s64 size)
{
	__u64 snap = cfg.data_snaplen;
	__u32 off = r->off & OFF_MASK;
	__u32 n;

	if (!uptr || size <= 0) {
		push_empty_(r, slot);
		return;
	}
	if (snap == 0 || snap > KESTREL_MAX_DATA)
		snap = KESTREL_MAX_DATA;
	n = size < snap ? size : snap;
	n &= (KESTREL_MAX_DATA * 2 - 1);
	if (n > KESTREL_MAX_DATA)
		n = KESTREL_MAX_DATA;
	if (bpf_probe_read_user(r->buf + off, n, uptr)) {
		r->flags |= KREC_F_READ_FAULT;
		push_empty_(r, slot);
		return;
	}
	commit_bytes_(r, slot, n, (__u64)size > n);
}

SYS_EXIT(socket, SOCKET)
{
	push_u64(r, KP_SOCKET_fd, ret);
	push_u32(r, KP_SOCKET_domain, A(0));
	push_u32(r, KP_SOCKET_type, A(1));
	push_u32(r, KP_SOCKET_proto, A(2));
}

SYS_EXIT(socketpair, SOCKETPAIR)
{
	int fds[2] = {-1, -1};
	struct sock *s1 = NULL;

	if (ret == 0)
		bpf_probe_read_user(fds, sizeof(fds), UPTR(3));
	push_u64(r, KP_SOCKETPAIR_res, ret);
	push_u64(r, KP_SOCKETPAIR_fd1, fds[0]);
	push_u64(r, KP_SOCKETPAIR_fd2, fds[1]);
	if (ret == 0)
		s1 = arg_sock(fds[0]);
	if (s1) {
		push_u64(r, KP_SOCKETPAIR_source, (__u64)s1);
		push_u64(r, KP_SOCKETPAIR_peer, (__u64)BPF_CORE_READ((struct unix_sock *)s1, peer));
	} else {
		push_empty(r, KP_SOCKETPAIR_source);
		push_empty(r, KP_SOCKETPAIR_peer);
	}
	push_u32(r, KP_SOCKETPAIR_domain, A(0));
	push_u32(r, KP_SOCKETPAIR_type, A(1));
	push_u32(r, KP_SOCKETPAIR_proto, A(2));
}

SYS_EXIT(bind, BIND)
{
	push_u64(r, KP_BIND_res, ret);
	push_sockaddr_user(r, KP_BIND_addr, UPTR(1), AINT(2));
	push_u64(r, KP_BIND_fd, AINT(0));
}

SYS_EXIT(connect, CONNECT)
{
	long fd = AINT(0);
	push_u64(r, KP_CONNECT_res, ret);
	/* a non-blocking connect returns -EINPROGRESS with the tuple already set */
	push_tuple(r, KP_CONNECT_tuple, ret == 0 || ret == -115 ? arg_sock(fd) : NULL, 1);
	push_u64(r, KP_CONNECT_fd, fd);
	push_sockaddr_user(r, KP_CONNECT_addr, UPTR(1), AINT(2));
}

SYS_EXIT(listen, LISTEN)
{
	push_u64(r, KP_LISTEN_res, ret);
	push_u64(r, KP_LISTEN_fd, AINT(0));
	push_u32(r, KP_LISTEN_backlog, A(1));
}

SYS_EXIT(accept, ACCEPT)
{
	push_u64(r, KP_ACCEPT_fd, ret);
	push_tuple(r, KP_ACCEPT_tuple, ret >= 0 ? arg_sock(ret) : NULL, 0);
	push_accept_queue(r, arg_sock(AINT(0)));
}

SYS_EXIT(accept4, ACCEPT4)
{
	push_u64(r, KP_ACCEPT4_fd, ret);
	push_tuple(r, KP_ACCEPT4_tuple, ret >= 0 ? arg_sock(ret) : NULL, 0);
	push_accept_queue(r, arg_sock(AINT(0)));
	push_u32(r, KP_ACCEPT4_flags, A(3));
}

SYS_EXIT(sendto, SENDTO)
{
	long fd = AINT(0);
	push_u64(r, KP_SENDTO_res, ret);
	push_data(r, KP_SENDTO_data, UPTR(1), ret > 0 ? ret : 0);
	push_u64(r, KP_SENDTO_fd, fd);
	push_u32(r, KP_SENDTO_size, A(2));
	push_tuple(r, KP_SENDTO_tuple, arg_sock(fd), 1);
}

/* The first iovec of a msghdr and the total size of the first few. */
static __always_inline const void *msg_first_iov(const void *umsg, __u64 *total)
{
	struct user_msghdr mh = {};
	struct iovec iov = {};
	const void *base = NULL;

	*total = 0;
	if (bpf_probe_read_user(&mh, sizeof(mh), umsg))
		return NULL;
	for (int i = 0; i < 8; i++) {
		if (i >= mh.msg_iovlen)
			break;
		if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)((__u64)mh.msg_iov + i * sizeof(iov))))
			break;
		if (i == 0)
			base = iov.iov_base;
		*total += iov.iov_len;
	}
	return base;
}

SYS_EXIT(sendmsg, SENDMSG)
{
	long fd = AINT(0);
	__u64 total = 0;
	const void *base = msg_first_iov(UPTR(1), &total);
	push_u64(r, KP_SENDMSG_res, ret);
	push_data(r, KP_SENDMSG_data, base, ret > 0 ? ret : 0);
	push_u64(r, KP_SENDMSG_fd, fd);
	push_u32(r, KP_SENDMSG_size, total);
	push_tuple(r, KP_SENDMSG_tuple, arg_sock(fd), 1);
}

SYS_EXIT(recvfrom, RECVFROM)
{
	long fd = AINT(0);
	push_u64(r, KP_RECVFROM_res, ret);
	push_data(r, KP_RECVFROM_data, UPTR(1), ret > 0 ? ret : 0);
	push_tuple(r, KP_RECVFROM_tuple, arg_sock(fd), 1);
	push_u64(r, KP_RECVFROM_fd, fd);
	push_u32(r, KP_RECVFROM_size, A(2));
}

SYS_EXIT(recvmsg, RECVMSG)
{
	long fd = AINT(0);
	__u64 total = 0;
	const void *base = msg_first_iov(UPTR(1), &total);
	push_u64(r, KP_RECVMSG_res, ret);
	push_u32(r, KP_RECVMSG_size, total);
	push_data(r, KP_RECVMSG_data, base, ret > 0 ? ret : 0);
	push_tuple(r, KP_RECVMSG_tuple, arg_sock(fd), 1);
	{
		/* ancillary data (SCM_RIGHTS, SCM_CREDENTIALS...): the kernel wrote msg_controllen back */
		struct user_msghdr mh = {};
		if (ret >= 0 && !bpf_probe_read_user(&mh, sizeof(mh), UPTR(1)) && mh.msg_control && mh.msg_controllen)
			push_user_bytes(r, KP_RECVMSG_msgcontrol, mh.msg_control, mh.msg_controllen, KESTREL_MAX_DATA);
		else
			push_empty(r, KP_RECVMSG_msgcontrol);
	}
	push_u64(r, KP_RECVMSG_fd, fd);
}

#endif
