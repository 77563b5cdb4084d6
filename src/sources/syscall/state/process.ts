// Process and thread state (libsinsp's sinsp_threadinfo, split: what threads of one process
// share lives in ProcessInfo; a ThreadInfo is one task).
import { FdTable } from './fdtable.js';

export class ProcessInfo {
  pid: number;
  vpid = 0;
  ppid = 0;
  /** Name of the main thread (task->comm). */
  comm = '';
  /** argv[0]. */
  exe = '';
  /** Full executable path. */
  exepath = '';
  /** argv[1..]. */
  args: string[] = [];
  argsTruncated = false;
  /** (possibly shared with other processes: never changed in place) */
  env: readonly string[] = [];
  envTruncated = false;
  cwd = '/';
  /** Root directory (chroot), relative to the host. */
  root = '/';
  uid = 0;
  gid = 0;
  loginuid = 0xffffffff;
  tty = 0;
  sid = 0;
  vpgid = 0;
  capInheritable = 0n;
  capPermitted = 0n;
  capEffective = 0n;
  /** Clone (start) time, ns since the epoch; 0n: unknown. */
  startTs = 0n;
  pidnsInitStartTs = 0n;
  exeIno = 0;
  exeCtime = 0n;
  exeMtime = 0n;
  exeWritable = false;
  exeUpperLayer = false;
  exeLowerLayer = false;
  exeFromMemfd = false;
  fdlimit = 0;
  /** Memory at the last exec or clone (or /proc read), KiB: total virtual, resident, swapped. */
  vmSize = 0;
  vmRss = 0;
  vmSwap = 0;
  /** cgroup v2 id the process was last seen in (bigint), and its low 32 bits for quick checks. */
  cgroupId = 0n;
  cgroupIdLo = 0;
  /** `subsys=path` entries (possibly shared with other processes: never changed in place). */
  cgroups: readonly string[] = [];
  /** '' for host processes. */
  containerId = '';
  /** The container's entry in the container store was made (or looked for). */
  containerTracked = false;
  mntNs = 0;
  pidNs = 0;
  fds = new FdTable();
  /** Live threads of the process. */
  threads = 0;
  /** Set when the process was made from a record header alone (no fork/exec/proc seen). */
  partial = false;
  dead = false;
  /** evt.num of the last record of any of its threads (eviction order). */
  lastSeen = 0;
  private cmdlineCache: string | undefined;
  private argsCache: string | undefined;

  constructor(pid: number) {
    this.pid = pid;
  }

  /** proc.cmdline: name followed by the args. */
  get cmdline(): string {
    if (this.cmdlineCache === undefined) {
      this.cmdlineCache = this.args.length ? `${this.comm} ${this.args.join(' ')}` : this.comm;
    }
    return this.cmdlineCache;
  }

  private envFor: readonly string[] | undefined;
  private envCache = '';

  /** proc.env: the environment joined by spaces (kept while `env` is the same array). */
  get envText(): string {
    if (this.envFor !== this.env) {
      this.envCache = this.env.join(' ');
      this.envFor = this.env;
    }
    return this.envCache;
  }

  /** proc.args: the args joined by spaces. */
  get argsText(): string {
    if (this.argsCache === undefined) this.argsCache = this.args.join(' ');
    return this.argsCache;
  }

  setComm(c: string): void {
    if (c !== this.comm) {
      this.comm = c;
      this.cmdlineCache = undefined;
    }
  }

  setArgs(args: string[]): void {
    this.args = args;
    this.cmdlineCache = undefined;
    this.argsCache = undefined;
  }

  /** The child of a fork: everything inherited, fds copied. */
  forkChild(pid: number): ProcessInfo {
    const c = new ProcessInfo(pid);
    c.ppid = this.pid;
    c.comm = this.comm;
    c.exe = this.exe;
    c.exepath = this.exepath;
    c.args = this.args;
    c.argsTruncated = this.argsTruncated;
    c.env = this.env;
    c.envTruncated = this.envTruncated;
    c.cwd = this.cwd;
    c.root = this.root;
    c.uid = this.uid;
    c.gid = this.gid;
    c.loginuid = this.loginuid;
    c.tty = this.tty;
    c.sid = this.sid;
    c.vpgid = this.vpgid;
    c.capInheritable = this.capInheritable;
    c.capPermitted = this.capPermitted;
    c.capEffective = this.capEffective;
    c.pidnsInitStartTs = this.pidnsInitStartTs;
    c.exeIno = this.exeIno;
    c.exeCtime = this.exeCtime;
    c.exeMtime = this.exeMtime;
    c.exeWritable = this.exeWritable;
    c.exeUpperLayer = this.exeUpperLayer;
    c.exeLowerLayer = this.exeLowerLayer;
    c.exeFromMemfd = this.exeFromMemfd;
    c.fdlimit = this.fdlimit;
    c.vmSize = this.vmSize;
    c.vmRss = this.vmRss;
    c.vmSwap = this.vmSwap;
    c.cgroupId = this.cgroupId;
    c.cgroupIdLo = this.cgroupIdLo;
    c.cgroups = this.cgroups;
    c.containerId = this.containerId;
    c.mntNs = this.mntNs;
    c.pidNs = this.pidNs;
    this.fds.forEach((fd, n) => c.fds.set(n, fd.clone()));
    return c;
  }
}

export class ThreadInfo {
  vtid = 0;
  /** Thread name (task->comm): proc.name. */
  comm = '';
  lastSeen = 0;
  /**
   * The 16 comm bytes of the last record found to name this thread `commOf` (four words): while
   * a record's words are these and comm is still commOf, its comm needs no decoding nor comparing.
   */
  commW0 = 0;
  commW1 = 0;
  commW2 = 0;
  commW3 = 0;
  commOf: string | undefined = undefined;
  constructor(
    public tid: number,
    public proc: ProcessInfo,
  ) {}

  get isMain(): boolean {
    return this.tid === this.proc.pid;
  }
}
