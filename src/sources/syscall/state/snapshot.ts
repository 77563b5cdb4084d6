// The whole syscall state as plain JSON (capture files start with it), and back.
import type { SyscallContext } from './context.js';
import type { ContainerInfo } from './containers.js';
import { FdInfo } from './fd.js';
import { ProcessInfo, ThreadInfo } from './process.js';
import { tablesFromJson, tablesToJson, type UserTablesJson } from './users.js';

export interface FdJson {
  num: number;
  type: number;
  name: string;
  nameRaw?: string;
  openFlags?: number;
  cloexec?: boolean;
  dev?: number;
  ino?: number;
  l4proto?: number;
  cip?: string;
  cport?: number;
  sip?: string;
  sport?: number;
  role?: number;
  connected?: boolean;
  unixPath?: string;
}

export interface ProcessJson {
  pid: number;
  vpid: number;
  ppid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string[];
  argsTruncated?: boolean;
  env: string[];
  envTruncated?: boolean;
  cwd: string;
  root: string;
  uid: number;
  gid: number;
  loginuid: number;
  tty: number;
  sid: number;
  vpgid: number;
  capInheritable: string;
  capPermitted: string;
  capEffective: string;
  startTs: string;
  pidnsInitStartTs?: string;
  exeIno?: number;
  exeCtime?: string;
  exeMtime?: string;
  exeWritable?: boolean;
  exeUpperLayer?: boolean;
  exeLowerLayer?: boolean;
  exeFromMemfd?: boolean;
  fdlimit?: number;
  /** KiB */
  vmSize?: number;
  vmRss?: number;
  vmSwap?: number;
  cgroupId: string;
  cgroups: string[];
  containerId: string;
  mntNs?: number;
  pidNs?: number;
  threads: { tid: number; vtid: number; comm: string }[];
  fds: FdJson[];
}

export interface StateSnapshot {
  processes: ProcessJson[];
  containers: ContainerInfo[];
  users: [string, UserTablesJson][];
  /** cgroup id (decimal string) -> `subsys=path` entries. */
  cgroups: [string, string[]][];
}

function fdToJson(f: FdInfo): FdJson {
  const j: FdJson = { num: f.num, type: f.type, name: f.name };
  if (f.nameRaw) j.nameRaw = f.nameRaw;
  if (f.openFlags) j.openFlags = f.openFlags;
  if (f.cloexec) j.cloexec = true;
  if (f.dev) j.dev = f.dev;
  if (f.ino) j.ino = f.ino;
  if (f.l4proto) j.l4proto = f.l4proto;
  if (f.cip) j.cip = f.cip;
  if (f.cport) j.cport = f.cport;
  if (f.sip) j.sip = f.sip;
  if (f.sport) j.sport = f.sport;
  if (f.role) j.role = f.role;
  if (f.connected) j.connected = true;
  if (f.unixPath) j.unixPath = f.unixPath;
  return j;
}

function fdFromJson(j: FdJson): FdInfo {
  const f = new FdInfo(j.num);
  f.type = j.type;
  f.name = j.name;
  f.nameRaw = j.nameRaw ?? '';
  f.openFlags = j.openFlags ?? 0;
  f.cloexec = j.cloexec ?? false;
  f.dev = j.dev ?? 0;
  f.ino = j.ino ?? 0;
  f.l4proto = j.l4proto ?? 0;
  f.cip = j.cip ?? '';
  f.cport = j.cport ?? 0;
  f.sip = j.sip ?? '';
  f.sport = j.sport ?? 0;
  f.role = j.role ?? 0;
  f.connected = j.connected ?? false;
  f.unixPath = j.unixPath ?? '';
  return f;
}

export function processToJson(p: ProcessInfo, threads: ThreadInfo[]): ProcessJson {
  return {
    pid: p.pid,
    vpid: p.vpid,
    ppid: p.ppid,
    comm: p.comm,
    exe: p.exe,
    exepath: p.exepath,
    args: p.args,
    ...(p.argsTruncated ? { argsTruncated: true } : {}),
    env: [...p.env],
    ...(p.envTruncated ? { envTruncated: true } : {}),
    cwd: p.cwd,
    root: p.root,
    uid: p.uid,
    gid: p.gid,
    loginuid: p.loginuid,
    tty: p.tty,
    sid: p.sid,
    vpgid: p.vpgid,
    capInheritable: p.capInheritable.toString(),
    capPermitted: p.capPermitted.toString(),
    capEffective: p.capEffective.toString(),
    startTs: p.startTs.toString(),
    ...(p.pidnsInitStartTs ? { pidnsInitStartTs: p.pidnsInitStartTs.toString() } : {}),
    ...(p.exeIno ? { exeIno: p.exeIno } : {}),
    ...(p.exeCtime ? { exeCtime: p.exeCtime.toString() } : {}),
    ...(p.exeMtime ? { exeMtime: p.exeMtime.toString() } : {}),
    ...(p.exeWritable ? { exeWritable: true } : {}),
    ...(p.exeUpperLayer ? { exeUpperLayer: true } : {}),
    ...(p.exeLowerLayer ? { exeLowerLayer: true } : {}),
    ...(p.exeFromMemfd ? { exeFromMemfd: true } : {}),
    ...(p.fdlimit ? { fdlimit: p.fdlimit } : {}),
    ...(p.vmSize ? { vmSize: p.vmSize, vmRss: p.vmRss, vmSwap: p.vmSwap } : {}),
    cgroupId: p.cgroupId.toString(),
    cgroups: [...p.cgroups],
    containerId: p.containerId,
    ...(p.mntNs ? { mntNs: p.mntNs } : {}),
    ...(p.pidNs ? { pidNs: p.pidNs } : {}),
    threads: threads.map((t) => ({ tid: t.tid, vtid: t.vtid, comm: t.comm })),
    fds: [...p.fds.values()].map(fdToJson),
  };
}

export function processFromJson(j: ProcessJson): { proc: ProcessInfo; threads: ThreadInfo[] } {
  const p = new ProcessInfo(j.pid);
  p.vpid = j.vpid;
  p.ppid = j.ppid;
  p.comm = j.comm;
  p.exe = j.exe;
  p.exepath = j.exepath;
  p.setArgs(j.args);
  p.argsTruncated = j.argsTruncated ?? false;
  p.env = j.env;
  p.envTruncated = j.envTruncated ?? false;
  p.cwd = j.cwd;
  p.root = j.root;
  p.uid = j.uid;
  p.gid = j.gid;
  p.loginuid = j.loginuid;
  p.tty = j.tty;
  p.sid = j.sid;
  p.vpgid = j.vpgid;
  p.capInheritable = BigInt(j.capInheritable);
  p.capPermitted = BigInt(j.capPermitted);
  p.capEffective = BigInt(j.capEffective);
  p.startTs = BigInt(j.startTs);
  p.pidnsInitStartTs = BigInt(j.pidnsInitStartTs ?? '0');
  p.exeIno = j.exeIno ?? 0;
  p.exeCtime = BigInt(j.exeCtime ?? '0');
  p.exeMtime = BigInt(j.exeMtime ?? '0');
  p.exeWritable = j.exeWritable ?? false;
  p.exeUpperLayer = j.exeUpperLayer ?? false;
  p.exeLowerLayer = j.exeLowerLayer ?? false;
  p.exeFromMemfd = j.exeFromMemfd ?? false;
  p.fdlimit = j.fdlimit ?? 0;
  p.vmSize = j.vmSize ?? 0;
  p.vmRss = j.vmRss ?? 0;
  p.vmSwap = j.vmSwap ?? 0;
  p.cgroupId = BigInt(j.cgroupId);
  p.cgroupIdLo = Number(p.cgroupId & 0xffffffffn);
  p.cgroups = j.cgroups;
  p.containerId = j.containerId;
  p.mntNs = j.mntNs ?? 0;
  p.pidNs = j.pidNs ?? 0;
  for (const f of j.fds) p.fds.set(f.num, fdFromJson(f));
  const threads = j.threads.map((t) => {
    const ti = new ThreadInfo(t.tid, p);
    ti.vtid = t.vtid;
    ti.comm = t.comm;
    return ti;
  });
  return { proc: p, threads };
}

export function takeSnapshot(ctx: SyscallContext, cgroups: Map<bigint, string[]>): StateSnapshot {
  const byProc = new Map<ProcessInfo, ThreadInfo[]>();
  for (const t of ctx.threads.threads.values()) {
    let list = byProc.get(t.proc);
    if (!list) byProc.set(t.proc, (list = []));
    list.push(t);
  }
  const processes: ProcessJson[] = [];
  for (const p of ctx.threads.procs.values()) processes.push(processToJson(p, byProc.get(p) ?? []));
  return {
    processes,
    containers: ctx.containers.all().map((c) => ({ ...c })),
    users: ctx.users.entries().map(([k, t]) => [k, tablesToJson(t)]),
    cgroups: [...cgroups].map(([id, e]) => [id.toString(), e]),
  };
}

export function restoreSnapshot(ctx: SyscallContext, cgroups: Map<bigint, string[]>, s: StateSnapshot): void {
  for (const j of s.processes) {
    const { proc, threads } = processFromJson(j);
    ctx.threads.addProcess(proc);
    for (const t of threads) ctx.threads.addThread(t);
  }
  for (const c of s.containers) ctx.containers.put({ ...c });
  for (const [k, t] of s.users) ctx.users.set(k, tablesFromJson(t));
  for (const [id, e] of s.cgroups) cgroups.set(BigInt(id), e);
}
