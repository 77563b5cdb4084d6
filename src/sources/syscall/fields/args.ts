// Syscall arguments rendered as libsinsp renders them: a raw text (`4097`, `-2`, `/etc/x`) and a
// resolved text (`O_RDONLY|O_CLOEXEC`, `ENOENT`, `<f>/etc/shadow`, a user name) where there is one.
// evt.arg.NAME yields the resolved text when not empty, else the raw text.
import type { SyscallEvent } from '../syscall-event.js';
import { EVENTS, type EventSpec } from '../record/event-table.js';
import { PT } from '../record/layout.js';
import { AT_FDCWD } from '../record/paths.js';
import { resolvedPathParam } from '../state/path-params.js';
import { tupleName } from '../record/sockaddr.js';
import { fdTypeChar } from '../state/fd.js';
import {
  CLONE_FLAGS,
  EXECVE_FLAGS,
  LINKAT_FLAGS,
  MEMFD_FLAGS,
  MODE_FLAGS,
  MOUNT_FLAGS,
  OPENAT2_RESOLVE,
  RENAMEAT2_FLAGS,
  UMOUNT_FLAGS,
  UNLINKAT_FLAGS,
  flagsText,
  openFlagsText,
} from './flags.js';
import { AF_NAMES, FCNTL_NAMES, PRCTL_NAMES, PTRACE_NAMES, SIGNAL_NAMES, errnoName } from './names.js';

type Renderer = (v: number) => string;
const table =
  (t: Parameters<typeof flagsText>[0]): Renderer =>
  (v) =>
    flagsText(t, v);
const named =
  (m: Readonly<Record<number, string>>): Renderer =>
  (v) =>
    m[v] ?? '';

const OPEN_FLAGS: Renderer = openFlagsText;
const CLONE: Renderer = table(CLONE_FLAGS);

/** Resolved renderings of flag/enum params, by `event id.param` (or `*.param`). */
const FLAG_RENDERERS: Record<string, Renderer> = {
  'OPEN.flags': OPEN_FLAGS,
  'OPENAT.flags': OPEN_FLAGS,
  'OPENAT2.flags': OPEN_FLAGS,
  'OPENAT2.resolve': table(OPENAT2_RESOLVE),
  'DUP3.flags': OPEN_FLAGS,
  'PIPE2.flags': OPEN_FLAGS,
  'USERFAULTFD.flags': OPEN_FLAGS,
  'CLONE.flags': CLONE,
  'CLONE3.flags': CLONE,
  'FORK.flags': CLONE,
  'VFORK.flags': CLONE,
  'UNSHARE.flags': CLONE,
  'SETNS.nstype': CLONE,
  'MOUNT.flags': table(MOUNT_FLAGS),
  'UMOUNT2.flags': table(UMOUNT_FLAGS),
  'UNLINKAT.flags': table(UNLINKAT_FLAGS),
  'LINKAT.flags': table(LINKAT_FLAGS),
  'RENAMEAT2.flags': table(RENAMEAT2_FLAGS),
  'MEMFD_CREATE.flags': table(MEMFD_FLAGS),
  'EXECVE.flags': table(EXECVE_FLAGS),
  'EXECVEAT.flags': table(EXECVE_FLAGS),
  '*.domain': named(AF_NAMES),
  'PTRACE.request': named(PTRACE_NAMES),
  'PRCTL.option': named(PRCTL_NAMES),
  'FCNTL.cmd': named(FCNTL_NAMES),
};

/** Params printed in octal (Falco's PF_OCT) and hex (PF_HEX) when raw. */
const OCTAL = new Set(['OPEN.mode', 'OPENAT.mode', 'OPENAT2.mode', 'CREAT.mode', 'CHMOD.mode', 'FCHMOD.mode', 'FCHMODAT.mode']);

function pickRenderer(spec: EventSpec, i: number): Renderer | undefined {
  const p = spec.params[i]!;
  const flagsTable = FLAG_RENDERERS[`${spec.id}.${p.name}`] ?? FLAG_RENDERERS[`*.${p.name}`];
  if (flagsTable) return memo(flagsTable);
  return p.type === PT.MODE ? memo(table(MODE_FLAGS)) : undefined;
}

/** Renderers keep their last few answers: a process uses few distinct flag values. */
function memo(r: Renderer): Renderer {
  const cache = new Map<number, string>();
  return (v) => {
    let t = cache.get(v);
    if (t === undefined) {
      t = r(v);
      if (cache.size < 1024) cache.set(v, t);
    }
    return t;
  };
}

function pickHex(spec: EventSpec, i: number): boolean {
  const p = spec.params[i]!;
  switch (p.type) {
    case PT.FLAGS32:
    case PT.ENUMFLAGS32:
    case PT.ENUMFLAGS16:
    case PT.ENUMFLAGS8:
      return p.name !== 'domain' && p.name !== 'option' && p.name !== 'cmd' && p.name !== 'request';
    case PT.UINT64:
      return p.name.startsWith('cap_') || p.name === 'source' || p.name === 'peer' || p.name === 'addr' || p.name === 'data';
    case PT.UINT32:
      return p.name === 'dev' || (p.name === 'mode' && (spec.id === 'MKDIR' || spec.id === 'MKDIRAT'));
    default:
      return false;
  }
}

// Per event code and param index: how the param renders (computed once for the whole table).
const RENDERERS: (Renderer | undefined)[][] = EVENTS.map((spec) => spec.params.map((_p, i) => pickRenderer(spec, i)));
const HEX: boolean[][] = EVENTS.map((spec) => spec.params.map((_p, i) => pickHex(spec, i)));
const OCT: boolean[][] = EVENTS.map((spec) => spec.params.map((p) => OCTAL.has(`${spec.id}.${p.name}`) || p.type === PT.MODE));

function rendererFor(e: SyscallEvent, i: number): Renderer | undefined {
  return RENDERERS[e.type]?.[i];
}

function isHex(e: SyscallEvent, i: number): boolean {
  return HEX[e.type]?.[i] === true;
}

function printable(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 32 && c < 127 ? String.fromCharCode(c) : '.';
  return s;
}

export function paramRaw(e: SyscallEvent, i: number): string | undefined {
  const p = e.spec.params[i];
  if (!p || e.paramLen(i) === 0) return undefined;
  switch (p.type) {
    case PT.CHARBUF:
    case PT.FSPATH:
    case PT.FSRELPATH:
      return e.str(i);
    case PT.ARGV: {
      const list = e.argv(i) ?? [];
      return (p.name === 'args' ? list.slice(1) : list).join(p.name === 'env' || p.name === 'cgroups' ? ' ' : ' ');
    }
    case PT.BYTEBUF:
      return printable(e.bytes(i)!);
    case PT.SOCKADDR: {
      const a = e.sockaddr(i)!;
      return a.path || (a.addr ? `${a.addr}:${a.port}` : '');
    }
    case PT.SOCKTUPLE:
      return tupleName(e.socktuple(i)!);
    case PT.UINT64:
    case PT.ABSTIME: {
      const v = e.big(i)!;
      return isHex(e, i) ? v.toString(16) : v.toString();
    }
    default: {
      const v = e.int(i)!;
      if (OCT[e.type]?.[i] === true) return v === 0 ? '0' : '0' + v.toString(8);
      return isHex(e, i) ? (v >>> 0).toString(16) : String(v);
    }
  }
}

export function paramResolved(e: SyscallEvent, i: number): string {
  const p = e.spec.params[i];
  if (!p || e.paramLen(i) === 0) return '';
  switch (p.type) {
    case PT.FD: {
      const fd = e.int(i)!;
      if (fd === AT_FDCWD) return 'AT_FDCWD';
      if (fd < 0) return errnoName(fd);
      const info = e.proc?.fds.get(fd) ?? (fd === e.fdNum ? e.fd : undefined);
      return info ? `<${fdTypeChar(info.type)}>${info.name}` : '';
    }
    case PT.ERRNO:
      return (e.int(i) ?? 0) < 0 ? errnoName(e.int(i)!) : '';
    case PT.PID: {
      const t = e.ctx.threads.thread(e.int(i)!);
      return t ? t.comm : '';
    }
    case PT.UID: {
      const uid = e.int(i)!;
      const proc = e.proc;
      return (proc && e.ctx.users.user(proc.containerId, proc.pid, uid)?.name) ?? '';
    }
    case PT.GID: {
      const gid = e.int(i)!;
      const proc = e.proc;
      return (proc && e.ctx.users.group(proc.containerId, proc.pid, gid)) ?? '';
    }
    case PT.SIGTYPE:
      return SIGNAL_NAMES[e.int(i)!] ?? '';
    case PT.FSPATH:
    case PT.FSRELPATH: {
      const raw = e.str(i)!;
      return raw.startsWith('/') ? '' : (resolvedPathParam(e, i) ?? '');
    }
    default: {
      const r = rendererFor(e, i);
      return r ? r(e.int(i)!) : '';
    }
  }
}

/** evt.arg.NAME / evt.arg[N]: resolved text when there is one, else raw (kept per record: many rules ask for the same one). */
export function argText(e: SyscallEvent, i: number): string | undefined {
  if (i < 0 || i >= 32) return argTextOf(e, i);
  if (e.argsFor !== e.seq) {
    e.argsFor = e.seq;
    e.argsMask = 0;
  }
  const bit = 1 << i;
  if (e.argsMask & bit) return e.argTexts[i];
  const v = argTextOf(e, i);
  e.argTexts[i] = v;
  e.argsMask |= bit;
  return v;
}

function argTextOf(e: SyscallEvent, i: number): string | undefined {
  return paramResolved(e, i) || paramRaw(e, i);
}

/** evt.args: `name=raw(resolved) ...`. */
export function argsText(e: SyscallEvent): string {
  const parts: string[] = [];
  const n = e.spec.params.length;
  for (let i = 0; i < n; i++) {
    const raw = paramRaw(e, i);
    if (raw === undefined) continue;
    const resolved = paramResolved(e, i);
    parts.push(`${e.spec.params[i]!.name}=${raw}${resolved ? `(${resolved})` : ''}`);
  }
  return parts.join(' ');
}
