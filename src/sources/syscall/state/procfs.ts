// Seeding the process table from /proc (or a host /proc mounted elsewhere, e.g. /host/proc),
// and reading one process on demand when a record names a process the table does not know.
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { MAX_ENV } from '../record/layout.js';
import { containerFromCgroups, parseProcCgroup } from './cgroup.js';
import { FdInfo, FdType, L4_TCP, L4_UDP, ROLE_CLIENT, ROLE_SERVER } from './fd.js';
import { ProcessInfo, ThreadInfo } from './process.js';
import type { ThreadTable } from './threads.js';

const CLK_TCK = 100n;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** Key of the host's pid namespace in ProcFs.pidnsInit (namespace inodes are never 0). */
const HOST_PIDNS = 0;

function link(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

interface SockEntry {
  family: 'ipv4' | 'ipv6' | 'unix';
  l4: number;
  local: [string, number];
  remote: [string, number];
  listen: boolean;
  path: string;
}

function hexIpv4(h: string): string {
  const n = parseInt(h, 16);
  return `${n & 0xff}.${(n >>> 8) & 0xff}.${(n >>> 16) & 0xff}.${n >>> 24}`;
}

function hexIpv6(h: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const n = parseInt(h.slice(w * 8, w * 8 + 8), 16);
    bytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function addrPort(s: string, v6: boolean): [string, number] {
  const [a, p] = s.split(':') as [string, string];
  return [v6 ? hexIpv6(a) : hexIpv4(a), parseInt(p, 16)];
}

export interface ProcFsOptions {
  /** The /proc to read (default /proc; /host/proc when Kestrel runs in a container). */
  root?: string;
  /** CLOCK_BOOTTIME -> epoch offset, ns (for process start times). */
  bootEpochNs: bigint;
}

export class ProcFs {
  readonly root: string;
  private readonly bootEpochNs: bigint;
  private readonly sockets = new Map<string, Map<number, SockEntry>>();

  constructor(opts: ProcFsOptions) {
    this.root = (opts.root ?? '/proc').replace(/\/$/, '');
    this.bootEpochNs = opts.bootEpochNs;
  }

  /** Pids currently in /proc. */
  pids(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    return names.filter((n) => /^[0-9]+$/.test(n)).map(Number);
  }

  exists(tid: number): boolean {
    try {
      statSync(`${this.root}/${tid}`);
      return true;
    } catch {
      return false;
    }
  }

  /** Fills the table with every process and thread in /proc. Returns the number of processes read. */
  scan(table: ThreadTable): number {
    this.sockets.clear();
    let n = 0;
    const found: ProcessInfo[] = [];
    for (const pid of this.pids()) {
      const p = this.readProcess(pid);
      if (!p) continue;
      this.addWithThreads(table, p);
      found.push(p);
      n++;
    }
    // proc.pidns_init_start_ts of processes found here: the start of their namespace's pid 1
    for (const p of found) if (!p.pidnsInitStartTs) p.pidnsInitStartTs = this.pidnsInit.get(this.nsKeyOf.get(p) ?? -1) ?? 0n;
    this.sockets.clear();
    return n;
  }

  /** Start time of pid 1 of each pid namespace seen, by namespace inode (HOST_PIDNS: the host's). */
  private readonly pidnsInit = new Map<number, bigint>();
  private readonly nsKeyOf = new WeakMap<ProcessInfo, number>();

  /** Adds a process read from /proc and its threads. */
  addWithThreads(table: ThreadTable, p: ProcessInfo): void {
    table.addProcess(p);
    let tids: number[];
    try {
      tids = readdirSync(`${this.root}/${p.pid}/task`).filter((n) => /^[0-9]+$/.test(n)).map(Number);
    } catch {
      tids = [p.pid];
    }
    if (!tids.includes(p.pid)) tids.push(p.pid);
    for (const tid of tids) {
      const t = new ThreadInfo(tid, p);
      t.comm = tid === p.pid ? p.comm : (read(`${this.root}/${p.pid}/task/${tid}/comm`)?.trimEnd() ?? p.comm);
      t.vtid = tid === p.pid ? p.vpid : tid;
      table.addThread(t);
    }
  }

  /** Reads one process; undefined when it is gone. */
  readProcess(pid: number): ProcessInfo | undefined {
    const dir = `${this.root}/${pid}`;
    const stat = read(`${dir}/stat`);
    const status = read(`${dir}/status`);
    if (stat === undefined || status === undefined) return undefined;
    const p = new ProcessInfo(pid);
    // stat: pid (comm) state ppid pgrp session tty_nr ... starttime(22)
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    p.ppid = Number(f[1]);
    p.tty = Number(f[4]);
    const start = BigInt(f[19] ?? '0');
    p.startTs = this.bootEpochNs + (start * 1_000_000_000n) / CLK_TCK;
    const st = new Map<string, string>();
    for (const line of status.split('\n')) {
      const c = line.indexOf(':');
      if (c > 0) st.set(line.slice(0, c), line.slice(c + 1).trim());
    }
    p.comm = st.get('Name') ?? stat.slice(stat.indexOf('(') + 1, close);
    const last = (k: string) => {
      const v = st.get(k)?.split(/\s+/);
      return v ? Number(v[v.length - 1]) : undefined;
    };
    p.uid = Number(st.get('Uid')?.split(/\s+/)[1] ?? 0);
    p.gid = Number(st.get('Gid')?.split(/\s+/)[1] ?? 0);
    p.vpid = last('NSpid') ?? pid;
    p.vpgid = last('NSpgid') ?? Number(f[2]);
    p.sid = last('NSsid') ?? Number(f[3]);
    p.capInheritable = BigInt('0x' + (st.get('CapInh') ?? '0'));
    p.capPermitted = BigInt('0x' + (st.get('CapPrm') ?? '0'));
    p.capEffective = BigInt('0x' + (st.get('CapEff') ?? '0'));
    const ns = /\[(\d+)\]/.exec(link(`${dir}/ns/pid`) ?? '');
    if (ns) p.pidNs = Number(ns[1]);
    // the namespace: the host's when NSpid has one level (its pid 1 may not be ours to readlink)
    const nsKey = (st.get('NSpid')?.split(/\s+/).length ?? 1) <= 1 ? HOST_PIDNS : p.pidNs;
    if (p.vpid === 1 && (nsKey === HOST_PIDNS ? pid === 1 : nsKey !== 0)) this.pidnsInit.set(nsKey, p.startTs);
    p.pidnsInitStartTs = this.pidnsInit.get(nsKey) ?? 0n;
    this.nsKeyOf.set(p, nsKey);
    const kib = (k: string) => Number(st.get(k)?.split(/\s+/)[0] ?? 0) || 0;
    p.vmSize = kib('VmSize');
    p.vmRss = kib('VmRSS');
    p.vmSwap = kib('VmSwap');
    const loginuid = read(`${dir}/loginuid`);
    if (loginuid !== undefined) p.loginuid = Number(loginuid.trim()) >>> 0;
    const cmdline = read(`${dir}/cmdline`);
    if (cmdline) {
      const argv = Buffer.from(cmdline, 'latin1').toString('utf8').split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
      p.exe = argv[0] ?? '';
      p.setArgs(argv.slice(1));
    }
    const exe = link(`${dir}/exe`);
    if (exe) {
      const deleted = exe.endsWith(' (deleted)');
      const path = deleted ? exe.slice(0, -' (deleted)'.length) : exe;
      p.exeFromMemfd = path.startsWith('/memfd:');
      p.exepath = path;
      try {
        const s = statSync(`${dir}/exe`, { bigint: true });
        p.exeIno = Number(s.ino);
        p.exeCtime = s.ctimeNs;
        p.exeMtime = s.mtimeNs;
      } catch {
        // exe unreadable (kernel thread or permissions)
      }
    }
    p.cwd = link(`${dir}/cwd`) ?? '/';
    p.root = link(`${dir}/root`) ?? '/';
    const env = read(`${dir}/environ`);
    if (env) {
      const bounded = env.length > MAX_ENV ? env.slice(0, MAX_ENV) : env;
      p.env = bounded.split('\0').filter(Boolean);
      p.envTruncated = env.length > MAX_ENV;
    }
    const cg = read(`${dir}/cgroup`);
    if (cg) {
      p.cgroups = parseProcCgroup(cg);
      p.containerId = containerFromCgroups(p.cgroups)?.fullId.slice(0, 12) ?? '';
    }
    this.readFds(p, dir);
    return p;
  }

  private socketTable(pid: number): Map<number, SockEntry> {
    const ns = link(`${this.root}/${pid}/ns/net`) ?? 'host';
    let m = this.sockets.get(ns);
    if (m) return m;
    m = new Map();
    const base = `${this.root}/${pid}/net`;
    const listening = new Set<number>();
    for (const [file, v6, l4] of [
      ['tcp', false, L4_TCP],
      ['tcp6', true, L4_TCP],
      ['udp', false, L4_UDP],
      ['udp6', true, L4_UDP],
    ] as const) {
      const text = read(`${base}/${file}`);
      if (!text) continue;
      for (const line of text.split('\n').slice(1)) {
        const c = line.trim().split(/\s+/);
        if (c.length < 10) continue;
        const local = addrPort(c[1]!, v6);
        const listen = l4 === L4_TCP && c[3] === '0A';
        if (listen) listening.add(local[1]);
        m.set(Number(c[9]), { family: v6 && !local[0].includes('.') ? 'ipv6' : 'ipv4', l4, local, remote: addrPort(c[2]!, v6), listen, path: '' });
      }
    }
    for (const e of m.values()) if (!e.listen && listening.has(e.local[1])) e.listen = true;
    const unix = read(`${base}/unix`);
    if (unix) {
      for (const line of unix.split('\n').slice(1)) {
        const c = line.trim().split(/\s+/);
        if (c.length < 7) continue;
        m.set(Number(c[6]), { family: 'unix', l4: 0, local: ['', 0], remote: ['', 0], listen: false, path: c[7] ?? '' });
      }
    }
    this.sockets.set(ns, m);
    return m;
  }

  private readFds(p: ProcessInfo, dir: string): void {
    let names: string[];
    try {
      names = readdirSync(`${dir}/fd`);
    } catch {
      return;
    }
    for (const n of names) {
      const num = Number(n);
      const target = link(`${dir}/fd/${n}`);
      if (target === undefined) continue;
      p.fds.set(num, this.fdFromLink(p.pid, num, target));
    }
  }

  /** One fd of a process as /proc shows it now; undefined when it (or the process) is gone. */
  readFd(pid: number, num: number): FdInfo | undefined {
    const target = link(`${this.root}/${pid}/fd/${num}`);
    return target === undefined ? undefined : this.fdFromLink(pid, num, target);
  }

  /** An fd from its /proc/PID/fd link text. */
  fdFromLink(pid: number, num: number, target: string): FdInfo {
    const fd = new FdInfo(num);
    if (target.startsWith('/')) {
      const deleted = target.endsWith(' (deleted)');
      const path = deleted ? target.slice(0, -' (deleted)'.length) : target;
      if (path.startsWith('/memfd:')) {
        fd.type = FdType.MEMFD;
        fd.name = path.slice(1);
      } else {
        fd.type = FdType.FILE;
        fd.name = path;
        fd.nameRaw = path;
        try {
          if (statSync(target).isDirectory()) fd.type = FdType.DIRECTORY;
        } catch {
          // gone or unreadable: keep as a file
        }
      }
      return fd;
    }
    const sock = /^socket:\[(\d+)\]$/.exec(target);
    if (sock) {
      const e = this.socketTable(pid).get(Number(sock[1]));
      if (!e) {
        fd.type = FdType.UNIX;
        return fd;
      }
      if (e.family === 'unix') {
        fd.type = FdType.UNIX;
        fd.name = e.path;
        fd.unixPath = e.path;
        return fd;
      }
      fd.type = e.family === 'ipv6' ? FdType.IPV6 : FdType.IPV4;
      fd.l4proto = e.l4;
      if (e.listen) {
        fd.role = ROLE_SERVER;
        [fd.sip, fd.sport] = e.local;
        [fd.cip, fd.cport] = e.remote;
      } else {
        fd.role = ROLE_CLIENT;
        [fd.cip, fd.cport] = e.local;
        [fd.sip, fd.sport] = e.remote;
      }
      fd.connected = e.remote[1] !== 0;
      fd.name = `${fd.cip}:${fd.cport}->${fd.sip}:${fd.sport}`;
      return fd;
    }
    if (target.startsWith('pipe:')) fd.type = FdType.PIPE;
    else if (target === 'anon_inode:[eventfd]') fd.type = FdType.EVENT;
    else if (target === 'anon_inode:[eventpoll]') fd.type = FdType.EVENTPOLL;
    else if (target === 'anon_inode:inotify') fd.type = FdType.INOTIFY;
    else if (target === 'anon_inode:[signalfd]') fd.type = FdType.SIGNALFD;
    else if (target === 'anon_inode:[timerfd]') fd.type = FdType.TIMERFD;
    else if (target.startsWith('anon_inode:bpf')) fd.type = FdType.BPF;
    else if (target === 'anon_inode:[userfaultfd]') fd.type = FdType.USERFAULTFD;
    else if (target === 'anon_inode:[io_uring]') fd.type = FdType.IOURING;
    else if (target === 'anon_inode:[pidfd]') fd.type = FdType.PIDFD;
    fd.name = target;
    return fd;
  }
}

/** CLOCK_BOOTTIME -> epoch offset in ns, from the realtime and monotonic clocks (checked against /proc/uptime for suspended machines). */
export function bootEpochNs(procRoot = '/proc'): bigint {
  const real = BigInt(Date.now()) * 1_000_000n;
  const mono = process.hrtime.bigint();
  let offset = real - mono;
  const up = read(`${procRoot}/uptime`);
  if (up) {
    const boot = real - BigInt(Math.round(Number(up.split(' ')[0]) * 1e9));
    // the machine was suspended at some point: boottime runs ahead of monotonic
    if (boot < offset - 1_000_000_000n) offset = boot;
  }
  return offset;
}
