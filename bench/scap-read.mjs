#!/usr/bin/env node
// Read speed of the scap reader (src/sources/syscall/scap/reader.ts): a fixture of Falco's
// (../shared/falco-fixtures/scap) grown to a large file by repeating its event blocks after its
// process, fd and user lists, then read to the end RUNS times, plain and gzip-compressed: every
// block framed and checked, every event decoded, enter/exit merged, records built and run through
// the state (no rules). Reports medians with the load average. Comparing with libsinsp on the
// same files is bench/vs-libsinsp's job.
//
//   node bench/scap-read.mjs [--fixture NAME] [--repeat N] [--runs R]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readScap } from '../dist/sources/syscall/scap/reader.js';

const { values } = parseArgs({
  options: { fixture: { type: 'string', default: 'curl_google.scap' }, repeat: { type: 'string', default: '400' }, runs: { type: 'string', default: '5' } },
});
const source = gunzipSync(readFileSync(join('..', 'shared', 'falco-fixtures', 'scap', values.fixture)));
const EVENT_BLOCKS = new Set([0x204, 0x216, 0x208, 0x217, 0x221, 0x222, 0x8010abcd]);
const meta = [];
const events = [];
for (let o = 0; o + 8 <= source.length; ) {
  const len = source.readUInt32LE(o + 4);
  (EVENT_BLOCKS.has(source.readUInt32LE(o)) ? events : meta).push(source.subarray(o, o + len));
  o += len;
}
const repeated = Buffer.concat(events);
const big = Buffer.concat([...meta, ...Array.from({ length: Number(values.repeat) }, () => repeated)]);
const dir = mkdtempSync(join(tmpdir(), 'kestrel-scap-bench-'));
const plain = join(dir, 'big.scap');
const gz = join(dir, 'big.scap.gz');
writeFileSync(plain, big);
writeFileSync(gz, gzipSync(big));

async function once(file) {
  const replay = readScap(file);
  const t0 = process.hrtime.bigint();
  let n = 0;
  for await (const e of replay.events()) if (e) n++;
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, stats: replay.stats, n };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`scap-read: ${values.fixture} x${values.repeat}: ${(big.length / 1e6).toFixed(1)} MB, ${events.length * Number(values.repeat)} event blocks`);
for (const [label, file] of [
  ['plain', plain],
  ['gzip', gz],
]) {
  const times = [];
  let last;
  for (let i = 0; i < Number(values.runs); i++) {
    last = await once(file);
    times.push(last.s);
  }
  const s = median(times);
  console.log(
    `  ${label}: median ${s.toFixed(3)} s of ${values.runs}: ${(last.stats.events / s / 1e6).toFixed(2)} M events/s, ${(last.stats.records / s / 1e3).toFixed(0)} k records/s, ${(big.length / s / 1e6).toFixed(0)} MB/s (uncompressed)`,
  );
}
console.log(`  load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
rmSync(dir, { recursive: true, force: true });
