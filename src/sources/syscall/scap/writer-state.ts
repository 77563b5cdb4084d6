// Kestrel's state snapshot (state/snapshot.ts: processes, threads, fds, users at capture start)
// as the metadata blocks of a scap file: the process list (one entry per thread, as libscap's
// /proc scan makes it in scap_proc_scan_proc_dir), the fd lists (the process's table, written for
// its main thread: libsinsp shares it with threads cloned with CLONE_FILES) and the host's user
// list. What scap cannot hold is counted in `lost` by reason, for the convert summary.
import { parseIp } from '../record/sockaddr.js';
import { FdType, L4_ICMP, L4_RAW, L4_TCP, L4_UDP, type FdInfo } from '../state/fd.js';
import type { FdJson, ProcessJson, StateSnapshot } from '../state/snapshot.js';
import { OPEN_FLAGS } from './flags.js';
import { ScapFdType, type NamedFdType, type ScapFdEntry, type ScapThreadEntry, type ScapUser } from './writer.js';

/** PPM_CL_CLONE_FILES | PPM_CL_CLONE_THREAD (driver/ppm_events_public.h): a thread of a process. */
const THREAD_FLAGS = (1 << 0) | (1 << 13);

/** Counts of what a conversion could not express, by reason (shown in the convert summary). */
export type LossCounter = (reason: string, n?: number) => void;

/** scap_l4_proto by Kestrel's L4_* value. */
function l4ToScap(l4: number): number {
  switch (l4) {
    case L4_TCP:
      return 2;
    case L4_UDP:
      return 3;
    case L4_ICMP:
      return 4;
    case L4_RAW:
      return 5;
    default:
      return 0;
  }
}

const SIMPLE_TYPES: Partial<Record<FdType, NamedFdType>> = {
  [FdType.DIRECTORY]: ScapFdType.DIRECTORY,
  [FdType.PIPE]: ScapFdType.FIFO,
  [FdType.EVENT]: ScapFdType.EVENT,
  [FdType.SIGNALFD]: ScapFdType.SIGNALFD,
  [FdType.EVENTPOLL]: ScapFdType.EVENTPOLL,
  [FdType.INOTIFY]: ScapFdType.INOTIFY,
  [FdType.TIMERFD]: ScapFdType.TIMERFD,
  [FdType.NETLINK]: ScapFdType.NETLINK,
};

function ipBytes(text: string, family: number): Uint8Array {
  if (!text) return new Uint8Array(family === 4 ? 4 : 16);
  const ip = parseIp(text);
  if (family === 4 && ip.bytes.length === 16) return ip.bytes.subarray(12); // v4-mapped
  return ip.bytes;
}

/** One fd of the snapshot as a scap fd entry; undefined (counted) when scap has no form for it. */
export function scapFd(f: FdJson | FdInfo, lost: LossCounter): ScapFdEntry | undefined {
  const ino = f.ino ?? 0;
  const base = { fd: f.num, ino };
  switch (f.type) {
    case FdType.FILE:
    case FdType.MEMFD:
      return { ...base, type: ScapFdType.FILE_V2, openFlags: OPEN_FLAGS.toPpm(f.openFlags ?? 0), name: f.name, dev: f.dev ?? 0 };
    case FdType.IPV4:
    case FdType.IPV6: {
      const v = f.type === FdType.IPV4 ? 4 : 6;
      const l4 = l4ToScap(f.l4proto ?? 0);
      if (!f.cip && f.sip) {
        return { ...base, type: v === 4 ? ScapFdType.IPV4_SERVSOCK : ScapFdType.IPV6_SERVSOCK, ip: ipBytes(f.sip, v), port: f.sport ?? 0, l4proto: l4 };
      }
      return {
        ...base,
        type: v === 4 ? ScapFdType.IPV4_SOCK : ScapFdType.IPV6_SOCK,
        sip: ipBytes(f.cip ?? '', v),
        dip: ipBytes(f.sip ?? '', v),
        sport: f.cport ?? 0,
        dport: f.sport ?? 0,
        l4proto: l4,
      };
    }
    case FdType.UNIX:
      // the socket addresses of both ends are not kept in Kestrel's fd table
      lost('unix socket fds without their kernel socket addresses');
      return { ...base, type: ScapFdType.UNIX_SOCK, source: 0n, dest: 0n, name: f.unixPath || f.name };
    case FdType.UNKNOWN:
      lost('fds of unknown type (left out, as libscap leaves them out)');
      return undefined;
    default: {
      const t = SIMPLE_TYPES[f.type as FdType];
      if (t !== undefined) return { ...base, type: t, name: f.name };
      // bpf, userfaultfd, io_uring, pidfd: the 2022 scap fd types stop at FILE_V2
      lost(`fds of a type the 2022 scap format has no type for (written as unsupported)`);
      return { ...base, type: ScapFdType.UNSUPPORTED, name: f.name };
    }
  }
}

/** The process-list entries of one snapshot process: its main thread first, then its threads. */
export function scapThreads(p: ProcessJson): ScapThreadEntry[] {
  const [argv0 = '', ...rest] = p.args;
  const tids = p.threads.length ? p.threads : [{ tid: p.pid, vtid: p.vpid, comm: p.comm }];
  const main = tids.find((t) => t.tid === p.pid);
  const ordered = main ? [main, ...tids.filter((t) => t !== main)] : tids;
  return ordered.map((t) => ({
    tid: t.tid,
    pid: p.pid,
    ptid: t.tid === p.pid ? p.ppid : p.pid,
    sid: p.sid,
    vpgid: p.vpgid,
    comm: t.comm || p.comm,
    exe: p.exe || argv0,
    exepath: p.exepath,
    args: rest,
    cwd: p.cwd,
    fdlimit: p.fdlimit ?? 0,
    flags: t.tid === p.pid ? 0 : THREAD_FLAGS,
    uid: p.uid,
    gid: p.gid,
    vmSize: p.vmSize ?? 0,
    vmRss: p.vmRss ?? 0,
    vmSwap: p.vmSwap ?? 0,
    env: p.env,
    vtid: t.vtid,
    vpid: p.vpid,
    cgroups: p.cgroups,
    root: p.root,
    loginuid: p.loginuid,
    exeWritable: p.exeWritable ?? false,
  }));
}

/** The host's users and groups (scap has one user list, the host's: containers' are counted). */
export function scapUsers(s: StateSnapshot, lost: LossCounter): { users: ScapUser[]; groups: { gid: number; name: string }[] } {
  const host = s.users.find(([root]) => root === '');
  const others = s.users.length - (host ? 1 : 0);
  if (others > 0) lost('container user tables (scap keeps only the host user list)', others);
  if (!host) return { users: [], groups: [] };
  const [, t] = host;
  return {
    // Kestrel keeps a user's name, home and shell, not its primary group
    users: t.users.map(([uid, u]) => ({ uid, gid: 0, name: u.name, home: u.home, shell: u.shell })),
    groups: t.groups.map(([gid, name]) => ({ gid, name })),
  };
}
