// The syscall context for live sources (the agent's runner, `kestrel capture`): user tables read
// from each process's own root, container metadata from the OCI bundle at once and from the
// runtimes when they answer, liveness from /proc.
import { existsSync } from 'node:fs';
import { newContext, type SyscallContext } from './context.js';
import { ContainerStore, type ContainerInitialLookup } from './containers.js';
import { runtimeLookup, type RuntimeOptions } from './runtimes.js';
import { readBundleMeta } from './bundle.js';
import { ThreadTable } from './threads.js';
import { UserDb, procUserTableSource } from './users.js';

export interface LiveContextOptions {
  bootEpochNs: bigint;
  /** Where /proc is (default /proc; /host/proc in a container). */
  procRoot?: string;
  runtimes?: RuntimeOptions;
  maxThreads?: number;
  /** How often a root's /etc/passwd and /etc/group are checked for changes (ms). */
  userRefreshMs?: number;
}

/** The container's OCI bundle, read on first sight (see bundle.ts). */
function bundleReader(hostRoot: string): ContainerInitialLookup {
  return (c, stats) => readBundleMeta(c, hostRoot, stats);
}

export function newLiveContext(opts: LiveContextOptions): SyscallContext {
  const proc = (opts.procRoot ?? '/proc').replace(/\/$/, '');
  // The host's tables: `/` when /proc is ours, else the root of the host's pid 1, else the root
  // of the (host) process that asked.
  const hostRoots = (pid: number) => (proc === '/proc' ? ['/'] : [`${proc}/1/root`, `${proc}/${pid}/root`]);
  const threads = new ThreadTable({ ...(opts.maxThreads ? { maxThreads: opts.maxThreads } : {}) });
  const othersOf = function* (containerId: string) {
    for (const p of threads.procs.values()) if (p.containerId === containerId && !p.dead) yield p.pid;
  };
  const users = new UserDb(procUserTableSource(proc, hostRoots, othersOf), opts.userRefreshMs !== undefined ? { refreshMs: opts.userRefreshMs } : {});
  threads.isAlive = (tid) => existsSync(`${proc}/${tid}`);
  const runtimes: RuntimeOptions = { ...(proc === '/proc' ? {} : { hostRoot: proc.replace(/\/proc$/, '') }), ...opts.runtimes };
  return newContext({ bootEpochNs: opts.bootEpochNs, users, threads, containers: new ContainerStore(runtimeLookup(runtimes), bundleReader(runtimes.hostRoot ?? '')) });
}
