// What the /proc scan at start gives processes that no record described yet: memory from
// /proc/PID/status, the pid namespace's start (its pid 1's start), per-controller cgroups.
import { readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProcFs, bootEpochNs } from '../../../src/sources/syscall/state/procfs.js';
import { ThreadTable } from '../../../src/sources/syscall/state/threads.js';

describe('processes read from /proc at start', () => {
  const boot = bootEpochNs();
  const table = new ThreadTable();
  new ProcFs({ bootEpochNs: boot }).scan(table);
  const self = table.process(process.pid)!;

  it('this test process: its memory as /proc/self/status reports it (KiB)', () => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)![1]);
    expect(self.vmSize).toBeGreaterThan(0);
    // the scan ran a moment ago: same order of magnitude as now
    expect(self.vmRss).toBeGreaterThan(kib('VmRSS') / 4);
    expect(self.vmRss).toBeLessThan(kib('VmRSS') * 4);
  });

  it("pidns_init_start_ts is the start of pid 1 of the process's own pid namespace", () => {
    const ns = Number(/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))![1]);
    expect(self.pidNs).toBe(ns);
    // NSpid with one level: the host's namespace, whose init is pid 1
    const levels = /^NSpid:\s+(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]!.trim().split(/\s+/).length;
    const init = levels === 1 ? table.process(1) : [...table.procs.values()].find((p) => p.pidNs === ns && p.vpid === 1);
    expect(init).toBeDefined();
    expect(self.pidnsInitStartTs).toBe(init!.startTs);
    expect(self.pidnsInitStartTs).toBeGreaterThan(0n);
    expect(self.pidnsInitStartTs).toBeLessThanOrEqual(self.startTs);
  });

  it('cgroups: one entry per controller, without named hierarchies', () => {
    expect(self.cgroups.length).toBeGreaterThan(0);
    for (const c of self.cgroups) expect(c).toMatch(/^[a-z_]+=\//);
    expect(self.cgroups.some((c) => c.startsWith('name='))).toBe(false);
  });
});
