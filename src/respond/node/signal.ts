// Killing processes through pidfds: open a pidfd for the pid, check through /proc that the process
// behind it is the one the alert named (its start time), then signal through the pidfd. If the
// process exits after the check, the pidfd refers to the dead process and the signal fails with
// ESRCH: a process that reused the pid is never hit. (Tetragon's and systemd's approach; kill(2)
// alone races with pid reuse.)
import { closeSync } from 'node:fs';
import { SIGNALS, type SignalName } from '../config.js';
import { denied, failed, gone, ok, type Outcome } from '../outcome.js';
import { pidfdApi, type PidfdApi } from './pidfd.js';
import { containerMembers, groupMembers, inContainer, protectedReason, readStat, sameStart, type ProcStat } from './procs.js';

export interface SignalOptions {
  procRoot: string;
  protectedNames: readonly string[];
  /** Containers never acted on (Kestrel's own). */
  ownContainers: readonly string[];
}

type Check = (stat: ProcStat) => string | undefined;

/** Opens, verifies and signals one process; 'gone' when it is not (or no longer) the one meant. */
function signalOne(api: PidfdApi, o: SignalOptions, pid: number, sig: number, check: Check): Outcome {
  let fd: number;
  try {
    fd = api.pidfdOpen(pid);
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH' ? gone(`pid ${pid} has exited`) : failed(`pidfd_open(${pid}): ${(err as Error).message}`);
  }
  try {
    // Read after opening: if this is still the process meant, the pidfd refers to it.
    const stat = readStat(o.procRoot, pid);
    if (!stat) return gone(`pid ${pid} has exited`);
    const guard = protectedReason(o.procRoot, pid, stat, o.protectedNames);
    if (guard) return denied(`not signalling ${guard}`);
    const mismatch = check(stat);
    if (mismatch) return gone(mismatch);
    const err = api.pidfdSendSignal(fd, sig);
    if (err === api.ESRCH) return gone(`pid ${pid} exited before the signal`);
    if (err !== 0) return failed(`pidfd_send_signal(${pid}): errno ${err}`);
    return ok(`sent signal ${sig} to pid ${pid} (${stat.comm})`);
  } finally {
    closeSync(fd);
  }
}

function apiOr(): PidfdApi | Outcome {
  const api = pidfdApi();
  return api instanceof Error ? failed(api.message) : api;
}

/** The process the alert named, verified by its start time. */
export function killProcess(o: SignalOptions, pid: number, startNs: bigint | undefined, signal: SignalName): Outcome {
  const api = apiOr();
  if ('result' in api) return api;
  if (startNs === undefined) return failed(`pid ${pid}: the alert carries no process start time (proc.pid.ts), so a reused pid could not be told apart; not signalling`);
  const boot = api.bootEpochNs();
  return signalOne(api, o, pid, SIGNALS[signal], (st) => (sameStart(st, startNs, boot) ? undefined : `pid ${pid} now belongs to another process (${st.comm}, started later): the alert's process has exited`));
}

/** Signals a set of processes, each re-checked after its pidfd is open; summarises the outcomes. */
function signalAll(api: PidfdApi, o: SignalOptions, what: string, members: number[], sig: number, check: (pid: number) => Check): Outcome {
  let sent = 0;
  let skipped = 0;
  const problems: string[] = [];
  for (const pid of members) {
    const r = signalOne(api, o, pid, sig, check(pid));
    if (r.result === 'ok') sent++;
    else if (r.result === 'gone') skipped++;
    else problems.push(r.detail);
  }
  if (problems.length > 0) return failed(`${what}: signalled ${sent}, could not signal ${problems.length}: ${problems.slice(0, 3).join('; ')}`);
  if (sent === 0) return gone(`${what}: no process left to signal`);
  return ok(`${what}: signal ${sig} sent to ${sent} process(es)${skipped ? ` (${skipped} exited meanwhile)` : ''}`);
}

/** The process group of the alert's process (the group read from the verified process). */
export function killProcessGroup(o: SignalOptions, pid: number, startNs: bigint | undefined, signal: SignalName): Outcome {
  const api = apiOr();
  if ('result' in api) return api;
  if (startNs === undefined) return failed(`pid ${pid}: the alert carries no process start time (proc.pid.ts); not signalling its group`);
  const stat = readStat(o.procRoot, pid);
  if (!stat || !sameStart(stat, startNs, api.bootEpochNs())) return gone(`pid ${pid} has exited; its process group is not guessed from a reused pid`);
  const pgrp = stat.pgrp;
  if (pgrp <= 1) return denied(`process group ${pgrp} is the host's`);
  return signalAll(api, o, `process group ${pgrp}`, groupMembers(o.procRoot, pgrp), SIGNALS[signal], (p) => (st) => (st.pgrp === pgrp ? undefined : `pid ${p} left process group ${pgrp}`));
}

/** Every process of the container, repeated until none is left (a process may fork meanwhile). */
export function killContainer(o: SignalOptions, containerId: string, signal: SignalName): Outcome {
  const api = apiOr();
  if ('result' in api) return api;
  if (o.ownContainers.includes(containerId)) return denied("the container is Kestrel's own");
  let last: Outcome = gone(`container ${containerId.slice(0, 12)}: no process found`);
  const seen = new Set<number>();
  // Rounds until no new process shows up: one may have forked while the others were signalled.
  for (let round = 0; round < 5; round++) {
    const members = containerMembers(o.procRoot, containerId).filter((p) => !seen.has(p));
    if (members.length === 0) break;
    for (const p of members) seen.add(p);
    last = signalAll(api, o, `container ${containerId.slice(0, 12)}`, members, SIGNALS[signal], (p) => () => (inContainer(o.procRoot, p, containerId) ? undefined : `pid ${p} left the container`));
    if (last.result === 'failed' || last.result === 'denied') return last;
    if (signal !== 'SIGKILL') break; // SIGTERM lets processes exit in their own time
  }
  const total = seen.size;
  return total > 0 ? ok(`container ${containerId.slice(0, 12)}: ${signal} sent to ${total} process(es)`) : last;
}
