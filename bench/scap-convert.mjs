#!/usr/bin/env node
// Kestrel capture -> scap conversion speed (`kestrel convert`, `kestrel capture --format scap`):
// records converted per second, median of several runs, with the load average (the machine is
// shared). Input: a Kestrel capture given with --kcap (e.g. a live one), else a synthetic capture
// of --events records built from a scenario (processes that open, read, connect and spawn).
//
//   node bench/scap-convert.mjs [--kcap FILE] [--events N] [--runs N]
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kcapToScap } from '../dist/sources/syscall/scap/kcap-to-scap.js';
import { buildScenario } from '../dist/sources/syscall/scenario/synthetic.js';
import { writeScenarioCapture } from '../dist/sources/syscall/testing/scenario-capture.js';

const { values } = parseArgs({ options: { kcap: { type: 'string' }, events: { type: 'string', default: '200000' }, runs: { type: 'string', default: '5' } } });
const dir = mkdtempSync(join(tmpdir(), 'kestrel-bench-scap-'));
let kcap = values.kcap;
if (!kcap) {
  // a mix of the syscalls rules look at, from a few process trees
  const lines = ['user 0 root', 'proc systemd pid=1 exe=/sbin/init', 'proc bash pid=100 parent=1 exe=/bin/bash'];
  const per = 6;
  const loops = Math.ceil(Number(values.events) / per);
  for (let i = 0; i < loops; i++) {
    lines.push('100 openat /etc/hosts O_RDONLY', '100 close 3', '100 connect 203.0.113.5:443', '100 close 3');
    // a short-lived child now and then (clone, execve, open, exit)
    if (i % 50 === 0) lines.push('100 spawn /usr/bin/cat /etc/hosts');
  }
  kcap = join(dir, 'bench.kcap');
  writeScenarioCapture(kcap, buildScenario(lines.join('\n')), { batchRecords: 256 });
}
const rates = [];
let last;
for (let r = 0; r < Number(values.runs); r++) {
  last = await kcapToScap(kcap, join(dir, 'out.scap'));
  rates.push((last.records * 1000) / Math.max(1, last.durationMs));
}
rates.sort((a, b) => a - b);
const median = rates[Math.floor(rates.length / 2)];
console.log(
  `scap-convert: ${last.records} records -> ${last.events} scap events, ${last.bytes} bytes; ` +
    `median ${Math.round(median)} records/s over ${rates.length} runs (min ${Math.round(rates[0])}, max ${Math.round(rates[rates.length - 1])}); ` +
    `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);
rmSync(dir, { recursive: true, force: true });
