// Flag-name tables for syscall arguments, in Falco's rendering order (driver/flags_table.c),
// over the raw Linux values the records carry.

import {
  O_ACCMODE,
  O_APPEND,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECT,
  O_DIRECTORY,
  O_DSYNC,
  O_EXCL,
  O_LARGEFILE,
  O_NONBLOCK,
  O_RDWR,
  O_SYNC,
  O_TMPFILE,
  O_TRUNC,
  O_WRONLY,
} from '../record/linux.js';

type Table = readonly (readonly [string, number])[];

const O = { DIRECTORY: O_DIRECTORY, DIRECT: O_DIRECT, LARGEFILE: O_LARGEFILE };

const openTextCache = new Map<number, string>();

/** Open flags as Falco prints them: `O_RDONLY|O_CLOEXEC` (memoized: processes use few combinations). */
export function openFlagsText(f: number): string {
  let t = openTextCache.get(f);
  if (t === undefined) {
    t = openFlagsUncached(f);
    if (openTextCache.size < 4096) openTextCache.set(f, t);
  }
  return t;
}

function openFlagsUncached(f: number): string {
  const out: string[] = [];
  if (f & O.LARGEFILE) out.push('O_LARGEFILE');
  if (f & O.DIRECTORY && (f & O_TMPFILE) !== O_TMPFILE) out.push('O_DIRECTORY');
  if (f & O.DIRECT) out.push('O_DIRECT');
  if (f & O_TRUNC) out.push('O_TRUNC');
  if ((f & O_SYNC) === O_SYNC) out.push('O_SYNC');
  if (f & O_NONBLOCK) out.push('O_NONBLOCK');
  if (f & O_EXCL) out.push('O_EXCL');
  if (f & O_DSYNC) out.push('O_DSYNC');
  if (f & O_APPEND) out.push('O_APPEND');
  if (f & O_CREAT) out.push('O_CREAT');
  const acc = f & O_ACCMODE;
  out.push(acc === O_RDWR ? 'O_RDWR' : acc === O_WRONLY ? 'O_WRONLY' : 'O_RDONLY');
  if (f & O_CLOEXEC) out.push('O_CLOEXEC');
  if ((f & O_TMPFILE) === O_TMPFILE) out.push('O_TMPFILE');
  return out.join('|');
}

export const CLONE_FLAGS: Table = [
  ['CLONE_FILES', 0x400], ['CLONE_FS', 0x200], ['CLONE_IO', 0x80000000], ['CLONE_NEWIPC', 0x8000000],
  ['CLONE_NEWNET', 0x40000000], ['CLONE_NEWNS', 0x20000], ['CLONE_NEWPID', 0x20000000], ['CLONE_NEWUTS', 0x4000000],
  ['CLONE_PARENT', 0x8000], ['CLONE_PARENT_SETTID', 0x100000], ['CLONE_PTRACE', 0x2000], ['CLONE_SIGHAND', 0x800],
  ['CLONE_SYSVSEM', 0x40000], ['CLONE_THREAD', 0x10000], ['CLONE_UNTRACED', 0x800000], ['CLONE_VM', 0x100],
  ['CLONE_NEWUSER', 0x10000000], ['CLONE_CHILD_CLEARTID', 0x200000], ['CLONE_CHILD_SETTID', 0x1000000],
  ['CLONE_SETTLS', 0x80000], ['CLONE_VFORK', 0x4000], ['CLONE_NEWCGROUP', 0x2000000],
];

export const MODE_FLAGS: Table = [
  ['S_IXOTH', 0o1], ['S_IWOTH', 0o2], ['S_IROTH', 0o4], ['S_IXGRP', 0o10], ['S_IWGRP', 0o20], ['S_IRGRP', 0o40],
  ['S_IXUSR', 0o100], ['S_IWUSR', 0o200], ['S_IRUSR', 0o400], ['S_ISVTX', 0o1000], ['S_ISGID', 0o2000], ['S_ISUID', 0o4000],
];

export const MOUNT_FLAGS: Table = [
  ['RDONLY', 1], ['NOSUID', 2], ['NODEV', 4], ['NOEXEC', 8], ['SYNCHRONOUS', 16], ['REMOUNT', 32], ['MANDLOCK', 64],
  ['DIRSYNC', 128], ['NOATIME', 1024], ['NODIRATIME', 2048], ['BIND', 4096], ['MOVE', 8192], ['REC', 16384],
  ['SILENT', 32768], ['POSIXACL', 1 << 16], ['UNBINDABLE', 1 << 17], ['PRIVATE', 1 << 18], ['SLAVE', 1 << 19],
  ['SHARED', 1 << 20], ['RELATIME', 1 << 21], ['KERNMOUNT', 1 << 22], ['I_VERSION', 1 << 23], ['STRICTATIME', 1 << 24],
  ['LAZYTIME', 1 << 25], ['NOSEC', 1 << 28], ['BORN', 1 << 29], ['ACTIVE', 1 << 30], ['NOUSER', 2 ** 31],
];
export const UMOUNT_FLAGS: Table = [['FORCE', 1], ['DETACH', 2], ['EXPIRE', 4], ['NOFOLLOW', 8]];
export const UNLINKAT_FLAGS: Table = [['AT_REMOVEDIR', 0x200]];
export const LINKAT_FLAGS: Table = [['AT_SYMLINK_FOLLOW', 0x400], ['AT_EMPTY_PATH', 0x1000]];
export const RENAMEAT2_FLAGS: Table = [['RENAME_NOREPLACE', 1], ['RENAME_EXCHANGE', 2], ['RENAME_WHITEOUT', 4]];
export const OPENAT2_RESOLVE: Table = [
  ['RESOLVE_BENEATH', 0x08], ['RESOLVE_IN_ROOT', 0x10], ['RESOLVE_NO_MAGICLINKS', 0x02], ['RESOLVE_NO_SYMLINKS', 0x04],
  ['RESOLVE_NO_XDEV', 0x01], ['RESOLVE_CACHED', 0x20],
];
export const MEMFD_FLAGS: Table = [['MFD_CLOEXEC', 1], ['MFD_ALLOW_SEALING', 2], ['MFD_HUGETLB', 4]];
export const EXECVE_FLAGS: Table = [['EXE_WRITABLE', 1], ['EXE_UPPER_LAYER', 2], ['EXE_FROM_MEMFD', 4], ['EXE_LOWER_LAYER', 8]];

/** libsinsp's flags rendering: names of the entries whose bits are all set, in table order. */
export function flagsText(table: Table, value: number): string {
  let v = value >>> 0;
  const out: string[] = [];
  for (const [name, bits] of table) {
    if (bits !== 0 && (v & bits) >>> 0 === bits >>> 0 && v !== 0) {
      out.push(name);
      v = (v & ~bits) >>> 0;
    }
  }
  return out.join('|');
}
