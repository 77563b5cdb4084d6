#!/usr/bin/env node
// User-space cost of learning: the time the learner (src/learn/learner.ts) spends folding each
// syscall event into profiles, timed around each call while a capture is read, as ns per event and
// as the events/s the learner alone would sustain (medians over runs); then the pipeline with
// learning off and on, side by side in alternating runs: capture decode + state + Kestrel's default
// rules, with and without the learner, as events/s and their ratio. The capture is synthetic: a
// Deployment's pod accepting, writing, connecting and running a job in a loop.
//
//   node bench/learn-events.mjs [--rounds N] [--runs R]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ROUNDS = arg('--rounds', 1000);
const RUNS = arg('--runs', 5);

const { buildScenario } = await import('../dist/sources/syscall/scenario/synthetic.js');
const { writeScenarioCapture } = await import('../dist/sources/syscall/testing/scenario-capture.js');
const { readCapture } = await import('../dist/sources/syscall/capture/reader.js');
const { Learner } = await import('../dist/learn/learner.js');
const { loadRules } = await import('../dist/index.js');
const { defaultRulesPath } = await import('../dist/rules/defaults.js');

const lines = [
  'container web1 name=web image=nginx:1.25 labels=io.kubernetes.pod.name=web-7d9f8c6b5-x2x9q,io.kubernetes.pod.namespace=shop,app=web,pod-template-hash=7d9f8c6b5',
  'proc systemd pid=1 exe=/sbin/init',
  'proc nginx pid=100 parent=1 exe=/usr/sbin/nginx container=web1',
];
let pid = 101;
for (let i = 0; i < ROUNDS; i++) {
  // each fd closed again, as a server does: a leaking fd table would make every fork below copy
  // thousands of fds and time that instead of learning
  lines.push(`100 accept 10.1.2.${i % 200}:5${i % 1000} local=10.0.0.2:80 fd=10`);
  lines.push(`100 openat /var/log/nginx/access.log O_WRONLY|O_APPEND fd=11`);
  lines.push(`100 connect 10.96.0.${i % 4}:5432 fd=12`);
  lines.push('100 close 10', '100 close 11', '100 close 12');
  lines.push(`100 spawn /bin/sh -c job`);
  lines.push(`${pid} openat /tmp/job.${i} O_WRONLY|O_CREAT`);
  lines.push(`${pid} exit`);
  pid++;
}
const dir = mkdtempSync(join(tmpdir(), 'kestrel-bench-learn-'));
const file = join(dir, 'bench.kcap');
writeScenarioCapture(file, buildScenario(lines.join('\n')));

async function pass() {
  const learner = new Learner({ workloads: [], subjects: [] });
  let n = 0;
  let learnNs = 0n;
  for await (const e of readCapture(file).events()) {
    n++;
    const t0 = process.hrtime.bigint();
    learner.syscall(e);
    learnNs += process.hrtime.bigint() - t0;
  }
  return { n, nsPerEvent: Number(learnNs) / n };
}
const loaded = await loadRules([defaultRulesPath()]);
if (loaded.errors.length > 0) throw new Error(`default rules did not load: ${loaded.errors.length} error(s)`);
const syscallRules = loaded.ruleset.forSource('syscall');

/** Decode + state + the default rules, with the learner folding each event in when `learning`. */
async function pipeline(learning) {
  const learner = learning ? new Learner({ workloads: [], subjects: [] }) : undefined;
  let n = 0;
  let alerts = 0;
  const t0 = process.hrtime.bigint();
  for await (const e of readCapture(file).events()) {
    n++;
    alerts += syscallRules.evaluate(e).length;
    learner?.syscall(e);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { n, alerts, perSecond: n / s };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const costs = [];
let events = 0;
await pass(); // warm-up
for (let i = 0; i < RUNS; i++) {
  const r = await pass();
  events = r.n;
  costs.push(r.nsPerEvent);
}
const off = [];
const on = [];
await pipeline(false); // warm-up
await pipeline(true);
for (let i = 0; i < RUNS; i++) {
  off.push((await pipeline(false)).perSecond);
  on.push((await pipeline(true)).perSecond);
}
rmSync(dir, { recursive: true, force: true });
const ns = median(costs);
console.log(`learn-events: ${events} events, median of ${RUNS}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`  learner: ${ns.toFixed(0)} ns per event (timer included), ${(1e9 / ns).toFixed(0)} events/s on its own`);
console.log(`  pipeline (decode + state + default rules): learning off ${median(off).toFixed(0)} events/s, on ${median(on).toFixed(0)} events/s, on/off ${(median(on) / median(off)).toFixed(2)}`);
