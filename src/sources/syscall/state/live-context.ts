// The syscall context for live sources (the agent's runner, `kestrel capture`): user tables read
// from each process's own root, container metadata asked of the runtimes, liveness from /proc.
import { existsSync } from 'node:fs';
import { newContext, type SyscallContext } from './context.js';
import { ContainerStore } from './containers.js';
import { runtimeLookup, type RuntimeOptions } from './runtimes.js';
import { ThreadTable } from './threads.js';
import { UserDb, readUserTables } from './users.js';

export interface LiveContextOptions {
  bootEpochNs: bigint;
  /** Where /proc is (default /proc; /host/proc in a container). */
  procRoot?: string;
  runtimes?: RuntimeOptions;
  maxThreads?: number;
}

export function newLiveContext(opts: LiveContextOptions): SyscallContext {
  const proc = (opts.procRoot ?? '/proc').replace(/\/$/, '');
  // The host's tables: `/` when /proc is ours, else the root of the host's pid 1, else the root
  // of the (host) process that asked.
  const hostRoots = (pid: number) => (proc === '/proc' ? ['/'] : [`${proc}/1/root`, `${proc}/${pid}/root`]);
  const users = new UserDb((key, pid) => {
    if (key !== '') return readUserTables(`${proc}/${pid}/root`);
    for (const root of hostRoots(pid)) {
      const t = readUserTables(root);
      if (t) return t;
    }
    return undefined;
  });
  const threads = new ThreadTable({ ...(opts.maxThreads ? { maxThreads: opts.maxThreads } : {}) });
  threads.isAlive = (tid) => existsSync(`${proc}/${tid}`);
  const runtimes: RuntimeOptions = { ...(proc === '/proc' ? {} : { hostRoot: proc.replace(/\/proc$/, '') }), ...opts.runtimes };
  return newContext({ bootEpochNs: opts.bootEpochNs, users, threads, containers: new ContainerStore(runtimeLookup(runtimes)) });
}
