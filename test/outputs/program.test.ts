// program_output against real programs: one process per alert without keep_alive (as Falco), one
// long-lived process with it, started again when it dies; a program that fails is counted.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ProgramOutput } from '../../src/outputs/program.js';
import { metric, numberedAlerts, waitUntil } from './receivers.js';

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'kestrel-program-'));

/** Lines "<pid> <seq>" a test program appended to `file`. */
function received(file: string): Array<{ pid: number; seq: number }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ pid: Number(l.split(' ')[0]), seq: Number(/seq=(\d+)/.exec(l)![1]) }));
}

/** A process that ended: gone, or a zombie not yet reaped (its pipe is closed either way). */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0] === 'Z';
  } catch {
    return true;
  }
}

describe('program output', () => {
  it('keep_alive: false runs one process per alert, each reading its one alert', async () => {
    const file = join(dir, 'each.txt');
    const out = new ProgramOutput({ format: 'text', maxQueued: 100, log }, { program: `read line; echo "$$ $line" >> ${file}`, keep_alive: false });
    for (const a of numberedAlerts(5)) out.write(a);
    await out.close();
    const got = received(file);
    expect(got.map((g) => g.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(got.map((g) => g.pid)).size).toBe(5);
  });

  it('keep_alive: true feeds every alert to one process; when it dies it is started again (counted) and delivery goes on', async () => {
    const file = join(dir, 'long.txt');
    const before = await metric('kestrel_output_program_restarts_total', { output: 'program' });
    const out = new ProgramOutput({ format: 'text', maxQueued: 100, log, backoff: { initialMs: 5, maxMs: 50 } }, { program: `while read line; do echo "$$ $line" >> ${file}; done`, keep_alive: true });
    const alerts = numberedAlerts(6);
    for (const a of alerts.slice(0, 3)) out.write(a);
    await waitUntil(() => received(file).length === 3, 'the first 3 alerts');
    const first = received(file)[0]!.pid;
    expect(new Set(received(file).map((g) => g.pid))).toEqual(new Set([first]));
    process.kill(first, 'SIGKILL');
    await waitUntil(() => ended(first), 'the program to end');
    for (const a of alerts.slice(3)) out.write(a);
    await waitUntil(() => received(file).length === 6, 'the next 3 alerts');
    await out.close();
    const got = received(file);
    expect(got.map((g) => g.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    const second = got[3]!.pid;
    expect(second).not.toBe(first);
    expect(got.slice(3).every((g) => g.pid === second)).toBe(true);
    expect((await metric('kestrel_output_program_restarts_total', { output: 'program' })) - before).toBe(1);
  });

  it('a program that exits non-zero: that alert is counted as program-failed, the next ones still run', async () => {
    const file = join(dir, 'fails.txt');
    const before = await metric('kestrel_output_dropped_total', { output: 'program', reason: 'program-failed' });
    const out = new ProgramOutput(
      { format: 'text', maxQueued: 100, log },
      { program: `read line; case "$line" in *seq=1) exit 3;; esac; echo "$$ $line" >> ${file}`, keep_alive: false },
    );
    for (const a of numberedAlerts(3)) out.write(a);
    await out.close();
    expect(received(file).map((g) => g.seq)).toEqual([0, 2]);
    expect((await metric('kestrel_output_dropped_total', { output: 'program', reason: 'program-failed' })) - before).toBe(1);
  });
});
