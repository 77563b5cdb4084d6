// proc.* and thread.* (libsinsp's sinsp_filter_check_thread): the process that made the syscall,
// its ancestors, session and process group.
import type { SyscallEvent } from '../syscall-event.js';
import type { ProcessInfo } from '../state/process.js';
import type { FieldDef, FieldValue } from '../../../fields/types.js';
import { ancestor, ancestors, groupLeader, sessionLeader } from './ancestry.js';
import { capsText } from './names.js';

type Def = FieldDef<SyscallEvent>;
type Getter = (p: ProcessInfo, e: SyscallEvent) => FieldValue | undefined;

/** A field of the process itself. */
function own(get: Getter) {
  return () => (e: SyscallEvent) => (e.proc ? get(e.proc, e) : undefined);
}

/** A field of the parent. */
function parent(get: Getter) {
  return () => (e: SyscallEvent) => {
    const p = e.proc && e.ctx.threads.parent(e.proc);
    return p ? get(p, e) : undefined;
  };
}

/** proc.aX[N] (N-th ancestor, 0 = self) or, without index, every ancestor (a match on any passes). */
function anc(get: Getter) {
  return (arg: string | undefined) => {
    if (arg === undefined) {
      // kept for the record: rules ask for the same ancestors several times per exec (state
      // changes only between records, never while one is evaluated)
      let forEvent: SyscallEvent | undefined;
      let forSeq = -1;
      let out: FieldValue[] = [];
      return (e: SyscallEvent) => {
        if (e === forEvent && e.seq === forSeq) return out as FieldValue;
        const list = ancestors(e);
        out = [];
        for (const p of list) {
          const v = get(p, e);
          if (v !== undefined) out.push(v);
        }
        forEvent = e;
        forSeq = e.seq;
        return out as FieldValue;
      };
    }
    const n = Number(arg);
    return (e: SyscallEvent) => {
      const p = ancestor(e, n);
      return p ? get(p, e) : undefined;
    };
  };
}

const INDEX = { required: false, kind: 'index' } as const;

const name: Getter = (p, e) => (p === e.proc && e.thread ? e.thread.comm : p.comm);
const exe: Getter = (p) => p.exe;
const exepath: Getter = (p) => p.exepath || undefined;
const cmdline: Getter = (p, e) => (p === e.proc && e.thread && e.thread.comm !== p.comm ? cmdlineWith(e.thread.comm, p) : p.cmdline);
const pid: Getter = (p) => p.pid;

function cmdlineWith(comm: string, p: ProcessInfo): string {
  return p.args.length ? `${comm} ${p.args.join(' ')}` : comm;
}

function envValue(p: ProcessInfo, key: string): string | undefined {
  const prefix = key + '=';
  for (const kv of p.env) if (kv.startsWith(prefix)) return kv.slice(prefix.length);
  return undefined;
}

function duration(p: ProcessInfo, e: SyscallEvent): FieldValue | undefined {
  if (p.startTs === 0n) return undefined;
  const d = e.timeNs() - p.startTs;
  return d < 0n ? 0 : Number(d);
}

export const procFields: Def[] = [
  { name: 'proc.exe', type: 'CHARBUF', desc: 'The first command-line argument (argv[0]), usually the executable name or a custom string.', bind: own(exe) },
  { name: 'proc.pexe', type: 'CHARBUF', desc: 'The proc.exe of the parent process.', bind: parent(exe) },
  { name: 'proc.aexe', type: 'CHARBUF', desc: 'The proc.exe for a specific process ancestor (proc.aexe[1] is the parent). Without an index, matches any ancestor.', arg: INDEX, bind: anc(exe) },
  { name: 'proc.exepath', type: 'CHARBUF', desc: 'The full executable path of the process.', bind: own(exepath) },
  { name: 'proc.pexepath', type: 'CHARBUF', desc: 'The proc.exepath of the parent process.', bind: parent(exepath) },
  { name: 'proc.aexepath', type: 'CHARBUF', desc: 'The proc.exepath for a specific process ancestor. Without an index, matches any ancestor.', arg: INDEX, bind: anc(exepath) },
  { name: 'proc.name', type: 'CHARBUF', desc: 'The process name (task->comm, up to 16 characters) generating the event.', bind: own(name) },
  { name: 'proc.pname', type: 'CHARBUF', desc: 'The proc.name of the parent of the process generating the event.', bind: parent(name) },
  { name: 'proc.aname', type: 'CHARBUF', desc: 'The proc.name for a specific process ancestor (proc.aname[1] is the parent). Without an index, matches any ancestor.', arg: INDEX, bind: anc(name) },
  { name: 'proc.args', type: 'CHARBUF', desc: 'The arguments passed on the command line when starting the process, excluding argv[0].', bind: own((p) => p.argsText) },
  { name: 'proc.cmdline', type: 'CHARBUF', desc: 'The concatenation of proc.name and proc.args.', bind: own(cmdline) },
  { name: 'proc.pcmdline', type: 'CHARBUF', desc: 'The proc.cmdline of the parent of the process generating the event.', bind: parent(cmdline) },
  { name: 'proc.acmdline', type: 'CHARBUF', desc: 'The proc.cmdline for a specific process ancestor. Without an index, matches any ancestor.', arg: INDEX, bind: anc(cmdline) },
  { name: 'proc.cmdnargs', type: 'UINT64', desc: 'The number of command line args (proc.args).', bind: own((p) => p.args.length) },
  { name: 'proc.cmdlenargs', type: 'UINT64', desc: 'The total count of characters of the command line args (proc.args), excluding whitespaces between args.', bind: own((p) => p.args.reduce((s, a) => s + a.length, 0)) },
  { name: 'proc.exeline', type: 'CHARBUF', desc: 'The full command line, with exe as first argument (proc.exe + proc.args).', bind: own((p) => (p.args.length ? `${p.exe} ${p.args.join(' ')}` : p.exe)) },
  {
    name: 'proc.env',
    type: 'CHARBUF',
    desc: "The environment variables of the process as 'NAME=value NAME1=value1'. proc.env[NAME] extracts one variable.",
    arg: { required: false, kind: 'key' },
    bind: (arg) => (arg === undefined ? own((p) => p.envText)() : own((p) => envValue(p, arg))()),
  },
  {
    name: 'proc.aenv',
    type: 'CHARBUF',
    desc: '[EXPERIMENTAL] proc.env of an ancestor (proc.aenv[2]) or the first value of a variable in the lineage (proc.aenv[NAME]).',
    arg: { required: false, kind: 'key' },
    bind: (arg) => {
      if (arg !== undefined && /^[0-9]+$/.test(arg)) return anc((p) => p.envText)(arg);
      if (arg !== undefined) {
        return (e: SyscallEvent) => {
          for (const p of ancestors(e).slice(0, 20)) {
            const v = envValue(p, arg);
            if (v !== undefined) return v;
          }
          return undefined;
        };
      }
      return anc((p) => p.envText)(undefined);
    },
  },
  { name: 'proc.cwd', type: 'CHARBUF', desc: 'The current working directory of the event.', bind: own((p) => (p.cwd.endsWith('/') ? p.cwd : p.cwd + '/')) },
  {
    name: 'proc.loginshellid',
    type: 'INT64',
    desc: 'The pid of the oldest shell among the ancestors of the current process, if there is one.',
    bind: () => (e) => {
      let found: number | undefined;
      const shells = /^(ash|bash|csh|ksh|sh|tcsh|zsh|dash|fish)$/;
      if (e.proc && shells.test(e.proc.comm)) found = e.proc.pid;
      for (const p of ancestors(e)) if (shells.test(p.comm)) found = p.pid;
      return found;
    },
  },
  { name: 'proc.tty', type: 'UINT32', desc: 'The controlling terminal of the process. 0 for processes without a terminal.', bind: own((p) => p.tty) },
  { name: 'proc.pid', type: 'INT64', desc: 'The id of the process generating the event.', bind: own(pid) },
  { name: 'proc.ppid', type: 'INT64', desc: 'The pid of the parent of the process generating the event.', bind: own((p) => p.ppid) },
  { name: 'proc.apid', type: 'INT64', desc: 'The pid for a specific process ancestor. Without an index, matches any ancestor.', arg: INDEX, bind: anc(pid) },
  { name: 'proc.vpid', type: 'INT64', desc: 'The id of the process generating the event as seen from its current PID namespace.', bind: own((p) => p.vpid) },
  { name: 'proc.pvpid', type: 'INT64', desc: 'The id of the parent process generating the event as seen from its current PID namespace.', bind: parent((p) => p.vpid) },
  { name: 'proc.sid', type: 'INT64', desc: 'The session id of the process generating the event.', bind: own((p) => p.sid) },
  { name: 'proc.sname', type: 'CHARBUF', desc: "The name of the current process's session leader.", bind: () => (e) => sessionLeader(e)?.comm },
  { name: 'proc.sid.exe', type: 'CHARBUF', desc: "The proc.exe of the current process's session leader.", bind: () => (e) => sessionLeader(e)?.exe },
  { name: 'proc.sid.exepath', type: 'CHARBUF', desc: "The proc.exepath of the current process's session leader.", bind: () => (e) => sessionLeader(e)?.exepath || undefined },
  { name: 'proc.vpgid', type: 'INT64', desc: 'The process group id of the process generating the event, as seen from its current PID namespace.', bind: own((p) => p.vpgid) },
  { name: 'proc.vpgid.name', type: 'CHARBUF', desc: "The name of the current process's process group leader.", bind: () => (e) => groupLeader(e)?.comm },
  { name: 'proc.vpgid.exe', type: 'CHARBUF', desc: "The proc.exe of the current process's process group leader.", bind: () => (e) => groupLeader(e)?.exe },
  { name: 'proc.vpgid.exepath', type: 'CHARBUF', desc: "The proc.exepath of the current process's process group leader.", bind: () => (e) => groupLeader(e)?.exepath || undefined },
  { name: 'proc.duration', type: 'RELTIME', desc: 'Number of nanoseconds since the process started.', bind: own(duration) },
  { name: 'proc.ppid.duration', type: 'RELTIME', desc: 'Number of nanoseconds since the parent process started.', bind: parent(duration) },
  { name: 'proc.pid.ts', type: 'RELTIME', desc: 'Start of process as epoch timestamp in nanoseconds.', bind: own((p) => (p.startTs ? p.startTs : undefined)) },
  { name: 'proc.ppid.ts', type: 'RELTIME', desc: 'Start of parent process as epoch timestamp in nanoseconds.', bind: parent((p) => (p.startTs ? p.startTs : undefined)) },
  { name: 'proc.is_exe_writable', type: 'BOOL', desc: "'true' if this process' executable file is writable by the same user that spawned the process.", bind: own((p) => p.exeWritable) },
  { name: 'proc.is_exe_upper_layer', type: 'BOOL', desc: "'true' if this process' executable file is in upper layer in overlayfs.", bind: own((p) => p.exeUpperLayer) },
  { name: 'proc.is_exe_lower_layer', type: 'BOOL', desc: "'true' if this process' executable file is in lower layer in overlayfs.", bind: own((p) => p.exeLowerLayer) },
  { name: 'proc.is_exe_from_memfd', type: 'BOOL', desc: "'true' if the executable file of the current process is an anonymous file created using memfd_create() and executed through its fd.", bind: own((p) => p.exeFromMemfd) },
  { name: 'proc.is_sid_leader', type: 'BOOL', desc: "'true' if this process is the leader of the process session, proc.sid == proc.vpid.", bind: own((p) => p.sid === p.vpid) },
  { name: 'proc.is_vpgid_leader', type: 'BOOL', desc: "'true' if this process is the leader of the virtual process group, proc.vpgid == proc.vpid.", bind: own((p) => p.vpgid === p.vpid) },
  { name: 'proc.exe_ino', type: 'INT64', desc: 'The inode number of the executable file on disk.', bind: own((p) => (p.exeIno ? p.exeIno : undefined)) },
  { name: 'proc.exe_ino.ctime', type: 'ABSTIME', desc: 'Last status change time of executable file (inode->ctime) as epoch timestamp in nanoseconds.', bind: own((p) => (p.exeCtime ? p.exeCtime : undefined)) },
  { name: 'proc.exe_ino.mtime', type: 'ABSTIME', desc: 'Last modification time of executable file (inode->mtime) as epoch timestamp in nanoseconds.', bind: own((p) => (p.exeMtime ? p.exeMtime : undefined)) },
  {
    name: 'proc.exe_ino.ctime_duration_proc_start',
    type: 'ABSTIME',
    desc: 'Number of nanoseconds between modifying status of executable image and spawning a new process using the changed executable image.',
    bind: own((p) => (p.exeCtime && p.startTs && p.startTs >= p.exeCtime ? p.startTs - p.exeCtime : undefined)),
  },
  {
    name: 'proc.exe_ino.ctime_duration_pidns_start',
    type: 'ABSTIME',
    desc: 'Number of nanoseconds between PID namespace start ts and ctime exe file if PID namespace start predates ctime.',
    bind: own((p) => (p.exeCtime && p.pidnsInitStartTs && p.exeCtime >= p.pidnsInitStartTs ? p.exeCtime - p.pidnsInitStartTs : undefined)),
  },
  { name: 'proc.pidns_init_start_ts', type: 'UINT64', desc: 'Start of PID namespace as epoch timestamp in nanoseconds.', bind: own((p) => (p.pidnsInitStartTs ? p.pidnsInitStartTs : undefined)) },
  { name: 'proc.is_container_healthcheck', type: 'BOOL', desc: "'true' if this process is running as a part of the container's health check.", bind: () => () => false },
  { name: 'proc.is_container_liveness_probe', type: 'BOOL', desc: "'true' if this process is running as a part of the container's liveness probe.", bind: () => () => false },
  { name: 'proc.is_container_readiness_probe', type: 'BOOL', desc: "'true' if this process is running as a part of the container's readiness probe.", bind: () => () => false },
  { name: 'proc.fdopencount', type: 'UINT64', desc: 'Number of open FDs for the process.', bind: own((p) => p.fds.size) },
  { name: 'proc.fdlimit', type: 'INT64', desc: 'Maximum number of FDs the process can open.', bind: own((p) => (p.fdlimit ? p.fdlimit : undefined)) },
  // memory as of the last exec/clone record (or the /proc read), as libsinsp keeps it from the same records
  { name: 'proc.vmsize', type: 'UINT64', desc: 'Total virtual memory for the process (as kb).', bind: own((p) => p.vmSize) },
  { name: 'proc.vmrss', type: 'UINT64', desc: 'Resident non-swapped memory for the process (as kb).', bind: own((p) => p.vmRss) },
  { name: 'proc.vmswap', type: 'UINT64', desc: 'Swapped memory for the process (as kb).', bind: own((p) => p.vmSwap) },
  { name: 'thread.vmsize', type: 'UINT64', desc: 'For the process main thread, this is the total virtual memory for the process (as kb). For the other threads, this field is zero.', bind: own((p, e) => (e.tid === p.pid ? p.vmSize : 0)) },
  { name: 'thread.vmrss', type: 'UINT64', desc: 'For the process main thread, this is the resident non-swapped memory for the process (as kb). For the other threads, this field is zero.', bind: own((p, e) => (e.tid === p.pid ? p.vmRss : 0)) },
  { name: 'proc.nthreads', type: 'UINT64', desc: 'The number of alive threads that the process generating the event currently has, including the leader thread.', bind: own((p) => p.threads) },
  { name: 'proc.nchilds', type: 'UINT64', desc: 'The number of alive not leader threads that the process generating the event currently has.', bind: own((p) => Math.max(0, p.threads - 1)) },
  { name: 'thread.tid', type: 'INT64', desc: 'The id of the thread generating the event.', bind: () => (e) => e.tid },
  { name: 'thread.ismain', type: 'BOOL', desc: "'true' if the thread generating the event is the main one in the process.", bind: () => (e) => e.tid === e.pid },
  { name: 'thread.vtid', type: 'INT64', desc: 'The id of the thread generating the event as seen from its current PID namespace.', bind: () => (e) => e.vtid },
  { name: 'thread.nametid', type: 'CHARBUF', desc: 'The process name and tid of a thread.', outputOnly: true, bind: () => (e) => `${e.thread?.comm ?? e.comm()}${e.tid}` },
  { name: 'thread.cap_permitted', type: 'CHARBUF', desc: 'The permitted capabilities set', bind: own((p) => capsText(p.capPermitted)) },
  { name: 'thread.cap_inheritable', type: 'CHARBUF', desc: 'The inheritable capabilities set', bind: own((p) => capsText(p.capInheritable)) },
  { name: 'thread.cap_effective', type: 'CHARBUF', desc: 'The effective capabilities set', bind: own((p) => capsText(p.capEffective)) },
  { name: 'thread.cgroups', type: 'CHARBUF', desc: 'All cgroups the thread belongs to, aggregated into a single string.', bind: own((p) => p.cgroups.join(' ')) },
  {
    name: 'thread.cgroup',
    type: 'CHARBUF',
    desc: 'The cgroup the thread belongs to, for a specific subsystem. e.g. thread.cgroup.cpuacct.',
    arg: { required: true, kind: 'key', dotted: true },
    bind: (arg) =>
      own((p) => {
        const prefix = arg + '=';
        for (const c of p.cgroups) if (c.startsWith(prefix)) return c.slice(prefix.length);
        return undefined;
      })(),
  },
];
