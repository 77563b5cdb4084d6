#!/usr/bin/env node
// Benchmark: alert delivery. (1) write(): what the evaluation path pays to hand one alert to an
// output (formatting + queueing), ns per alert; (2) HTTP output throughput to a local receiver
// answering 200, alerts/s, with the queue in memory and with the on-disk spool (fsync'd). Reports
// the median of several runs and the load average (the machine is shared).
//
//   node bench/outputs.mjs [--runs N] [--alerts N]      (after `npm run build`)
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 5);
const ALERTS = arg('--alerts', 5000);
const dist = (p) => import(new URL(`../dist/${p}`, import.meta.url).href);
const { HttpOutput } = await dist('outputs/http.js');
const { StreamOutput } = await dist('outputs/stdout.js');
const { Spool } = await dist('outputs/spool.js');
const pino = (await import('pino')).default;
const log = pino({ level: 'silent' });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const alert = {
  hostname: 'node-1',
  output: '10:00:00.123456789: Warning Shell spawned in a container (user=root container_id=3ad7b26ded6d image=nginx command=bash -i)',
  output_fields: { 'container.id': '3ad7b26ded6d', 'container.image.repository': 'nginx', 'evt.time': 1796300000123456789n, 'proc.cmdline': 'bash -i', 'user.name': 'root' },
  priority: 'Warning',
  rule: 'Terminal shell in container',
  source: 'syscall',
  tags: ['container', 'shell'],
  time: '2026-12-03T10:00:00.123456789Z',
};

async function writeCost() {
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const out = new StreamOutput({ format: 'json', maxQueued: ALERTS * 2, log }, sink, 'bench');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ALERTS; i++) out.write(alert);
  const ns = Number(process.hrtime.bigint() - t0) / ALERTS;
  await out.close();
  return ns;
}

async function httpRate(spooled) {
  let got = 0;
  let done;
  const all = new Promise((r) => (done = r));
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.end();
      if (++got === ALERTS) done();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const dir = spooled ? mkdtempSync(join(tmpdir(), 'kestrel-bench-spool-')) : undefined;
  const queue = dir ? Spool.open(dir, 1 << 30, (e) => console.error(e)) : undefined;
  const out = new HttpOutput(
    { format: 'json', maxQueued: ALERTS * 2, log, ...(queue ? { queue } : {}) },
    { url: `http://127.0.0.1:${server.address().port}/`, user_agent: 'bench', insecure: false, ca_cert: '', ca_bundle: '', ca_path: '', mtls: false, client_cert: '', client_key: '', echo: false, compress_uploads: false, custom_headers: {}, timeout_ms: 5000 },
  );
  const t0 = performance.now();
  for (let i = 0; i < ALERTS; i++) out.write(alert);
  await all;
  const rate = ALERTS / ((performance.now() - t0) / 1000);
  await out.close();
  server.close();
  if (dir) rmSync(dir, { recursive: true });
  return rate;
}

const write = [];
const mem = [];
const spool = [];
for (let r = 0; r < RUNS; r++) {
  write.push(await writeCost());
  mem.push(await httpRate(false));
  spool.push(await httpRate(true));
}
console.log(`outputs: node ${process.version}, ${RUNS} runs x ${ALERTS} alerts, load average ${loadavg()[0].toFixed(2)}`);
console.log(`  write() to an output (format JSON + queue): median ${median(write).toFixed(0)} ns/alert`);
console.log(`  http_output to a local receiver, memory queue: median ${Math.round(median(mem))} alerts/s`);
console.log(`  http_output to a local receiver, spool (fsync'd): median ${Math.round(median(spool))} alerts/s (ratio to memory ${(median(spool) / median(mem)).toFixed(2)})`);
