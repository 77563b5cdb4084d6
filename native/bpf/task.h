/* SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only */
/*
 * Reading task context in the kernel: syscall arguments from the saved user registers, files
 * behind fds, paths of dentries (an approximation of d_path, which tracepoints may not call),
 * cgroup paths, and the exec-time facts about the executable.
 */
#ifndef KESTREL_BPF_TASK_H
#define KESTREL_BPF_TASK_H

#include "record.h"

/* Older kernels' layouts, for CO-RE. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct inode___v66 {
	struct timespec64 __i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___old {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

/* Syscall argument N (0-based) of the current task, from the registers saved at entry
 * (`regs` comes from bpf_task_pt_regs(): BTF-typed, so plain loads). */
static __always_inline __u64 sys_arg(struct pt_regs *regs, int n)
{
#if defined(__TARGET_ARCH_x86)
	switch (n) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
#elif defined(__TARGET_ARCH_arm64)
	if (n == 0)
		return regs->orig_x0;
	return regs->regs[n & 7];
#else
#error "unsupported architecture"
#endif
}

static __always_inline long sys_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#else
	return regs->syscallno;
#endif
}

static __always_inline struct pt_regs *current_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* The struct file behind fd of task t (BTF-typed: the current task), or NULL. */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || (unsigned long)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]);
	return f;
}

/* Linux's new_encode_dev(), which is how Falco reports device numbers. */
static __always_inline __u32 encode_dev(__u32 kdev)
{
	__u32 major = kdev >> 20, minor = kdev & 0xfffff;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* The `dev` and `ino` params (slots dev_slot, ino_slot) of the file f. */
static __always_inline void push_file_dev_ino(struct rec *r, __u32 dev_slot, __u32 ino_slot, struct file *f)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	if (!f || !ino) {
		push_empty(r, dev_slot);
		push_empty(r, ino_slot);
		return;
	}
	push_u32(r, dev_slot, encode_dev(BPF_CORE_READ(ino, i_sb, s_dev)));
	push_u64(r, ino_slot, BPF_CORE_READ(ino, i_ino));
}

#define MAX_PATH_DEPTH 32
#define MAX_CGROUP_DEPTH 16
/* Past the furthest a param can be written (cursor bound + one path): a work area. */
#define NAMES_OFF (KESTREL_MAX_RECORD + KESTREL_MAX_PATH)

/*
 * Path building walks up a tree collecting name pointers (leaf first) into the scratch tail,
 * then writes them root first. Both passes run under bpf_loop, and the counters live in map
 * memory (the scratch tail) rather than on the stack: the verifier then sees them as unknown,
 * masked values, so one check of the callback covers every iteration.
 */
struct walk_vars {
	__u32 n;   /* names collected */
	__u32 off; /* param start in the record */
	__u32 w;   /* bytes written */
	__u32 cap; /* byte budget (a power of two) */
	__u32 trunc;
};
#define VARS_OFF (NAMES_OFF + 8 * MAX_PATH_DEPTH)

struct walk {
	struct rec *r;
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *m;
	struct kernfs_node *kn;
};

static __always_inline struct walk_vars *walk_vars(struct rec *r)
{
	return (struct walk_vars *)(r->buf + VARS_OFF);
}

static long walk_dentry(__u32 i, void *ctx)
{
	struct walk *k = ctx;
	struct walk_vars *v = walk_vars(k->r);
	__u64 *names = (__u64 *)(k->r->buf + NAMES_OFF);
	struct dentry *d = k->d;
	struct vfsmount *vm = k->vm;
	struct mount *m = k->m;
	struct dentry *root = BPF_CORE_READ(vm, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == root) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);
		if (mp == m)
			return 1;
		k->d = BPF_CORE_READ(m, mnt_mountpoint);
		k->m = mp;
		k->vm = (struct vfsmount *)((char *)mp + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	if (d == parent || !parent)
		return 1;
	if (v->n >= MAX_PATH_DEPTH) {
		v->trunc = 1;
		return 1;
	}
	names[v->n & (MAX_PATH_DEPTH - 1)] = (__u64)BPF_CORE_READ(d, d_name.name);
	v->n++;
	k->d = parent;
	return 0;
}

static long walk_kernfs(__u32 i, void *ctx)
{
	struct walk *k = ctx;
	struct walk_vars *v = walk_vars(k->r);
	__u64 *names = (__u64 *)(k->r->buf + NAMES_OFF);
	struct kernfs_node *kn = k->kn, *p;

	if (!kn)
		return 1;
	p = bpf_core_field_exists(kn->__parent) ? BPF_CORE_READ(kn, __parent)
						: BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
	if (!p || v->n >= MAX_CGROUP_DEPTH)
		return 1; /* the hierarchy's root is not part of the path */
	names[v->n & (MAX_CGROUP_DEPTH - 1)] = (__u64)BPF_CORE_READ(kn, name);
	v->n++;
	k->kn = p;
	return 0;
}

/* Writes "/" + names[n-1-i]; stops when the budget is used up. */
static long emit_name(__u32 i, void *ctx)
{
	struct walk *k = ctx;
	struct walk_vars *v = walk_vars(k->r);
	__u64 *names = (__u64 *)(k->r->buf + NAMES_OFF);
	__u8 *buf = k->r->buf;
	__u32 n = v->n, w = v->w & (KESTREL_MAX_PATH - 1), off = v->off;
	long len;

	if (i >= n)
		return 1;
	if (w + 256 >= v->cap) {
		v->trunc = 1;
		return 1;
	}
	buf[(off + w) & OFF_MASK] = '/';
	w++;
	len = bpf_probe_read_kernel_str(buf + ((off + w) & OFF_MASK), 256,
					(const void *)names[(n - 1 - i) & (MAX_PATH_DEPTH - 1)]);
	if (len > 1)
		w += len - 1; /* the NUL is overwritten next */
	v->w = w;
	return 0;
}

/* Emits the collected names as "/a/b/c" at off + w (no NUL added). */
static __always_inline void emit_names(struct walk *k)
{
	struct walk_vars *v = walk_vars(k->r);

	if (v->n == 0) {
		k->r->buf[(v->off + v->w) & OFF_MASK] = '/';
		v->w++;
		return;
	}
	bpf_loop(MAX_PATH_DEPTH, emit_name, k, 0);
}

/* Finishes the param in `slot`: NUL, length, truncation. */
static __always_inline void walk_commit(struct rec *r, __u32 slot)
{
	struct walk_vars *v = walk_vars(r);
	__u32 w = v->w & (KESTREL_MAX_PATH - 1);

	r->buf[(v->off + w) & OFF_MASK] = 0;
	commit_bytes_(r, slot, w + 1, v->trunc);
}

static __always_inline void walk_start(struct rec *r, __u32 w, __u32 cap)
{
	struct walk_vars *v = walk_vars(r);

	v->n = 0;
	v->off = r->off & OFF_MASK;
	v->w = w;
	v->cap = cap;
	v->trunc = 0;
}

/*
 * Writes the absolute path of `kpath` (dentry up to the root of the task's mount tree, crossing
 * mount points; like d_path, which tracepoint programs may not call) as one NUL-terminated
 * param, truncated (and flagged) at KESTREL_MAX_PATH or MAX_PATH_DEPTH components.
 * push_path(r, slot, kpath): called through rec_call (a __noinline filler).
 */
#define push_path(r, slot, kpath) rec_call(r, slot, push_path_, kpath)
static __noinline int push_path_(struct rec *r, __u32 slot, const struct path *kpath)
{
	struct walk k = {.r = r};

	k.d = BPF_CORE_READ(kpath, dentry);
	k.vm = BPF_CORE_READ(kpath, mnt);
	k.m = (struct mount *)((char *)k.vm - bpf_core_field_offset(struct mount, mnt));
	if (!k.d || !k.vm) {
		push_empty_(r, slot);
		return 0;
	}
	walk_start(r, 0, KESTREL_MAX_PATH);
	bpf_loop(MAX_PATH_DEPTH + 8, walk_dentry, &k, 0); /* + mount crossings */
	emit_names(&k);
	walk_commit(r, slot);
	return 0;
}

/*
 * The `cgroups` param: "unified=/path" when the task sits below the cgroup v2 root, otherwise
 * "<controller>=/path" for the first cgroup v1 controller where it sits below the root.
 * One entry is enough to identify the container; Falco's full per-controller list is not needed.
 * push_cgroups(r, slot, t): called through rec_call (a __noinline filler).
 */
#define push_cgroups(r, slot, t) rec_call(r, slot, push_cgroups_, t)
static __noinline int push_cgroups_(struct rec *r, __u32 slot, struct task_struct *t)
{
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	struct cgroup *cg = BPF_CORE_READ(cs, dfl_cgrp);
	__u32 off = r->off & OFF_MASK;
	__u32 w = 0;
	const char *label = NULL;
	long k;

	if (!cs) {
		push_empty_(r, slot);
		return 0;
	}
	if (BPF_CORE_READ(cg, level) == 0) {
		cg = NULL;
		for (int i = 0; i < 16; i++) {
			struct cgroup_subsys_state *css;
			struct cgroup *c;
			if (i >= bpf_core_field_size(cs->subsys) / sizeof(void *))
				break;
			css = BPF_CORE_READ(cs, subsys[i]);
			if (!css)
				continue;
			c = BPF_CORE_READ(css, cgroup);
			if (c && BPF_CORE_READ(c, level) > 0) {
				cg = c;
				label = BPF_CORE_READ(css, ss, legacy_name);
				break;
			}
		}
		if (!cg) {
			cg = BPF_CORE_READ(cs, dfl_cgrp);
		}
	}
	if (label) {
		k = bpf_probe_read_kernel_str(r->buf + off, 32, label);
		if (k > 1)
			w = (k - 1) & 31;
	} else {
		__builtin_memcpy(r->buf + off, "unified", 7);
		w = 7;
	}
	r->buf[(off + w) & OFF_MASK] = '=';
	w++;
	{
		struct walk wk = {.r = r};
		wk.kn = BPF_CORE_READ(cg, kn);
		walk_start(r, w, KESTREL_MAX_CGROUPS);
		bpf_loop(MAX_CGROUP_DEPTH + 1, walk_kernfs, &wk, 0);
		emit_names(&wk);
		walk_commit(r, slot);
	}
	return 0;
}

/* Linux's tty_devnum(): the controlling terminal as Falco encodes it (0: none). */
static __always_inline __u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	int major, minor_start, index;

	if (!tty)
		return 0;
	major = BPF_CORE_READ(tty, driver, major);
	minor_start = BPF_CORE_READ(tty, driver, minor_start);
	index = BPF_CORE_READ(tty, index);
	return encode_dev(((__u32)major << 20) | (__u32)(minor_start + index));
}

static __always_inline __u64 inode_ctime_ns(struct inode *ino)
{
	if (bpf_core_field_exists(ino->i_ctime_sec))
		return BPF_CORE_READ(ino, i_ctime_sec) * 1000000000ull + BPF_CORE_READ(ino, i_ctime_nsec);
	if (bpf_core_field_exists(((struct inode___v66 *)ino)->__i_ctime)) {
		struct inode___v66 *o = (void *)ino;
		return BPF_CORE_READ(o, __i_ctime.tv_sec) * 1000000000ull + BPF_CORE_READ(o, __i_ctime.tv_nsec);
	}
	struct inode___old *o = (void *)ino;
	return BPF_CORE_READ(o, i_ctime.tv_sec) * 1000000000ull + BPF_CORE_READ(o, i_ctime.tv_nsec);
}

static __always_inline __u64 inode_mtime_ns(struct inode *ino)
{
	if (bpf_core_field_exists(ino->i_mtime_sec))
		return BPF_CORE_READ(ino, i_mtime_sec) * 1000000000ull + BPF_CORE_READ(ino, i_mtime_nsec);
	if (bpf_core_field_exists(((struct inode___v66 *)ino)->i_mtime)) {
		struct inode___v66 *o = (void *)ino;
		return BPF_CORE_READ(o, i_mtime.tv_sec) * 1000000000ull + BPF_CORE_READ(o, i_mtime.tv_nsec);
	}
	struct inode___old *o = (void *)ino;
	return BPF_CORE_READ(o, i_mtime.tv_sec) * 1000000000ull + BPF_CORE_READ(o, i_mtime.tv_nsec);
}

#define S_IFMT_ 00170000
#define S_IWUSR_ 00200
#define S_IWGRP_ 00020
#define S_IWOTH_ 00002
#define OVERLAYFS_SUPER_MAGIC_ 0x794c7630

/* KEXE_F_* facts about an executable file, as Falco's execve_flags. */
static __always_inline __u32 exe_flags(struct file *f, __u32 euid, __u32 egid)
{
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	__u32 flags = 0, mode = BPF_CORE_READ(ino, i_mode);
	__u32 iuid = BPF_CORE_READ(ino, i_uid.val), igid = BPF_CORE_READ(ino, i_gid.val);
	char name[8] = {};

	if (euid == 0 || (mode & S_IWOTH_) || ((mode & S_IWUSR_) && iuid == euid) ||
	    ((mode & S_IWGRP_) && igid == egid))
		flags |= KEXE_F_WRITABLE;
	/* memfd files are named "memfd:..." and have no link in any directory */
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(f, f_path.dentry, d_name.name));
	if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' &&
	    name[5] == ':' && BPF_CORE_READ(ino, __i_nlink) == 0)
		flags |= KEXE_F_FROM_MEMFD;
	/* overlayfs (container images): the file is in the writable upper layer when its overlay
	 * inode has an upper dentry (written or copied up after the container started) */
	if (bpf_core_type_exists(struct ovl_inode) && BPF_CORE_READ(ino, i_sb, s_magic) == OVERLAYFS_SUPER_MAGIC_) {
		struct ovl_inode *oi = (void *)((char *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode));
		flags |= BPF_CORE_READ(oi, __upperdentry) ? KEXE_F_UPPER_LAYER : KEXE_F_LOWER_LAYER;
	}
	return flags;
}

#endif
