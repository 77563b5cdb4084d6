// Turns the process, fd and user lists of a scap file into Kestrel's state, as libsinsp seeds its
// thread table from the capture in savefile mode (sinsp::import_thread_table: every thread of
// the capture's process list, with its fds; nothing is read from this host's /proc).
import { containerFromCgroups } from '../state/cgroup.js';
import type { SyscallContext } from '../state/context.js';
import { restoreSnapshot, type FdJson, type ProcessJson } from '../state/snapshot.js';
import type { ScapThread } from './proclist.js';

/** Process-list threads and fd lists waiting to be added to the state (before the first event). */
export class PendingState {
  threads: ScapThread[] = [];
  fds = new Map<number, FdJson[]>();

  get empty(): boolean {
    return this.threads.length === 0 && this.fds.size === 0;
  }

  /**
   * Adds what is pending to ctx (processes, their threads and fds) and forgets it. Returns the
   * number of fd lists skipped because their thread is not in the process list.
   */
  flush(ctx: SyscallContext, cgroupPaths: Map<bigint, string[]>): number {
    const byPid = new Map<number, ScapThread[]>();
    for (const t of this.threads) {
      let list = byPid.get(t.pid);
      if (!list) byPid.set(t.pid, (list = []));
      list.push(t);
    }
    const pidOfTid = new Map(this.threads.map((t) => [t.tid, t.pid]));
    const fdsOf = new Map<number, FdJson[]>();
    let orphans = 0;
    for (const [tid, fds] of this.fds) {
      const pid = pidOfTid.get(tid);
      // libscap skips the fd list of a thread its process list does not have
      if (pid === undefined) orphans++;
      else fdsOf.set(pid, [...(fdsOf.get(pid) ?? []), ...fds]);
    }
    const processes: ProcessJson[] = [];
    for (const [pid, threads] of byPid) {
      const main = threads.find((t) => t.tid === pid) ?? threads[0]!;
      processes.push(processJson(ctx, main, pidOfTid, threads, fdsOf.get(pid) ?? []));
    }
    restoreSnapshot(ctx, cgroupPaths, { processes, containers: [], users: [], cgroups: [] });
    this.threads = [];
    this.fds.clear();
    return orphans;
  }
}

function processJson(ctx: SyscallContext, t: ScapThread, pidOfTid: Map<number, number>, threads: ScapThread[], fds: FdJson[]): ProcessJson {
  const container = containerFromCgroups(t.cgroups);
  const exepath = t.exepath || (t.exe.startsWith('/') ? t.exe : '');
  return {
    pid: t.pid,
    vpid: t.vpid >= 0 ? t.vpid : t.pid,
    // the list names the parent thread; Kestrel keeps the parent process
    ppid: pidOfTid.get(t.ptid) ?? ctx.threads.thread(t.ptid)?.proc.pid ?? t.ptid,
    comm: t.comm,
    exe: t.exe,
    exepath,
    args: t.args,
    env: t.env,
    cwd: t.cwd || '/',
    root: t.root || '/',
    uid: t.uid,
    gid: t.gid,
    loginuid: t.loginuid,
    tty: t.tty,
    sid: t.sid >= 0 ? t.sid : 0,
    vpgid: t.vpgid >= 0 ? t.vpgid : 0,
    capInheritable: t.capInheritable.toString(),
    capPermitted: t.capPermitted.toString(),
    capEffective: t.capEffective.toString(),
    startTs: '0',
    ...(t.pidnsInitStartTs ? { pidnsInitStartTs: t.pidnsInitStartTs.toString() } : {}),
    ...(t.exeIno ? { exeIno: t.exeIno } : {}),
    ...(t.exeCtime ? { exeCtime: t.exeCtime.toString() } : {}),
    ...(t.exeMtime ? { exeMtime: t.exeMtime.toString() } : {}),
    ...(t.exeWritable ? { exeWritable: true } : {}),
    ...(t.exeUpperLayer ? { exeUpperLayer: true } : {}),
    ...(t.exeFromMemfd ? { exeFromMemfd: true } : {}),
    ...(t.fdlimit ? { fdlimit: t.fdlimit } : {}),
    ...(t.vmSize ? { vmSize: t.vmSize, vmRss: t.vmRss, vmSwap: t.vmSwap } : {}),
    cgroupId: '0',
    cgroups: t.cgroups,
    containerId: container ? ctx.containers.ensure(container).id : '',
    threads: threads.map((x) => ({ tid: x.tid, vtid: x.vtid >= 0 ? x.vtid : x.tid, comm: x.comm })),
    fds,
  };
}
