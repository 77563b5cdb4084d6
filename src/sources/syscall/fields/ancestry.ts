// Walking a process's ancestors through the process table (libsinsp's traverse_parent_state).
import type { SyscallEvent } from '../syscall-event.js';
import type { ProcessInfo } from '../state/process.js';

const MAX_DEPTH = 64;

/** The n-th ancestor (0: the process itself), or undefined past the known tree. */
export function ancestor(e: SyscallEvent, n: number): ProcessInfo | undefined {
  let p = e.proc;
  const threads = e.ctx.threads;
  for (let i = 0; i < n && p; i++) p = threads.parent(p);
  return p;
}

/** Every known ancestor, parent first. */
export function ancestors(e: SyscallEvent): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  let p = e.proc;
  const threads = e.ctx.threads;
  for (let i = 0; i < MAX_DEPTH && p; i++) {
    p = threads.parent(p);
    if (p) out.push(p);
  }
  return out;
}

/**
 * The eldest ancestor (or the process itself) for which `same` holds on the whole chain up from
 * the process: the session leader for sid, the group leader for vpgid.
 */
export function eldestWith(e: SyscallEvent, same: (p: ProcessInfo) => boolean): ProcessInfo | undefined {
  let p = e.proc;
  if (!p) return undefined;
  let leader = p;
  const threads = e.ctx.threads;
  for (let i = 0; i < MAX_DEPTH; i++) {
    p = threads.parent(p);
    if (!p || !same(p)) break;
    leader = p;
  }
  return leader;
}

/** The session leader: the process whose pid is the sid (host pid namespace), else the eldest ancestor in the session. */
export function sessionLeader(e: SyscallEvent): ProcessInfo | undefined {
  const proc = e.proc;
  if (!proc) return undefined;
  if (proc.vpid === proc.pid) {
    const l = e.ctx.threads.process(proc.sid);
    if (l) return l;
  }
  const sid = proc.sid;
  return eldestWith(e, (p) => p.sid === sid);
}

/** The process group leader: proc.vpgid == proc.vpid, else the eldest ancestor in the group. */
export function groupLeader(e: SyscallEvent): ProcessInfo | undefined {
  const proc = e.proc;
  if (!proc) return undefined;
  if (proc.vpid === proc.pid) {
    const l = e.ctx.threads.process(proc.vpgid);
    if (l) return l;
  }
  const g = proc.vpgid;
  return eldestWith(e, (p) => p.vpgid === g);
}
