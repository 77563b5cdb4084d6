// Live learning (`kestrel learn --duration D`): runs the syscall source as the agent does, with
// its kernel filter programmed for what learning reads (every event type the collector makes)
// instead of for rules, hands each event to the learner, prints counts per workload every few
// seconds, and stops after the duration or on SIGINT/SIGTERM. While it learns, the collector's
// sys_enter capture records every syscall of the containers' mount namespaces (for the seccomp
// profiles); it is detached when learning ends.
import { statSync } from 'node:fs';
import pino from 'pino';
import { EVENT_NAMES } from '../sources/syscall/record/event-table.js';
import { syscallModule } from '../sources/syscall/index.js';
import { SYSCALL_DEFAULTS } from '../sources/syscall/config.js';
import type { SyscallEvent } from '../sources/syscall/syscall-event.js';
import type { RulesView } from '../sources/source-module.js';
import type { Learner } from '../learn/learner.js';
import { SYSCALLS_X86_64 } from '../learn/syscalls-x86_64.js';

const PROGRESS_EVERY_MS = 5000;

/** "90s", "30m", "2h", "500ms" → milliseconds; throws naming the value otherwise. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`--duration ${JSON.stringify(text)}: expected a number and a unit (ms, s, m, h), e.g. 30m`);
  const n = Number(m[1]);
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** The rules view the runner programs its kernel filter from: every event type it can make. */
const learningInterest: RulesView = {
  forSource: () => ({ interestingEventTypes: () => new Set(EVENT_NAMES.filter((n) => n !== 'NA')) }),
};

/**
 * The host's mount namespace (the capture leaves it out): init's, or, where /proc/1 is not ours
 * to read (a sandbox, no hostPID), our own.
 */
function hostMountNamespace(): number {
  try {
    return statSync('/proc/1/ns/mnt').ino;
  } catch {
    return statSync('/proc/self/ns/mnt').ino;
  }
}

export async function learnLive(learner: Learner, duration: string): Promise<{ status: number; inputs: string[] }> {
  let ms: number;
  try {
    ms = parseDuration(duration);
  } catch (err) {
    process.stderr.write(`kestrel learn: ${(err as Error).message}\n`);
    return { status: 2, inputs: [] };
  }
  const log = pino({ level: 'warn' }, pino.destination(2));
  const runner = syscallModule.createRunner({ ...SYSCALL_DEFAULTS, enabled: true });
  try {
    await runner.start({ emit: (e: SyscallEvent) => learner.syscall(e), rules: () => learningInterest, log });
  } catch (err) {
    process.stderr.write(`kestrel learn: the syscall source cannot run: ${(err as Error).message}\n`);
    return { status: 1, inputs: [] };
  }
  const collector = runner.liveCollector();
  let capture = collector !== undefined && process.arch === 'x64';
  if (capture) {
    try {
      collector!.learnSyscalls(true, hostMountNamespace());
    } catch (err) {
      capture = false;
      process.stderr.write(`kestrel learn: no syscall capture for seccomp profiles (they hold the event types seen only): ${(err as Error).message}\n`);
    }
  } else {
    process.stderr.write(`kestrel learn: no syscall capture on ${process.arch} (x86_64 only): seccomp profiles hold the event types seen only\n`);
  }
  const started = new Date();
  process.stderr.write(`kestrel learn: learning live for ${duration} (Ctrl-C ends early)\n`);
  const progress = setInterval(() => {
    const rows = learner.progress().sort((a, b) => b.events - a.events);
    process.stderr.write(`kestrel learn: ${learner.summary.events} event(s); ${rows.map((r) => `${r.key}=${r.events}`).join(' ')}\n`);
  }, PROGRESS_EVERY_MS);
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  clearInterval(progress);
  if (capture) {
    const byNs = new Map<number, string[]>();
    let unconfined = 0;
    const ours = learner.mountNamespaces();
    for (const { mntNs, levels } of collector!.learnedSyscalls()) {
      if (!ours.has(mntNs)) continue; // other containers, not selected
      // The deepest seccomp filter level seen: after the runtime installed the container's filter
      // (the runtime's setup before it is left out). Level 0 only: the container ran unconfined.
      let deepest = levels.length - 1;
      while (deepest > 0 && levels[deepest]!.length === 0) deepest--;
      if (deepest === 0) unconfined++;
      const use = levels[deepest] ?? [];
      byNs.set(mntNs, use.map((i) => SYSCALLS_X86_64[i]).filter((n): n is string => !!n));
    }
    collector!.learnSyscalls(false, 0);
    const n = learner.addKernelSyscalls(byNs);
    process.stderr.write(`kestrel learn: syscalls captured for ${byNs.size} mount namespace(s), ${n} workload(s)\n`);
    if (unconfined > 0) process.stderr.write(`kestrel learn: ${unconfined} mount namespace(s) ran without a seccomp filter: their profiles also allow the runtime's setup syscalls\n`);
  }
  await runner.stop();
  return { status: 0, inputs: [`live syscall events from ${started.toISOString()} for ${duration}`] };
}
