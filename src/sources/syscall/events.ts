// The event table of native/events.h: code -> Falco event name and parameter list
// (Falco's exit-event parameter names, enter-event ones appended, as modern Falco does).
import { PT, PT_NAMES } from './layout.js';

export interface ParamSpec {
  readonly name: string;
  readonly type: PT;
  /** The type name as written in events.h (for the layout test and documentation). */
  readonly typeName: string;
}

/** A small number per param name across all events (see paramId), for fast per-event lookups. */
const PARAM_IDS = new Map<string, number>();

/** The id of a param name: bind it once, then `spec.index[id]` is the param's index (-1: none). */
export function paramId(name: string): number {
  let id = PARAM_IDS.get(name);
  if (id === undefined) throw new Error(`no event has a param named ${name}`);
  return id;
}

export interface EventSpec {
  readonly code: number;
  /** The C enum suffix: KT_<id>. */
  readonly id: string;
  /** Falco's event name (evt.type). */
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** Param index by name; -1 when absent. */
  param(name: string): number;
  /** Param index by paramId(name); -1 when absent. */
  readonly index: Int8Array;
  /** Index of the param naming the fd the event works on (Falco's EF_USES_FD), or -1. */
  readonly fdParam: number;
  /** The return value is a new fd (Falco's EF_CREATES_FD). */
  readonly createsFd: boolean;
}

const CLONE =
  'res:PID exe:CHARBUF args:ARGV tid:PID pid:PID ptid:PID cwd:CHARBUF fdlimit:INT64 pgft_maj:UINT64 pgft_min:UINT64 ' +
  'vm_size:UINT32 vm_rss:UINT32 vm_swap:UINT32 comm:CHARBUF cgroups:ARGV flags:FLAGS32 uid:UINT32 gid:UINT32 vtid:PID ' +
  'vpid:PID pidns_init_start_ts:UINT64';
const EXEC =
  'res:ERRNO exe:CHARBUF args:ARGV tid:PID pid:PID ptid:PID cwd:CHARBUF fdlimit:UINT64 pgft_maj:UINT64 pgft_min:UINT64 ' +
  'vm_size:UINT32 vm_rss:UINT32 vm_swap:UINT32 comm:CHARBUF cgroups:ARGV env:ARGV tty:UINT32 pgid:PID loginuid:UID ' +
  'flags:FLAGS32 cap_inheritable:UINT64 cap_permitted:UINT64 cap_effective:UINT64 exe_ino:UINT64 exe_ino_ctime:ABSTIME ' +
  'exe_ino_mtime:ABSTIME uid:UID trusted_exepath:FSPATH';

// [id, code, falco name, params, uses-fd param name, creates fd]
type Row = readonly [string, number, string, string, string?, boolean?];
const ROWS = [
  ['NONE', 0, 'NA', ''],
  ['OPEN', 1, 'open', 'fd:FD name:FSPATH flags:FLAGS32 mode:UINT32 dev:UINT32 ino:UINT64', undefined, true],
  ['OPENAT', 2, 'openat', 'fd:FD dirfd:FD name:FSRELPATH flags:FLAGS32 mode:UINT32 dev:UINT32 ino:UINT64', undefined, true],
  ['OPENAT2', 3, 'openat2', 'fd:FD dirfd:FD name:FSRELPATH flags:FLAGS32 mode:UINT32 resolve:FLAGS32 dev:UINT32 ino:UINT64', undefined, true],
  ['CREAT', 4, 'creat', 'fd:FD name:FSPATH mode:UINT32 dev:UINT32 ino:UINT64', undefined, true],
  ['CLOSE', 5, 'close', 'res:ERRNO fd:FD', 'fd'],
  ['CHDIR', 6, 'chdir', 'res:ERRNO path:CHARBUF'],
  ['FCHDIR', 7, 'fchdir', 'res:ERRNO fd:FD', 'fd'],
  ['MKDIR', 8, 'mkdir', 'res:ERRNO path:FSPATH mode:UINT32'],
  ['MKDIRAT', 9, 'mkdirat', 'res:ERRNO dirfd:FD path:FSRELPATH mode:UINT32'],
  ['RMDIR', 10, 'rmdir', 'res:ERRNO path:FSPATH'],
  ['UNLINK', 11, 'unlink', 'res:ERRNO path:FSPATH'],
  ['UNLINKAT', 12, 'unlinkat', 'res:ERRNO dirfd:FD name:FSRELPATH flags:FLAGS32'],
  ['LINK', 13, 'link', 'res:ERRNO oldpath:FSPATH newpath:FSPATH'],
  ['LINKAT', 14, 'linkat', 'res:ERRNO olddir:FD oldpath:FSRELPATH newdir:FD newpath:FSRELPATH flags:FLAGS32'],
  ['SYMLINK', 15, 'symlink', 'res:ERRNO target:CHARBUF linkpath:FSPATH'],
  ['SYMLINKAT', 16, 'symlinkat', 'res:ERRNO target:CHARBUF linkdirfd:FD linkpath:FSRELPATH'],
  ['RENAME', 17, 'rename', 'res:ERRNO oldpath:FSPATH newpath:FSPATH'],
  ['RENAMEAT', 18, 'renameat', 'res:ERRNO olddirfd:FD oldpath:FSRELPATH newdirfd:FD newpath:FSRELPATH'],
  ['RENAMEAT2', 19, 'renameat2', 'res:ERRNO olddirfd:FD oldpath:FSRELPATH newdirfd:FD newpath:FSRELPATH flags:FLAGS32'],
  ['CHMOD', 20, 'chmod', 'res:ERRNO filename:FSPATH mode:MODE'],
  ['FCHMOD', 21, 'fchmod', 'res:ERRNO fd:FD mode:MODE', 'fd'],
  ['FCHMODAT', 22, 'fchmodat', 'res:ERRNO dirfd:FD filename:FSRELPATH mode:MODE'],
  ['MOUNT', 23, 'mount', 'res:ERRNO dev:CHARBUF dir:FSPATH type:CHARBUF flags:FLAGS32'],
  ['UMOUNT2', 24, 'umount2', 'res:ERRNO name:FSPATH flags:FLAGS32'],
  ['CHROOT', 25, 'chroot', 'res:ERRNO path:FSPATH'],
  ['MEMFD_CREATE', 26, 'memfd_create', 'fd:FD name:CHARBUF flags:FLAGS32', undefined, true],
  ['USERFAULTFD', 27, 'userfaultfd', 'res:ERRNO flags:FLAGS32', undefined, true],
  ['DUP', 28, 'dup', 'res:FD oldfd:FD', 'oldfd', true],
  ['DUP2', 29, 'dup2', 'res:FD oldfd:FD newfd:FD', 'oldfd', true],
  ['DUP3', 30, 'dup3', 'res:FD oldfd:FD newfd:FD flags:FLAGS32', 'oldfd', true],
  ['FCNTL', 31, 'fcntl', 'res:FD fd:FD cmd:ENUMFLAGS32', 'fd'],
  ['PIPE', 32, 'pipe', 'res:ERRNO fd1:FD fd2:FD ino:UINT64'],
  ['PIPE2', 33, 'pipe2', 'res:ERRNO fd1:FD fd2:FD ino:UINT64 flags:FLAGS32'],
  ['SOCKET', 34, 'socket', 'fd:FD domain:ENUMFLAGS32 type:UINT32 proto:UINT32', undefined, true],
  ['SOCKETPAIR', 35, 'socketpair', 'res:ERRNO fd1:FD fd2:FD source:UINT64 peer:UINT64 domain:ENUMFLAGS32 type:UINT32 proto:UINT32'],
  ['BIND', 36, 'bind', 'res:ERRNO addr:SOCKADDR fd:FD', 'fd'],
  ['CONNECT', 37, 'connect', 'res:ERRNO tuple:SOCKTUPLE fd:FD addr:SOCKADDR', 'fd'],
  ['LISTEN', 38, 'listen', 'res:ERRNO fd:FD backlog:INT32', 'fd'],
  ['ACCEPT', 39, 'accept', 'fd:FD tuple:SOCKTUPLE queuepct:UINT8 queuelen:UINT32 queuemax:UINT32', undefined, true],
  ['ACCEPT4', 40, 'accept4', 'fd:FD tuple:SOCKTUPLE queuepct:UINT8 queuelen:UINT32 queuemax:UINT32 flags:INT32', undefined, true],
  ['SENDTO', 41, 'sendto', 'res:ERRNO data:BYTEBUF fd:FD size:UINT32 tuple:SOCKTUPLE', 'fd'],
  ['SENDMSG', 42, 'sendmsg', 'res:ERRNO data:BYTEBUF fd:FD size:UINT32 tuple:SOCKTUPLE', 'fd'],
  ['RECVFROM', 43, 'recvfrom', 'res:ERRNO data:BYTEBUF tuple:SOCKTUPLE fd:FD size:UINT32', 'fd'],
  ['RECVMSG', 44, 'recvmsg', 'res:ERRNO size:UINT32 data:BYTEBUF tuple:SOCKTUPLE msgcontrol:BYTEBUF fd:FD', 'fd'],
  ['CLONE', 45, 'clone', CLONE],
  ['CLONE3', 46, 'clone3', CLONE],
  ['FORK', 47, 'fork', CLONE],
  ['VFORK', 48, 'vfork', CLONE],
  ['EXECVE', 49, 'execve', EXEC + ' filename:FSPATH'],
  ['EXECVEAT', 50, 'execveat', EXEC + ' dirfd:FD pathname:FSRELPATH'],
  ['PROCEXIT', 51, 'procexit', 'status:ERRNO ret:ERRNO sig:SIGTYPE core:UINT8 reaper_tid:PID'],
  ['SETUID', 52, 'setuid', 'res:ERRNO uid:UID'],
  ['SETGID', 53, 'setgid', 'res:ERRNO gid:GID'],
  ['SETRESUID', 54, 'setresuid', 'res:ERRNO ruid:UID euid:UID suid:UID'],
  ['SETRESGID', 55, 'setresgid', 'res:ERRNO rgid:GID egid:GID sgid:GID'],
  ['SETREUID', 56, 'setreuid', 'res:ERRNO ruid:UID euid:UID'],
  ['SETREGID', 57, 'setregid', 'res:ERRNO rgid:GID egid:GID'],
  ['SETSID', 58, 'setsid', 'res:PID'],
  ['SETPGID', 59, 'setpgid', 'res:PID pid:PID pgid:PID'],
  ['PRCTL', 60, 'prctl', 'res:ERRNO option:ENUMFLAGS32 arg2_str:CHARBUF arg2_int:INT64'],
  ['CAPSET', 61, 'capset', 'res:ERRNO cap_inheritable:UINT64 cap_permitted:UINT64 cap_effective:UINT64'],
  ['SETNS', 62, 'setns', 'res:ERRNO fd:FD nstype:FLAGS32', 'fd'],
  ['UNSHARE', 63, 'unshare', 'res:ERRNO flags:FLAGS32'],
  ['PTRACE', 64, 'ptrace', 'res:ERRNO addr:UINT64 data:UINT64 request:ENUMFLAGS16 pid:PID'],
  ['KILL', 65, 'kill', 'res:ERRNO pid:PID sig:SIGTYPE'],
  ['BPF', 66, 'bpf', 'fd:FD cmd:INT32', undefined, true],
  ['INIT_MODULE', 67, 'init_module', 'res:ERRNO img:BYTEBUF length:UINT64 uargs:CHARBUF'],
  ['FINIT_MODULE', 68, 'finit_module', 'res:ERRNO fd:FD uargs:CHARBUF flags:FLAGS32', 'fd'],
  ['SWITCH', 69, 'switch', 'next:PID'],
] as const satisfies readonly Row[];

export type EventId = (typeof ROWS)[number][0];

function parseParams(spec: string): ParamSpec[] {
  if (!spec) return [];
  return spec.split(' ').map((p) => {
    const [name, typeName] = p.split(':') as [string, string];
    const type = PT_NAMES[typeName];
    if (type === undefined) throw new Error(`unknown param type ${typeName}`);
    return { name, type, typeName };
  });
}

function build(row: Row): EventSpec {
  const [id, code, name, spec, fdName, createsFd] = row;
  const params = parseParams(spec);
  const index = new Map(params.map((p, i) => [p.name, i]));
  return {
    code,
    id,
    name,
    params,
    param: (n) => index.get(n) ?? -1,
    index: new Int8Array(0),
    fdParam: fdName ? (index.get(fdName) ?? -1) : -1,
    createsFd: createsFd === true,
  };
}

/** Event specs indexed by code (dense: codes are 0..N-1). */
export const EVENTS: readonly EventSpec[] = (ROWS as readonly Row[]).map(build);
EVENTS.forEach((e, i) => {
  if (e.code !== i) throw new Error(`event table not dense at ${e.id}`);
});
for (const e of EVENTS) for (const p of e.params) if (!PARAM_IDS.has(p.name)) PARAM_IDS.set(p.name, PARAM_IDS.size);
for (const e of EVENTS) {
  const index = new Int8Array(PARAM_IDS.size).fill(-1);
  e.params.forEach((p, i) => (index[PARAM_IDS.get(p.name)!] = i));
  (e as { index: Int8Array }).index = index;
}

/** Falco event name per code: the `eventTypes` of the syscall source. */
export const EVENT_NAMES: readonly string[] = EVENTS.map((e) => e.name);

/** Codes by C id, e.g. KT.OPENAT (a literal, so engines treat the codes as constants). */
export const KT = {
  NONE: 0,
  OPEN: 1,
  OPENAT: 2,
  OPENAT2: 3,
  CREAT: 4,
  CLOSE: 5,
  CHDIR: 6,
  FCHDIR: 7,
  MKDIR: 8,
  MKDIRAT: 9,
  RMDIR: 10,
  UNLINK: 11,
  UNLINKAT: 12,
  LINK: 13,
  LINKAT: 14,
  SYMLINK: 15,
  SYMLINKAT: 16,
  RENAME: 17,
  RENAMEAT: 18,
  RENAMEAT2: 19,
  CHMOD: 20,
  FCHMOD: 21,
  FCHMODAT: 22,
  MOUNT: 23,
  UMOUNT2: 24,
  CHROOT: 25,
  MEMFD_CREATE: 26,
  USERFAULTFD: 27,
  DUP: 28,
  DUP2: 29,
  DUP3: 30,
  FCNTL: 31,
  PIPE: 32,
  PIPE2: 33,
  SOCKET: 34,
  SOCKETPAIR: 35,
  BIND: 36,
  CONNECT: 37,
  LISTEN: 38,
  ACCEPT: 39,
  ACCEPT4: 40,
  SENDTO: 41,
  SENDMSG: 42,
  RECVFROM: 43,
  RECVMSG: 44,
  CLONE: 45,
  CLONE3: 46,
  FORK: 47,
  VFORK: 48,
  EXECVE: 49,
  EXECVEAT: 50,
  PROCEXIT: 51,
  SETUID: 52,
  SETGID: 53,
  SETRESUID: 54,
  SETRESGID: 55,
  SETREUID: 56,
  SETREGID: 57,
  SETSID: 58,
  SETPGID: 59,
  PRCTL: 60,
  CAPSET: 61,
  SETNS: 62,
  UNSHARE: 63,
  PTRACE: 64,
  KILL: 65,
  BPF: 66,
  INIT_MODULE: 67,
  FINIT_MODULE: 68,
  SWITCH: 69,
} as const;
for (const e of EVENTS) {
  if ((KT as Record<string, number>)[e.id] !== e.code) throw new Error(`KT.${e.id} is not ${e.code}`);
}

export const KT_COUNT = EVENTS.length;

/** A lookup table by type code: mask[type] === 1 for the codes given. */
export function typeMask(...codes: number[]): Uint8Array {
  const m = new Uint8Array(KT_COUNT);
  for (const c of codes) m[c] = 1;
  return m;
}

export function eventById(id: string): EventSpec {
  const code = (KT as Record<string, number>)[id];
  if (code === undefined) throw new Error(`unknown event ${id}`);
  return EVENTS[code]!;
}

/** First code whose Falco name is `name` (several codes may share a name). */
export function codesByName(name: string): number[] {
  return EVENTS.filter((e) => e.name === name).map((e) => e.code);
}
