// Live learning (`kestrel learn --duration D`): runs the syscall source as the agent does, with
// its kernel filter programmed for what learning reads (every event type the collector makes)
// instead of for rules, hands each event to the learner, prints counts per workload every few
// seconds, and stops after the duration or on SIGINT/SIGTERM.
import pino from 'pino';
import { EVENT_NAMES } from '../sources/syscall/record/event-table.js';
import { syscallModule } from '../sources/syscall/index.js';
import { SYSCALL_DEFAULTS } from '../sources/syscall/config.js';
import type { SyscallEvent } from '../sources/syscall/syscall-event.js';
import type { RulesView } from '../sources/source-module.js';
import type { Learner } from '../learn/learner.js';

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
  await runner.stop();
  return { status: 0, inputs: [`live syscall events from ${started.toISOString()} for ${duration}`] };
}
