/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/* Socket addresses and tuples (events.h SOCKADDR / SOCKTUPLE encodings). */
#ifndef KESTREL_BPF_NET_H
#define KESTREL_BPF_NET_H

#include "task.h"

#define AF_UNIX_ 1
#define AF_INET_ 2
#define AF_INET6_ 10
#define S_IFSOCK_ 0140000
#define UNIX_PATH_MAX_ 108

static __always_inline __u16 ntohs_(__u16 v)
{
	return __builtin_bswap16(v);
}

static __always_inline struct sock *fd_sock(struct task_struct *t, long fd)
{
	struct file *f = fd_file(t, fd);
	struct socket *so;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT_) != S_IFSOCK_)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(so, sk);
}

/* A user-space struct sockaddr of ulen bytes, re-encoded, as the param in `slot`. */
#define push_sockaddr_user(r, slot, uptr, ulen) do { SLOT_TAKE(r, slot); push_sockaddr_user_(r, slot, uptr, ulen); } while (0)
static __always_inline void push_sockaddr_user_(struct rec *r, __u32 slot, const void *uptr, long ulen)
{
	__u32 off = r->off & OFF_MASK;
	__u8 *p = r->buf + off;
	__u16 family = 0;

	if (!uptr || ulen < 2 || bpf_probe_read_user(&family, 2, uptr)) {
		push_empty_(r, slot);
		return;
	}
	p[0] = (__u8)family;
	if (family == AF_INET_ && ulen >= 8) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), uptr);
		*(__u32 *)(p + 1) = sin.sin_addr.s_addr;
		*(__u16 *)(p + 5) = ntohs_(sin.sin_port);
		commit_bytes_(r, slot, 7, 0);
	} else if (family == AF_INET6_ && ulen >= 24) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), uptr);
		__builtin_memcpy(p + 1, &sin6.sin6_addr, 16);
		*(__u16 *)(p + 17) = ntohs_(sin6.sin6_port);
		commit_bytes_(r, slot, 19, 0);
	} else if (family == AF_UNIX_) {
		long n, max = ulen - 2;
		if (max > UNIX_PATH_MAX_)
			max = UNIX_PATH_MAX_;
		if (max <= 0) {
			commit_bytes_(r, slot, 1, 0);
			return;
		}
		/* abstract names start with a NUL that is part of the name: keep it, read the rest */
		if (bpf_probe_read_user(p + 1, 1, uptr + 2) == 0 && p[1] == 0) {
			n = bpf_probe_read_user_str(p + 2, UNIX_PATH_MAX_, uptr + 3);
			commit_bytes_(r, slot, 2 + (n > 0 ? n : 1), 0);
		} else {
			n = bpf_probe_read_user_str(p + 1, UNIX_PATH_MAX_, uptr + 2);
			commit_bytes_(r, slot, 1 + (n > 0 ? n : 1), 0);
		}
	} else {
		commit_bytes_(r, slot, 1, 0);
	}
}

/* Writes the sun_path of a unix socket's bound address at p (NUL terminated), returns bytes. */
static __always_inline __u32 write_unix_path(__u8 *p, struct sock *sk)
{
	struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
	long n;

	p[0] = 0;
	if (!ua)
		return 1;
	n = bpf_probe_read_kernel_str(p, UNIX_PATH_MAX_, &ua->name[0].sun_path[0]);
	if (n == 1) { /* abstract: leading NUL, name follows */
		n = bpf_probe_read_kernel_str(p + 1, UNIX_PATH_MAX_ - 1, &ua->name[0].sun_path[1]);
		return n > 0 ? n + 1 : 1;
	}
	return n > 0 ? n : 1;
}

/*
 * The connection tuple of sk, client end first, as the param in `slot`. `local_is_client`:
 * connect/send (we are the client) versus accept (the peer is the client).
 */
#define push_tuple(r, slot, sk, local_is_client) \
	do { SLOT_TAKE(r, slot); push_tuple_(r, slot, sk, local_is_client); } while (0)
static __always_inline void push_tuple_(struct rec *r, __u32 slot, struct sock *sk, int local_is_client)
{
	__u32 off = r->off & OFF_MASK;
	__u8 *p = r->buf + off;
	__u16 family;

	if (!sk) {
		push_empty_(r, slot);
		return;
	}
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	p[0] = (__u8)family;
	if (family == AF_INET_) {
		__u32 laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rport = ntohs_(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (local_is_client) {
			*(__u32 *)(p + 1) = laddr; *(__u16 *)(p + 5) = lport;
			*(__u32 *)(p + 7) = raddr; *(__u16 *)(p + 11) = rport;
		} else {
			*(__u32 *)(p + 1) = raddr; *(__u16 *)(p + 5) = rport;
			*(__u32 *)(p + 7) = laddr; *(__u16 *)(p + 11) = lport;
		}
		commit_bytes_(r, slot, 13, 0);
	} else if (family == AF_INET6_) {
		struct in6_addr la = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr ra = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rport = ntohs_(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (local_is_client) {
			__builtin_memcpy(p + 1, &la, 16); *(__u16 *)(p + 17) = lport;
			__builtin_memcpy(p + 19, &ra, 16); *(__u16 *)(p + 35) = rport;
		} else {
			__builtin_memcpy(p + 1, &ra, 16); *(__u16 *)(p + 17) = rport;
			__builtin_memcpy(p + 19, &la, 16); *(__u16 *)(p + 35) = lport;
		}
		commit_bytes_(r, slot, 37, 0);
	} else if (family == AF_UNIX_) {
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		*(__u64 *)(p + 1) = (__u64)sk;
		*(__u64 *)(p + 9) = (__u64)peer;
		/* the path that names the connection: the peer's for a client, ours for a server */
		commit_bytes_(r, slot, 17 + write_unix_path(p + 17, peer && local_is_client ? peer : sk), 0);
	} else {
		commit_bytes_(r, slot, 1, 0);
	}
}

/*
 * Accept queue of a listening socket: Falco's queuepct, queuelen, queuemax params (the slots of
 * ACCEPT, which ACCEPT4 shares).
 */
_Static_assert(KP_ACCEPT_queuepct == KP_ACCEPT4_queuepct && KP_ACCEPT_queuelen == KP_ACCEPT4_queuelen &&
		       KP_ACCEPT_queuemax == KP_ACCEPT4_queuemax,
	       "accept and accept4 share the queue slots");
static __always_inline void push_accept_queue(struct rec *r, struct sock *lsk)
{
	__u32 len = 0, max = 0;

	if (lsk) {
		len = BPF_CORE_READ(lsk, sk_ack_backlog);
		max = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	}
	push_u8(r, KP_ACCEPT_queuepct, max ? (__u8)((__u64)len * 100 / max) : 0);
	push_u32(r, KP_ACCEPT_queuelen, len);
	push_u32(r, KP_ACCEPT_queuemax, max);
}

#endif
