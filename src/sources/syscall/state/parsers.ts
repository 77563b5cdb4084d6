// Applies records to the state, like libsinsp's sinsp_parser: before evaluation the record's
// thread, process and fd are resolved and the changes it makes are applied (a new fd, a new
// cwd, an exec); closes and exits take effect after evaluation so rules still see what went away.
import { readFileSync } from 'node:fs';
import type { SyscallContext } from './context.js';
import { NO_FD, type SyscallEvent } from '../syscall-event.js';
import { KT, paramId } from '../record/event-table.js';
import { EXE_FROM_MEMFD, EXE_LOWER_LAYER, EXE_UPPER_LAYER, EXE_WRITABLE, H, MAX_ENV, REC_F_READ_FAULT, REC_F_TRUNCATED } from '../record/layout.js';
import { resolvePath } from '../record/paths.js';
import { AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, newSocktuple, tupleName, type SockTuple } from '../record/sockaddr.js';
import { CLONE_THREAD, EINPROGRESS, F_DUPFD, F_DUPFD_CLOEXEC, O_CLOEXEC, O_DIRECTORY, SOCK_CLOEXEC } from '../record/linux.js';
import { resolvedPathParam } from './path-params.js';
import { containerFromCgroups, parseProcCgroup, recordCgroups, type CgroupContainer } from './cgroup.js';
import { FdInfo, FdType, L4_ICMP, L4_RAW, L4_TCP, L4_UDP, ROLE_CLIENT, ROLE_SERVER } from './fd.js';
import { ProcessInfo, ThreadInfo } from './process.js';
import type { ProcFs } from './procfs.js';

const P_ADDR = paramId('addr');
const P_ARGS = paramId('args');
const P_CAP_EFFECTIVE = paramId('cap_effective');
const P_CAP_INHERITABLE = paramId('cap_inheritable');
const P_CAP_PERMITTED = paramId('cap_permitted');
const P_CGROUPS = paramId('cgroups');
const P_CMD = paramId('cmd');
const P_COMM = paramId('comm');
const P_CWD = paramId('cwd');
const P_DEV = paramId('dev');
const P_DOMAIN = paramId('domain');
const P_ENV = paramId('env');
const P_EXE = paramId('exe');
const P_FLAGS = paramId('flags');
const P_INO = paramId('ino');
const P_NAME = paramId('name');
const P_PATH = paramId('path');
const P_PEER = paramId('peer');
const P_PGID = paramId('pgid');
const P_PID = paramId('pid');
const P_PIDNS_INIT_START_TS = paramId('pidns_init_start_ts');
const P_PROTO = paramId('proto');
const P_SOURCE = paramId('source');
const P_TRUSTED_EXEPATH = paramId('trusted_exepath');
const P_TUPLE = paramId('tuple');
const P_TYPE = paramId('type');
const P_VPID = paramId('vpid');
const P_VTID = paramId('vtid');
const P_TTY = paramId('tty');
const P_LOGINUID = paramId('loginuid');
const P_EXE_INO = paramId('exe_ino');
const P_EXE_INO_CTIME = paramId('exe_ino_ctime');
const P_EXE_INO_MTIME = paramId('exe_ino_mtime');
const P_FDLIMIT = paramId('fdlimit');
const P_FILENAME = paramId('filename');
const P_MSGCONTROL = paramId('msgcontrol');
const P_VM_SIZE = paramId('vm_size');
const P_VM_RSS = paramId('vm_rss');
const P_VM_SWAP = paramId('vm_swap');
const P_PATHNAME = paramId('pathname');
const IPPROTO_ICMP = 1;
/** struct cmsghdr on 64-bit: size_t cmsg_len, int cmsg_level, int cmsg_type. */
const CMSG_HDR = 16;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const IPPROTO_ICMPV6 = 58;

export interface ParserOptions {
  /** Live mode: read /proc for processes first seen in a record, and resolve cgroup changes. */
  procfs?: ProcFs;
  /** cgroup id -> cgroup path entries, for cgroup changes seen in records (capture snapshots). */
  cgroupPaths?: Map<bigint, string[]>;
  /** Called when a cgroup id is resolved live (capture records it). */
  onCgroup?: (id: bigint, entries: string[]) => void;
}

export class StateParser {
  private readonly threads;
  private closeAfter = -1;
  private exitAfter = -1;
  private readonly pool: FdInfo[] = [];
  /** The tuple of the record being applied (decoded in place: applyTuple copies what it keeps). */
  private readonly tuple = newSocktuple();
  readonly cgroupPaths: Map<bigint, string[]>;
  /** The container of a cgroup list, by list (records of one container share one frozen list). */
  private readonly containerOf = new WeakMap<readonly string[], CgroupContainer | null>();
  /** A record's cgroups param as per-controller entries, by the record's (shared, frozen) list. */
  private readonly perController = new WeakMap<readonly string[], readonly string[]>();
  /** v1 hosts: the full /proc list for the one entry a record names, read once per entry. */
  private readonly v1Lists = new Map<string, readonly string[]>();

  constructor(
    private readonly ctx: SyscallContext,
    private readonly opts: ParserOptions = {},
  ) {
    this.threads = ctx.threads;
    this.cgroupPaths = opts.cgroupPaths ?? new Map();
  }

  /** Resolves the record's thread, process and fd, and applies what it changes. */
  before(e: SyscallEvent): void {
    const stats = this.ctx.stats;
    stats.records++;
    if (e.flags & REC_F_TRUNCATED) stats.truncatedRecords++;
    if (e.flags & REC_F_READ_FAULT) stats.readFaults++;
    e.fd = undefined;
    e.fdNum = NO_FD;
    e.fdNameChanged = false;
    this.closeAfter = -1;
    this.exitAfter = -1;

    let t = this.threads.thread(e.tid);
    if (t === undefined || t.proc.pid !== e.pid) t = this.threadFromRecord(e);
    const p = t.proc;
    e.thread = t;
    e.proc = p;
    t.lastSeen = e.num;
    p.lastSeen = e.num;
    this.syncHeader(e, t, p);

    switch (e.type) {
      case KT.OPEN:
      case KT.OPENAT:
      case KT.OPENAT2:
      case KT.CREAT:
        this.open(e, p);
        break;
      case KT.CLOSE:
        this.useFd(e, p);
        if (e.ret >= 0) this.closeAfter = e.fdNum;
        break;
      case KT.SOCKET:
        this.socket(e, p);
        break;
      case KT.CONNECT:
        this.connect(e, p);
        break;
      case KT.ACCEPT:
      case KT.ACCEPT4:
        this.accept(e, p);
        break;
      case KT.BIND:
        this.bind(e, p);
        break;
      case KT.LISTEN:
        if (this.useFd(e, p) && e.ret >= 0) e.fd!.role = ROLE_SERVER;
        break;
      case KT.SENDTO:
      case KT.SENDMSG:
      case KT.RECVFROM:
        this.io(e, p);
        break;
      case KT.RECVMSG:
        this.io(e, p);
        if (e.ret >= 0) this.receivedFds(e, p);
        break;
      case KT.DUP:
      case KT.DUP2:
      case KT.DUP3:
        this.useFd(e, p);
        if (e.ret >= 0) this.dup(p, e.fdNum, e.ret, e.type === KT.DUP3 && ((e.int(e.spec.index[P_FLAGS]!) ?? 0) & O_CLOEXEC) !== 0);
        break;
      case KT.FCNTL: {
        this.useFd(e, p);
        const cmd = e.int(e.spec.index[P_CMD]!);
        if (e.ret >= 0 && (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC)) this.dup(p, e.fdNum, e.ret, cmd === F_DUPFD_CLOEXEC);
        break;
      }
      case KT.PIPE:
      case KT.PIPE2:
        this.pipe(e, p);
        break;
      case KT.SOCKETPAIR:
        this.socketpair(e, p);
        break;
      case KT.MEMFD_CREATE:
        this.simpleFd(e, p, FdType.MEMFD, 'memfd:' + (e.str(e.spec.index[P_NAME]!) ?? ''));
        break;
      case KT.USERFAULTFD:
        this.simpleFd(e, p, FdType.USERFAULTFD, '');
        break;
      case KT.BPF:
        this.simpleFd(e, p, FdType.BPF, '');
        break;
      case KT.CHDIR:
        if (e.ret >= 0) p.cwd = resolvePath(p.cwd, e.str(e.spec.index[P_PATH]!) ?? '');
        break;
      case KT.FCHDIR:
        if (this.useFd(e, p) && e.ret >= 0) p.cwd = e.fd!.name;
        break;
      case KT.CHROOT:
        if (e.ret >= 0) p.root = resolvePath(p.cwd, e.str(e.spec.index[P_PATH]!) ?? '/');
        break;
      case KT.FCHMOD:
      case KT.SETNS:
      case KT.FINIT_MODULE:
        this.useFd(e, p);
        break;
      case KT.EXECVE:
      case KT.EXECVEAT:
        if (e.ret === 0) this.exec(e, t, p);
        break;
      case KT.CLONE:
      case KT.CLONE3:
      case KT.FORK:
      case KT.VFORK:
        if (e.ret > 0) this.fork(e, p);
        break;
      case KT.PROCEXIT:
        this.exitAfter = e.tid;
        break;
      case KT.SETSID:
        if (e.ret >= 0) {
          p.sid = e.ret;
          p.vpgid = e.ret;
        }
        break;
      case KT.SETPGID:
        this.setpgid(e, p);
        break;
      case KT.CAPSET:
        if (e.ret === 0) {
          p.capInheritable = e.big(e.spec.index[P_CAP_INHERITABLE]!) ?? p.capInheritable;
          p.capPermitted = e.big(e.spec.index[P_CAP_PERMITTED]!) ?? p.capPermitted;
          p.capEffective = e.big(e.spec.index[P_CAP_EFFECTIVE]!) ?? p.capEffective;
        }
        break;
      default:
        break;
    }
  }

  /** Applies what must wait until the rules saw the record (closed fds, exited threads). */
  after(e: SyscallEvent): void {
    if (this.closeAfter >= 0) {
      const fds = e.proc?.fds;
      const fd = fds?.get(this.closeAfter);
      if (fd) {
        fds!.delete(this.closeAfter);
        // closed fds are reused: opening and closing is most of what processes do
        if (this.pool.length < 4096) this.pool.push(fd);
      }
    }
    if (this.exitAfter >= 0) this.threads.removeThread(this.exitAfter);
  }

  // Threads -----------------------------------------------------------------------------------

  private threadFromRecord(e: SyscallEvent): ThreadInfo {
    const stats = this.ctx.stats;
    stats.threadsFromRecords++;
    let p = this.threads.process(e.pid);
    if (!p || p.dead) {
      const procfs = this.opts.procfs;
      if (procfs) {
        stats.procLookups++;
        const read = procfs.readProcess(e.pid);
        if (read) {
          procfs.addWithThreads(this.threads, read);
          const t = this.threads.thread(e.tid);
          if (t) return t;
          p = read;
        } else stats.procLookupFailures++;
      }
      if (!p || p.dead) {
        p = new ProcessInfo(e.pid);
        p.partial = true;
        p.comm = e.comm();
        p.vpid = e.vpid;
        p.ppid = e.ppid;
        p.sid = 0;
        this.threads.addProcess(p);
      }
    }
    const t = new ThreadInfo(e.tid, p);
    t.comm = e.comm();
    t.vtid = e.vtid;
    this.threads.addThread(t);
    return t;
  }

  /** Facts every record header carries: names, ids, credentials, cgroup. */
  private syncHeader(e: SyscallEvent, t: ThreadInfo, p: ProcessInfo): void {
    const at = e.off + H.comm;
    const dv = e.dv;
    const w0 = dv.getInt32(at, true);
    const w1 = dv.getInt32(at + 4, true);
    const w2 = dv.getInt32(at + 8, true);
    const w3 = dv.getInt32(at + 12, true);
    if (t.commOf !== t.comm || w0 !== t.commW0 || w1 !== t.commW1 || w2 !== t.commW2 || w3 !== t.commW3) {
      if (!e.commEquals(t.comm)) {
        t.comm = e.comm();
        if (t.tid === p.pid) p.setComm(t.comm);
      }
      t.commW0 = w0;
      t.commW1 = w1;
      t.commW2 = w2;
      t.commW3 = w3;
      t.commOf = t.comm;
    }
    p.uid = e.uid;
    p.gid = e.gid;
    p.loginuid = e.loginuid;
    const ppid = e.ppid;
    if (ppid !== 0) p.ppid = ppid;
    if (e.cgroupIdLo !== p.cgroupIdLo) this.cgroupChanged(e, p);
    // a container process read from /proc or a snapshot: make sure its container is tracked
    if (p.containerId !== '' && !p.containerTracked) {
      p.containerTracked = true;
      if (!this.ctx.containers.get(p.containerId)) {
        const c = containerFromCgroups(p.cgroups);
        if (c) this.ctx.containers.ensure(c);
      }
    }
  }

  private cgroupChanged(e: SyscallEvent, p: ProcessInfo): void {
    const id = e.cgroupId();
    p.cgroupId = id;
    p.cgroupIdLo = e.cgroupIdLo;
    if (id === 0n) return;
    let entries = this.cgroupPaths.get(id);
    if (!entries && this.opts.procfs) {
      const text = readCgroup(this.opts.procfs.root, e.pid);
      if (text) {
        entries = text;
        this.cgroupPaths.set(id, entries);
        this.opts.onCgroup?.(id, entries);
      }
    }
    if (entries) this.setCgroups(p, entries);
  }

  /**
   * The per-controller list for a record's cgroups param (cgroup.ts recordCgroups). On a v1 host
   * the record names one controller: live, the process's /proc/PID/cgroup gives the others, read
   * once per distinct entry (and only when it still shows that entry).
   */
  private recordList(entries: readonly string[], pid: number): readonly string[] {
    let out = this.perController.get(entries);
    if (out) return out;
    out = Object.freeze(recordCgroups(entries));
    const only = out.length === 1 ? out[0]! : undefined;
    if (only !== undefined && this.opts.procfs) {
      let full = this.v1Lists.get(only);
      if (!full) {
        const read = readCgroup(this.opts.procfs.root, pid);
        if (read && read.includes(only)) {
          full = Object.freeze(read);
          if (this.v1Lists.size >= 4096) this.v1Lists.clear(); // bounded: paths come and go with containers
          this.v1Lists.set(only, full);
        }
      }
      if (full) out = full;
    }
    if (Object.isFrozen(entries)) this.perController.set(entries, out);
    return out;
  }

  private setCgroups(p: ProcessInfo, entries: readonly string[]): void {
    p.cgroups = entries;
    let c = this.containerOf.get(entries);
    if (c === undefined) {
      c = containerFromCgroups(entries) ?? null;
      if (Object.isFrozen(entries)) this.containerOf.set(entries, c);
    }
    p.containerId = c ? this.ctx.containers.ensure(c).id : '';
    p.containerTracked = true;
  }

  private fork(e: SyscallEvent, parent: ProcessInfo): void {
    const flags = e.int(e.spec.index[P_FLAGS]!) ?? 0;
    const childTid = e.ret;
    const childPid = e.int(e.spec.index[P_PID]!) ?? childTid;
    const existing = this.threads.thread(childTid);
    if (flags & CLONE_THREAD || childPid === parent.pid) {
      if (existing && existing.proc === parent) return;
      const t = new ThreadInfo(childTid, parent);
      t.comm = e.str(e.spec.index[P_COMM]!) ?? e.comm();
      t.vtid = e.int(e.spec.index[P_VTID]!) ?? childTid;
      this.threads.addThread(t);
      return;
    }
    const child = parent.forkChild(childPid);
    child.ppid = parent.pid;
    child.vpid = e.int(e.spec.index[P_VPID]!) ?? childPid;
    child.startTs = e.timeNs();
    // CLOCK_BOOTTIME in the record, epoch ns in the field (as record timestamps)
    const pidnsTs = e.big(e.spec.index[P_PIDNS_INIT_START_TS]!);
    if (pidnsTs) child.pidnsInitStartTs = pidnsTs + this.ctx.bootEpochNs;
    this.memory(e, child);
    const cgroups = e.argvList(e.spec.index[P_CGROUPS]!);
    if (existing && existing.proc.pid === childPid) {
      // the child's own records came first: keep what it already did, inherit the rest
      existing.proc.fds.forEach((fd, n) => child.fds.set(n, fd));
      child.cgroupId = existing.proc.cgroupId;
      child.cgroupIdLo = existing.proc.cgroupIdLo;
      child.cgroups = existing.proc.cgroups;
      child.containerId = existing.proc.containerId;
      this.threads.removeThread(childTid);
    }
    if (cgroups) this.setCgroups(child, this.recordList(cgroups, childPid));
    this.threads.addProcess(child);
    const t = new ThreadInfo(childTid, child);
    t.comm = e.str(e.spec.index[P_COMM]!) ?? parent.comm;
    t.vtid = e.int(e.spec.index[P_VTID]!) ?? child.vpid;
    this.threads.addThread(t);
  }

  private exec(e: SyscallEvent, t: ThreadInfo, p: ProcessInfo): void {
    const argv = e.argvList(e.spec.index[P_ARGS]!) ?? [];
    const exeParam = e.str(e.spec.index[P_EXE]!);
    p.exe = exeParam || argv[0] || '';
    const args: string[] = []; // a copy (argv is shared and frozen; slice would take a slow path on it)
    for (let i = 1; i < argv.length; i++) args.push(argv[i]!);
    p.setArgs(args);
    p.argsTruncated = e.paramTruncated(e.spec.index[P_ARGS]!);
    const comm = e.str(e.spec.index[P_COMM]!) || e.comm();
    t.comm = comm;
    p.setComm(comm);
    const cwd = e.str(e.spec.index[P_CWD]!);
    if (cwd) p.cwd = cwd;
    const trusted = e.str(e.spec.index[P_TRUSTED_EXEPATH]!);
    if (trusted) p.exepath = trusted;
    else {
      const filename = resolvedPathParam(e, e.spec.index[e.type === KT.EXECVEAT ? P_PATHNAME : P_FILENAME]!);
      p.exepath = filename ?? (p.exe.startsWith('/') ? p.exe : resolvePath(p.cwd, p.exe));
    }
    const env = e.argvList(e.spec.index[P_ENV]!);
    if (env) {
      let size = 0;
      let n = 0;
      for (; n < env.length; n++) {
        size += env[n]!.length + 1;
        if (size > MAX_ENV) break;
      }
      // the shared list when it fits whole (most of the time), else the part that fits
      p.env = n === env.length ? env : env.slice(0, n);
      p.envTruncated = n < env.length || e.paramTruncated(e.spec.index[P_ENV]!);
    }
    const idx = e.spec.index;
    p.tty = e.int(idx[P_TTY]!) ?? p.tty;
    p.vpgid = e.int(idx[P_PGID]!) ?? p.vpgid;
    p.loginuid = e.int(idx[P_LOGINUID]!) ?? p.loginuid;
    p.capInheritable = e.big(idx[P_CAP_INHERITABLE]!) ?? p.capInheritable;
    p.capPermitted = e.big(idx[P_CAP_PERMITTED]!) ?? p.capPermitted;
    p.capEffective = e.big(idx[P_CAP_EFFECTIVE]!) ?? p.capEffective;
    p.exeIno = e.int(idx[P_EXE_INO]!) ?? 0;
    p.exeCtime = e.big(idx[P_EXE_INO_CTIME]!) ?? 0n;
    p.exeMtime = e.big(idx[P_EXE_INO_MTIME]!) ?? 0n;
    p.fdlimit = e.int(idx[P_FDLIMIT]!) ?? p.fdlimit;
    this.memory(e, p);
    const flags = e.int(idx[P_FLAGS]!) ?? 0;
    p.exeWritable = (flags & EXE_WRITABLE) !== 0;
    p.exeUpperLayer = (flags & EXE_UPPER_LAYER) !== 0;
    p.exeLowerLayer = (flags & EXE_LOWER_LAYER) !== 0;
    p.exeFromMemfd = (flags & EXE_FROM_MEMFD) !== 0 || p.exepath.startsWith('memfd:') || p.exepath.startsWith('/memfd:');
    const cgroups = e.argvList(e.spec.index[P_CGROUPS]!);
    if (cgroups) this.setCgroups(p, this.recordList(cgroups, p.pid));
    p.vpid = e.vpid;
    p.partial = false;
    const fds = p.fds;
    fds.forEach((fd, n) => {
      if (fd.cloexec) fds.delete(n);
    });
  }

  /** vm_size/vm_rss/vm_swap of an exec or clone record, when it carries them (KiB). */
  private memory(e: SyscallEvent, p: ProcessInfo): void {
    const idx = e.spec.index;
    p.vmSize = e.int(idx[P_VM_SIZE]!) ?? p.vmSize;
    p.vmRss = e.int(idx[P_VM_RSS]!) ?? p.vmRss;
    p.vmSwap = e.int(idx[P_VM_SWAP]!) ?? p.vmSwap;
  }

  private setpgid(e: SyscallEvent, p: ProcessInfo): void {
    if (e.ret !== 0) return;
    const target = e.int(e.spec.index[P_PID]!) || p.vpid;
    const pgid = e.int(e.spec.index[P_PGID]!) || target;
    // the target is the caller or one of its children, named by pid in the caller's namespace
    if (target === p.vpid) {
      p.vpgid = pgid;
      return;
    }
    for (const c of this.threads.procs.values()) {
      if (c.ppid === p.pid && c.vpid === target) {
        c.vpgid = pgid;
        return;
      }
    }
  }

  // Fds ---------------------------------------------------------------------------------------

  /** The event works on an existing fd (its `fd` param). */
  private useFd(e: SyscallEvent, p: ProcessInfo): FdInfo | undefined {
    const i = e.spec.fdParam;
    const n = i >= 0 ? e.int(i) : undefined;
    if (n === undefined) return undefined;
    e.fdNum = n;
    const fd = p.fds.get(n);
    e.fd = fd;
    if (!fd) this.ctx.stats.fdMisses++;
    return fd;
  }

  private newFd(e: SyscallEvent, p: ProcessInfo, n: number): FdInfo {
    const fd = this.pool.pop()?.reset(n) ?? new FdInfo(n);
    p.fds.set(n, fd);
    e.fd = fd;
    e.fdNum = n;
    return fd;
  }

  private open(e: SyscallEvent, p: ProcessInfo): void {
    const n = e.ret;
    if (n < 0) {
      e.fdNum = -1;
      return;
    }
    const fd = this.newFd(e, p, n);
    const nameIdx = e.spec.index[P_NAME]!;
    const flags = e.type === KT.CREAT ? 0o1101 : (e.int(e.spec.index[P_FLAGS]!) ?? 0);
    // as libsinsp: O_DIRECTORY makes a directory fd, O_TMPFILE too (it holds O_DIRECTORY's bit, and
    // the drivers set PPM_O_DIRECTORY for it): an unnamed temporary file in /tmp is not a write below /
    fd.type = flags & O_DIRECTORY ? FdType.DIRECTORY : FdType.FILE;
    const path = e.strEntry(nameIdx);
    fd.nameRaw = path?.text ?? '';
    fd.name = resolvedPathParam(e, nameIdx) ?? fd.nameRaw;
    fd.path = path;
    fd.openFlags = flags;
    fd.cloexec = (flags & O_CLOEXEC) !== 0;
    fd.dev = e.int(e.spec.index[P_DEV]!) ?? 0;
    fd.ino = e.int(e.spec.index[P_INO]!) ?? 0;
  }

  private simpleFd(e: SyscallEvent, p: ProcessInfo, type: FdType, name: string): void {
    if (e.ret < 0) {
      e.fdNum = -1;
      return;
    }
    const fd = this.newFd(e, p, e.ret);
    fd.type = type;
    fd.name = name;
  }

  private socket(e: SyscallEvent, p: ProcessInfo): void {
    if (e.ret < 0) {
      e.fdNum = -1;
      return;
    }
    const fd = this.newFd(e, p, e.ret);
    const domain = e.int(e.spec.index[P_DOMAIN]!) ?? 0;
    const type = e.int(e.spec.index[P_TYPE]!) ?? 0;
    const proto = e.int(e.spec.index[P_PROTO]!) ?? 0;
    fd.type = domain === AF_INET ? FdType.IPV4 : domain === AF_INET6 ? FdType.IPV6 : domain === AF_UNIX ? FdType.UNIX : domain === AF_NETLINK ? FdType.NETLINK : FdType.UNKNOWN;
    const base = type & 0xf;
    if (fd.type === FdType.IPV4 || fd.type === FdType.IPV6) {
      fd.l4proto = base === 1 ? L4_TCP : base === 2 ? (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6 ? L4_ICMP : L4_UDP) : base === 3 ? L4_RAW : L4_TCP;
    }
    fd.cloexec = (type & SOCK_CLOEXEC) !== 0;
  }

  private applyTuple(fd: FdInfo, t: SockTuple, role: number): boolean {
    if (t.family === AF_UNIX) {
      fd.type = FdType.UNIX;
      if (t.path) fd.unixPath = t.path;
      const name = tupleName(t);
      const changed = name !== fd.name;
      fd.name = name;
      return changed;
    }
    if (t.family !== AF_INET && t.family !== AF_INET6) return false;
    if (fd.type !== FdType.IPV4 && fd.type !== FdType.IPV6) fd.type = t.family === AF_INET ? FdType.IPV4 : FdType.IPV6;
    else if (t.family === AF_INET && fd.type === FdType.IPV6) fd.type = FdType.IPV4;
    fd.cip = t.cip;
    fd.cport = t.cport;
    fd.sip = t.sip;
    fd.sport = t.sport;
    fd.role = role;
    const name = tupleName(t);
    const changed = name !== fd.name;
    fd.name = name;
    return changed;
  }

  private connect(e: SyscallEvent, p: ProcessInfo): void {
    let fd = this.useFd(e, p);
    const res = e.ret;
    if (res < 0 && res !== EINPROGRESS) return;
    let t = e.socktuple(e.spec.index[P_TUPLE]!, this.tuple);
    if (!t || (t.family !== AF_UNIX && !t.sip)) {
      const a = e.sockaddr(e.spec.index[P_ADDR]!);
      if (a) t = { family: a.family, cip: t?.cip ?? '', cport: t?.cport ?? 0, sip: a.addr, sport: a.port, usrc: 0n, udst: 0n, path: a.path };
    }
    if (!t) return;
    if (!fd && e.fdNum >= 0) fd = this.newFd(e, p, e.fdNum);
    if (!fd) return;
    // an IP socket Kestrel did not see created: connect makes it a stream one (netlink, unix: no l4 protocol)
    if (fd.l4proto === 0 && (t.family === AF_INET || t.family === AF_INET6)) fd.l4proto = L4_TCP;
    e.fdNameChanged = this.applyTuple(fd, t, ROLE_CLIENT);
    fd.connected = true;
  }

  private accept(e: SyscallEvent, p: ProcessInfo): void {
    if (e.ret < 0) {
      e.fdNum = -1;
      return;
    }
    const fd = this.newFd(e, p, e.ret);
    const t = e.socktuple(e.spec.index[P_TUPLE]!, this.tuple);
    fd.l4proto = L4_TCP;
    fd.role = ROLE_SERVER;
    fd.connected = true;
    if (t) this.applyTuple(fd, t, ROLE_SERVER);
    if (e.type === KT.ACCEPT4) fd.cloexec = ((e.int(e.spec.index[P_FLAGS]!) ?? 0) & SOCK_CLOEXEC) !== 0;
  }

  private bind(e: SyscallEvent, p: ProcessInfo): void {
    const fd = this.useFd(e, p);
    if (!fd || e.ret < 0) return;
    const a = e.sockaddr(e.spec.index[P_ADDR]!);
    if (!a) return;
    if (a.family === AF_UNIX) {
      fd.unixPath = a.path;
      fd.name = a.path;
      return;
    }
    fd.sip = a.addr;
    fd.sport = a.port;
    fd.role = ROLE_SERVER;
  }

  private io(e: SyscallEvent, p: ProcessInfo): void {
    const fd = this.useFd(e, p);
    if (!fd || e.ret < 0) return;
    const t = e.socktuple(e.spec.index[P_TUPLE]!, this.tuple);
    if (!t || (t.family !== AF_INET && t.family !== AF_INET6)) return;
    const sending = e.type === KT.SENDTO || e.type === KT.SENDMSG;
    e.fdNameChanged = this.applyTuple(fd, t, sending ? ROLE_CLIENT : ROLE_SERVER);
  }

  /**
   * fds passed over a unix socket (SCM_RIGHTS in recvmsg's control data) become fds of the
   * receiver, as libsinsp's process_recvmsg_ancillary_data adds them: live, each as /proc shows it
   * now; otherwise (replay, or already closed) with no type or name.
   */
  private receivedFds(e: SyscallEvent, p: ProcessInfo): void {
    const ctl = e.bytes(e.spec.index[P_MSGCONTROL]!);
    if (!ctl || ctl.length < CMSG_HDR) return;
    const dv = new DataView(ctl.buffer, ctl.byteOffset, ctl.byteLength);
    for (let off = 0; off + CMSG_HDR <= ctl.length; ) {
      const len = Number(dv.getBigUint64(off, true));
      if (len < CMSG_HDR) return; // malformed: stop, as CMSG_NXTHDR would
      const end = Math.min(off + len, ctl.length); // a truncated last record keeps the fds it has
      if (dv.getInt32(off + 8, true) === SOL_SOCKET && dv.getInt32(off + 12, true) === SCM_RIGHTS) {
        for (let at = off + CMSG_HDR; at + 4 <= end; at += 4) {
          const n = dv.getInt32(at, true);
          if (n < 0) continue;
          const fd = this.opts.procfs?.readFd(p.pid, n) ?? new FdInfo(n);
          p.fds.set(n, fd);
        }
      }
      off += (len + 7) & ~7; // CMSG_ALIGN
    }
  }

  private dup(p: ProcessInfo, oldfd: number, newfd: number, cloexec: boolean): void {
    const old = p.fds.get(oldfd);
    if (!old) {
      this.ctx.stats.fdMisses++;
      return;
    }
    const fd = old.clone(newfd);
    fd.cloexec = cloexec;
    p.fds.set(newfd, fd);
  }

  private pipe(e: SyscallEvent, p: ProcessInfo): void {
    if (e.ret < 0) return;
    const ino = e.int(e.spec.index[P_INO]!) ?? 0;
    const cloexec = ((e.int(e.spec.index[P_FLAGS]!) ?? 0) & O_CLOEXEC) !== 0;
    for (const name of ['fd1', 'fd2']) {
      const n = e.int(e.spec.param(name));
      if (n === undefined) continue;
      const fd = new FdInfo(n);
      fd.type = FdType.PIPE;
      fd.name = `pipe:[${ino}]`;
      fd.cloexec = cloexec;
      p.fds.set(n, fd);
    }
  }

  private socketpair(e: SyscallEvent, p: ProcessInfo): void {
    if (e.ret < 0) return;
    const domain = e.int(e.spec.index[P_DOMAIN]!) ?? AF_UNIX;
    const src = e.big(e.spec.index[P_SOURCE]!) ?? 0n;
    const peer = e.big(e.spec.index[P_PEER]!) ?? 0n;
    const cloexec = ((e.int(e.spec.index[P_TYPE]!) ?? 0) & SOCK_CLOEXEC) !== 0;
    for (const [name, a, b] of [
      ['fd1', src, peer],
      ['fd2', peer, src],
    ] as const) {
      const n = e.int(e.spec.param(name));
      if (n === undefined) continue;
      const fd = new FdInfo(n);
      fd.type = domain === AF_UNIX ? FdType.UNIX : FdType.UNKNOWN;
      fd.name = `0x${a.toString(16)}->0x${b.toString(16)}`;
      fd.cloexec = cloexec;
      p.fds.set(n, fd);
    }
  }
}

function readCgroup(procRoot: string, pid: number): string[] | undefined {
  try {
    const text = readFileSync(`${procRoot}/${pid}/cgroup`, 'latin1');
    return parseProcCgroup(text);
  } catch {
    return undefined;
  }
}

