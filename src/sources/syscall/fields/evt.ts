// evt.* for the syscall source (libsinsp's sinsp_filter_check_event / gen_event).
import type { SyscallEvent } from '../syscall-event.js';
import { KT, paramId, typeMask } from '../record/event-table.js';
import { PT } from '../record/layout.js';
import { datetimeNs, datetimeS, iso8601Ns, timeNs, timeS } from '../../k8saudit/fields/time.js';
import type { FieldDef, FieldValue } from '../../../fields/types.js';
import { resolvedPathParam } from '../state/path-params.js';
import { argText, argsText, paramRaw } from './args.js';
import { O_ACCMODE, O_CREAT, O_RDWR, O_TMPFILE, O_WRONLY } from '../record/linux.js';
import { errnoName } from './names.js';

type Def = FieldDef<SyscallEvent>;

const OPENS = typeMask(KT.OPEN, KT.OPENAT, KT.OPENAT2);
const IO_READ = typeMask(KT.RECVFROM, KT.RECVMSG);
const IO_WRITE = typeMask(KT.SENDTO, KT.SENDMSG);
/** Events without a syscall return value. */
const NO_RES = typeMask(KT.NONE, KT.PROCEXIT, KT.SWITCH);

const CATEGORY: Record<string, string> = {};
for (const id of ['OPEN', 'OPENAT', 'OPENAT2', 'CREAT', 'CHDIR', 'FCHDIR', 'MKDIR', 'MKDIRAT', 'RMDIR', 'UNLINK', 'UNLINKAT', 'LINK', 'LINKAT', 'SYMLINK', 'SYMLINKAT', 'RENAME', 'RENAMEAT', 'RENAMEAT2', 'CHMOD', 'FCHMOD', 'FCHMODAT', 'MOUNT', 'UMOUNT2', 'USERFAULTFD'])
  CATEGORY[id] = 'file';
for (const id of ['SOCKET', 'BIND', 'CONNECT', 'LISTEN', 'ACCEPT', 'ACCEPT4']) CATEGORY[id] = 'net';
for (const id of ['SENDTO', 'SENDMSG']) CATEGORY[id] = 'IO_WRITE';
for (const id of ['RECVFROM', 'RECVMSG']) CATEGORY[id] = 'IO_READ';
for (const id of ['CLOSE', 'DUP', 'DUP2', 'DUP3', 'FCNTL']) CATEGORY[id] = 'IO_OTHER';
for (const id of ['PIPE', 'PIPE2', 'SOCKETPAIR']) CATEGORY[id] = 'ipc';
for (const id of ['MEMFD_CREATE']) CATEGORY[id] = 'memory';
for (const id of ['SETUID', 'SETGID', 'SETRESUID', 'SETRESGID', 'SETREUID', 'SETREGID']) CATEGORY[id] = 'user';
for (const id of ['BPF', 'INIT_MODULE', 'FINIT_MODULE']) CATEGORY[id] = 'other';
CATEGORY.SWITCH = 'schedule';

/** The paramId of a param name, -1 when no event has it. */
function knownParam(name: string): number {
  try {
    return paramId(name);
  } catch {
    return -1;
  }
}

const P_FLAGS = paramId('flags');
const P_MODE = paramId('mode');

function openFlags(e: SyscallEvent): number | undefined {
  if (OPENS[e.type] !== 1) return undefined;
  return e.memoFlags(e.spec.index[P_FLAGS]!);
}

function bufferParam(e: SyscallEvent): number {
  const i = e.spec.param('data');
  return i >= 0 ? i : e.spec.param('img');
}

/** evt.abspath*: the absolute path of the event's path params (src = the first of two). */
function abspath(which: 'any' | 'src' | 'dst') {
  return (e: SyscallEvent): FieldValue | undefined => {
    const params = e.spec.params;
    const paths: number[] = [];
    for (let i = 0; i < params.length; i++) if (params[i]!.type === PT.FSRELPATH || params[i]!.type === PT.FSPATH) paths.push(i);
    if (paths.length === 0) return undefined;
    const i = which === 'dst' ? paths[paths.length - 1]! : paths[0]!;
    if (which === 'any' && paths.length > 1) return undefined;
    if (which !== 'any' && paths.length < 2) return undefined;
    return resolvedPathParam(e, i);
  };
}

function rawArg(e: SyscallEvent, i: number): FieldValue | undefined {
  const t = e.spec.params[i]?.type;
  if (t === undefined || e.paramLen(i) === 0) return undefined;
  if (t === PT.UINT64 || t === PT.ABSTIME) return e.big(i);
  if (t <= PT.SIGTYPE && t >= PT.FD) return e.int(i);
  return paramRaw(e, i);
}

export const evtFields: Def[] = [
  { name: 'evt.num', type: 'UINT64', desc: 'Event number.', bind: () => (e) => e.num },
  { name: 'evt.time', type: 'CHARBUF', desc: 'Event timestamp as a time string that includes the nanosecond part.', bind: () => (e) => timeNs(e.timeNs()) },
  { name: 'evt.time.s', type: 'CHARBUF', desc: 'Event timestamp as a time string with no nanoseconds.', bind: () => (e) => timeS(e.timeNs()) },
  { name: 'evt.time.iso8601', type: 'CHARBUF', desc: 'Event timestamp in ISO 8601 format, including nanoseconds and time zone offset (in UTC).', bind: () => (e) => iso8601Ns(e.timeNs()) },
  { name: 'evt.datetime', type: 'CHARBUF', desc: 'Event timestamp as a time string that includes the date.', bind: () => (e) => datetimeNs(e.timeNs()) },
  { name: 'evt.datetime.s', type: 'CHARBUF', desc: 'Event timestamp as a datetime string with no nanoseconds.', bind: () => (e) => datetimeS(e.timeNs()) },
  { name: 'evt.rawtime', type: 'ABSTIME', desc: 'Absolute event timestamp, i.e. nanoseconds from epoch.', bind: () => (e) => e.timeNs() },
  { name: 'evt.rawtime.s', type: 'ABSTIME', desc: 'Integer part of the event timestamp (e.g. seconds since epoch).', bind: () => (e) => e.timeNs() / 1_000_000_000n },
  { name: 'evt.rawtime.ns', type: 'ABSTIME', desc: 'Fractional part of the absolute event timestamp.', bind: () => (e) => e.timeNs() % 1_000_000_000n },
  { name: 'evt.latency', type: 'RELTIME', desc: 'Delta between an exit event and the correspondent enter event, in nanoseconds (0: Kestrel records only exit events).', bind: () => () => 0 },
  { name: 'evt.dir', type: 'CHARBUF', desc: "Event direction can be either '>' for enter events or '<' for exit events (Kestrel records exit events only).", bind: () => () => '<' },
  { name: 'evt.type', type: 'CHARBUF', desc: "The name of the event (e.g. 'open').", bind: () => (e) => e.spec.name },
  {
    name: 'evt.type.is',
    type: 'UINT32',
    desc: 'Allows one to specify an event type, and returns 1 for events that are of that type. For example, evt.type.is.open returns 1 for open events, 0 for any other event.',
    arg: { required: true, kind: 'key', dotted: true },
    bind: (arg) => (e) => (e.spec.name === arg ? 1 : 0),
  },
  { name: 'evt.syscall.type', type: 'CHARBUF', desc: "For system call events, the name of the system call (e.g. 'open'). Unset for other events.", bind: () => (e) => (e.type === KT.PROCEXIT || e.type === KT.SWITCH || e.type === KT.NONE ? undefined : e.spec.name) },
  { name: 'evt.category', type: 'CHARBUF', desc: "The event category. Example values are 'file' (for file operations like open and close), 'net' (for network operations like socket and bind), memory (for things like brk or mmap), and so on.", bind: () => (e) => CATEGORY[e.spec.id] ?? 'process' },
  { name: 'evt.cpu', type: 'UINT16', desc: 'Number of the CPU where this event happened.', bind: () => (e) => e.cpu },
  { name: 'evt.args', type: 'CHARBUF', desc: 'All the event arguments, aggregated into a single string.', bind: () => (e) => argsText(e) },
  {
    name: 'evt.arg',
    type: 'CHARBUF',
    desc: 'One of the event arguments specified by name or by number. Some events (e.g. return codes or FDs) will be converted into a text representation when possible. E.g. evt.arg.fd or evt.arg[0].',
    arg: { required: true, kind: 'key', dotted: true },
    bind: (arg) => {
      if (/^[0-9]+$/.test(arg ?? '')) {
        const n = Number(arg);
        return (e) => argText(e, n);
      }
      const id = knownParam(arg!);
      if (id < 0) return () => undefined; // no event has a param of that name
      return (e) => {
        const i = e.spec.index[id]!;
        return i < 0 ? undefined : argText(e, i);
      };
    },
  },
  {
    name: 'evt.rawarg',
    type: 'INT64',
    desc: 'One of the event arguments specified by name. E.g. evt.rawarg.fd.',
    arg: { required: true, kind: 'key', dotted: true },
    bind: (arg) => (e) => {
      const i = e.spec.param(arg!);
      return i < 0 ? undefined : rawArg(e, i);
    },
  },
  { name: 'evt.info', type: 'CHARBUF', desc: 'The event arguments as a string (the same as evt.args for syscall events).', bind: () => (e) => argsText(e) },
  {
    name: 'evt.buffer',
    type: 'BYTEBUF',
    desc: 'The binary data buffer for events that have one, like read(), recvfrom(), etc.',
    bind: () => (e) => {
      const i = bufferParam(e);
      return i < 0 ? undefined : e.bytes(i);
    },
  },
  {
    name: 'evt.buflen',
    type: 'UINT64',
    desc: 'The length of the binary data buffer for events that have one, like read(), recvfrom(), etc.',
    bind: () => (e) => {
      const i = bufferParam(e);
      return i < 0 ? undefined : e.paramLen(i);
    },
  },
  {
    name: 'evt.res',
    type: 'CHARBUF',
    desc: "Event return value, as a string. If the event failed, the result is an error code string (e.g. 'ENOENT'), otherwise the result is the string 'SUCCESS'.",
    bind: () => (e) => (NO_RES[e.type] === 1 ? undefined : errnoName(e.ret)),
  },
  { name: 'evt.rawres', type: 'INT64', desc: 'Event return value, as a number (e.g. -2). Useful for range comparisons.', bind: () => (e) => (NO_RES[e.type] === 1 ? undefined : e.ret) },
  { name: 'evt.failed', type: 'BOOL', desc: "'true' for events that returned an error status.", bind: () => (e) => (NO_RES[e.type] === 1 ? undefined : e.ret < 0) },
  { name: 'evt.is_io', type: 'BOOL', desc: "'true' for events that read or write to FDs, like read(), send, recvfrom(), etc.", bind: () => (e) => IO_READ[e.type] === 1 || IO_WRITE[e.type] === 1 },
  { name: 'evt.is_io_read', type: 'BOOL', desc: "'true' for events that read from FDs, like read(), recv(), recvfrom(), etc.", bind: () => (e) => IO_READ[e.type] === 1 },
  { name: 'evt.is_io_write', type: 'BOOL', desc: "'true' for events that write to FDs, like write(), send(), etc.", bind: () => (e) => IO_WRITE[e.type] === 1 },
  { name: 'evt.io_dir', type: 'CHARBUF', desc: "'r' for events that read from FDs, like read(); 'w' for events that write to FDs, like write().", bind: () => (e) => (IO_READ[e.type] === 1 ? 'r' : IO_WRITE[e.type] === 1 ? 'w' : undefined) },
  { name: 'evt.is_wait', type: 'BOOL', desc: "'true' for events that make the thread wait, e.g. sleep(), select(), poll().", bind: () => () => false },
  { name: 'evt.is_syslog', type: 'BOOL', desc: "'true' for events that are writes to /dev/log.", bind: () => (e) => IO_WRITE[e.type] === 1 && e.fd?.name === '/dev/log' },
  {
    name: 'evt.is_open_read',
    type: 'BOOL',
    desc: "'true' for open/openat/openat2/open_by_handle_at events where the path was opened for reading",
    bind: () => (e) => {
      const f = openFlags(e);
      return f === undefined ? false : (f & O_ACCMODE) !== O_WRONLY;
    },
  },
  {
    name: 'evt.is_open_write',
    type: 'BOOL',
    desc: "'true' for open/openat/openat2/open_by_handle_at events where the path was opened for writing",
    bind: () => (e) => {
      const f = openFlags(e);
      return f === undefined ? false : (f & O_ACCMODE) === O_WRONLY || (f & O_ACCMODE) === O_RDWR;
    },
  },
  {
    name: 'evt.is_open_exec',
    type: 'BOOL',
    desc: "'true' for open/openat/openat2/open_by_handle_at or creat events where a file is created with execute permissions",
    bind: () => (e) => {
      if (e.type === KT.CREAT) return ((e.int(e.spec.index[P_MODE]!) ?? 0) & 0o111) !== 0;
      const f = openFlags(e);
      if (f === undefined || (f & (O_CREAT | O_TMPFILE)) === 0) return false;
      return ((e.int(e.spec.index[P_MODE]!) ?? 0) & 0o111) !== 0;
    },
  },
  {
    name: 'evt.is_open_create',
    type: 'BOOL',
    desc: "'true' for open/openat/openat2/open_by_handle_at events where a file is created.",
    bind: () => (e) => {
      if (e.type === KT.CREAT) return true;
      const f = openFlags(e);
      return f === undefined ? false : (f & O_CREAT) !== 0;
    },
  },
  { name: 'evt.abspath', type: 'CHARBUF', desc: 'Absolute path calculated from dirfd and name during syscalls like renameat and symlinkat. Use evt.abspath.src or evt.abspath.dst for syscalls that support multiple paths.', bind: () => abspath('any') },
  { name: 'evt.abspath.src', type: 'CHARBUF', desc: 'Source of the absolute path calculated from dirfd and name during syscalls like renameat and symlinkat.', bind: () => abspath('src') },
  { name: 'evt.abspath.dst', type: 'CHARBUF', desc: 'Destination of the absolute path calculated from dirfd and name during syscalls like renameat and symlinkat.', bind: () => abspath('dst') },
  { name: 'evt.hostname', type: 'CHARBUF', desc: 'The hostname of the underlying host.', bind: () => (e) => e.ctx.hostname },
  { name: 'evt.source', type: 'CHARBUF', desc: 'The name of the source producing the current event.', bind: () => () => 'syscall' },
  { name: 'evt.is_async', type: 'BOOL', desc: "'true' for asynchronous events, 'false' otherwise.", bind: () => () => false },
  { name: 'evt.pluginname', type: 'CHARBUF', desc: 'If the event comes from a plugin, the name of the plugin that generated it.', bind: () => () => undefined },
];
