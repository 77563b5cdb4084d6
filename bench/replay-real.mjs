#!/usr/bin/env node
// Replay speed on a real capture: the `kestrel replay` reader (decode + state, no rules) over a
// .kcap or .scap file, timed from open to the last record, as bench/vs-libsinsp/kestrel_bench.mjs
// times its "parse" mode. Runs each listed build (--kestrel DIR, repeatable; default this checkout)
// interleaved, N rounds, and prints medians, records/s, the ratio to the first build and the load
// average, so a before/after pair is measured side by side in one run. CPU time (process.cpuUsage:
// every thread of the process) is printed too: on a shared machine it varies less than wall time.
//
//   node bench/replay-real.mjs [--rounds N] [--kestrel DIR]... CAPTURE...
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const builds = [];
let rounds = 5;
const captures = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--kestrel') builds.push(resolve(args[++i]));
  else if (args[i] === '--rounds') rounds = Number(args[++i]);
  else if (args[i] === '--one') {
    // child mode: one timed pass of one build over one capture
    const [root, capture] = [args[++i], args[++i]];
    const { readerFor } = await import(`${root}/dist/agent/replay-readers.js`);
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const reader = await readerFor(capture);
    let records = 0;
    let bad = 0;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    for await (const _ of reader.read(capture, () => bad++)) records++;
    const ns = Number(process.hrtime.bigint() - start);
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(JSON.stringify({ records, bad, ns, cpuNs: (cpu.user + cpu.system) * 1000 }) + '\n');
    process.exit(0);
  } else captures.push(resolve(args[i]));
}
if (builds.length === 0) builds.push(fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, ''));
if (captures.length === 0) {
  console.error('usage: replay-real.mjs [--rounds N] [--kestrel DIR]... CAPTURE...');
  process.exit(2);
}

const self = fileURLToPath(import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/.*load average: /, '');
console.log(`load before: ${load()}; rounds ${rounds}`);
for (const capture of captures) {
  const times = builds.map(() => []);
  const cpus = builds.map(() => []);
  let records = builds.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    builds.forEach((root, b) => {
      // each pass in its own process: no JIT or cache state carried between builds
      const out = JSON.parse(execFileSync(process.execPath, [self, '--one', root, capture], { encoding: 'utf8', maxBuffer: 1 << 20 }));
      times[b].push(out.ns / 1e6);
      cpus[b].push(out.cpuNs / 1e6);
      records[b] = out.records;
    });
  }
  const base = median(times[0]);
  const baseCpu = median(cpus[0]);
  builds.forEach((root, b) => {
    const ms = median(times[b]);
    console.log(`${capture.split('/').pop()}  ${root}: ${records[b]} records, median ${ms.toFixed(0)} ms ` +
      `(${(records[b] / ms / 1e3).toFixed(3)} M records/s), x${(base / ms).toFixed(2)} vs first; runs ${times[b].map((t) => t.toFixed(0)).join(' ')}; ` +
      `CPU median ${median(cpus[b]).toFixed(0)} ms, x${(baseCpu / median(cpus[b])).toFixed(2)}`);
  });
}
console.log(`load after: ${load()}`);
