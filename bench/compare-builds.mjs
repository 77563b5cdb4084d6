#!/usr/bin/env node
// Two builds of Kestrel side by side in one process: the syscall pipeline stage by stage
// (decode; decode + state; decode + state + the upstream Falco syscall rules) and the warm
// load + compile of those rules, runs alternating between the builds (ABBA) so both see the same
// machine load. Medians, the after/before ratio, and the load average at start and end.
//
//   bash scripts/build.sh    # in both trees
//   node bench/compare-builds.mjs --before /tmp/kestrel-before [--after .] [--rounds 9]
//        [--records 60000] [--repeat 5] [--loads 10] [--json]
//
// The records are made once (by the after build's scenario encoder: both read the same
// native/events.h layout) and replayed by each build over fresh state per run.
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { batchesOf, workloadText } from './syscall-workload.js';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('../../shared/upstream-rules/', import.meta.url));
const RULES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => UPSTREAM + f);

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const BEFORE = arg('before');
const AFTER = resolve(arg('after', HERE + '..'));
const ROUNDS = Number(arg('rounds', 9));
const RECORDS = Number(arg('records', 60_000));
const REPEAT = Number(arg('repeat', 5));
const LOADS = Number(arg('loads', 10));
const JSON_OUT = process.argv.includes('--json');

if (!BEFORE) {
  console.error('usage: node bench/compare-builds.mjs --before DIR [--after DIR] [--rounds N] [--records N] [--repeat N] [--loads N] [--json]');
  process.exit(2);
}
if (!existsSync(UPSTREAM)) {
  console.log(`bench/compare-builds: SKIPPED, ${UPSTREAM} is absent`);
  process.exit(0);
}
for (const root of [BEFORE, AFTER]) {
  if (!existsSync(resolve(root, 'dist/sources/syscall/batch-processor.js'))) {
    console.error(`bench/compare-builds: ${root} has no build (run bash scripts/build.sh there)`);
    process.exit(1);
  }
}

/** One build's modules (each root's dist/ is its own module graph). */
async function build(label, root) {
  const dist = (p) => import(pathToFileURL(resolve(root, 'dist', p)).href);
  const [index, synthetic, context, processor, snapshot, view] = await Promise.all([
    dist('index.js'),
    dist('sources/syscall/scenario/synthetic.js'),
    dist('sources/syscall/state/context.js'),
    dist('sources/syscall/batch-processor.js'),
    dist('sources/syscall/state/snapshot.js'),
    dist('sources/syscall/record/record-view.js'),
  ]);
  const loaded = await index.loadRules(RULES, { hostname: 'bench' });
  if (loaded.errors.length) throw new Error(`${label}: rules did not load: ${loaded.errors[0].message}`);
  return { label, root, index, synthetic, context, processor, snapshot, view, rules: loaded.ruleset.forSource('syscall') };
}

const before = await build('before', BEFORE);
const after = await build('after', AFTER);
const scenario = after.synthetic.buildScenario(workloadText(RECORDS));
const batches = batchesOf(scenario.list);
const records = scenario.list.length * REPEAT;

/** Events per second of wall and CPU time (CPU: all threads of the process, GC helpers included). */
function timed(f) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const n = f();
  const ns = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { wall: (n / ns) * 1e9, cpu: n / ((c.user + c.system) / 1e6) };
}

const stages = {
  decode(b) {
    const view = new b.view.RecordView();
    return timed(() => {
      let n = 0;
      for (let k = 0; k < REPEAT; k++) {
        for (const batch of batches) {
          const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
          for (let off = 0; off < batch.length; off += view.len) {
            if (view.load(batch, dv, off, batch.length) !== undefined) throw new Error('bad record');
            n++;
          }
        }
      }
      return n;
    });
  },
  state: (b) => replay(b, () => {}),
  rules(b) {
    let alerts = 0;
    const r = replay(b, (e) => {
      alerts += b.rules.evaluate(e).length;
    });
    b.alerts = alerts; // the same for both builds, or the comparison is off
    return r;
  },
};

function replay(b, onEvent) {
  const ctx = b.context.newContext({ bootEpochNs: scenario.bootEpochNs, hostname: scenario.hostname });
  const p = new b.processor.SyscallProcessor(ctx);
  b.snapshot.restoreSnapshot(ctx, p.parser.cgroupPaths, scenario.snapshot);
  return timed(() => {
    let n = 0;
    for (let k = 0; k < REPEAT; k++) for (const batch of batches) n += p.process(batch, onEvent);
    return n;
  });
}

async function loadOnce(b) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await b.index.loadRules(RULES, { hostname: 'bench' });
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (r.errors.length) throw new Error(`${b.label}: rules did not load`);
  return { wall: ms, cpu: (c.user + c.system) / 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const loadStart = loadavg();
const samples = { before: {}, after: {} };
const add = (b, stage, r) => ((samples[b.label][stage] ??= []).push(r));

// warm-up: every stage once per build
for (const b of [before, after]) for (const s of Object.values(stages)) s(b);
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? [after, before] : [before, after];
  for (const [name, s] of Object.entries(stages)) for (const b of order) add(b, name, s(b));
}
for (let r = 0; r < LOADS; r++) for (const b of r % 2 ? [after, before] : [before, after]) add(b, 'load', await loadOnce(b));
const loadEnd = loadavg();

const summary = {};
for (const label of ['before', 'after']) {
  summary[label] = {};
  for (const [stage, xs] of Object.entries(samples[label])) summary[label][stage] = { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) };
  const s = summary[label];
  // what the rules add per event: the difference of the medians' times per event
  s.rulesOnly = { wall: 1e9 / s.rules.wall - 1e9 / s.state.wall, cpu: 1e9 / s.rules.cpu - 1e9 / s.state.cpu };
}
const la = (l) => l.map((x) => x.toFixed(2)).join(' ');
if (JSON_OUT) {
  console.log(JSON.stringify({ loadStart, loadEnd, records, rounds: ROUNDS, alerts: { before: before.alerts, after: after.alerts }, summary }));
  process.exit(0);
}
const n = (x) => Math.round(x).toLocaleString().padStart(12);
const ratio = (a, b) => `${(a / b).toFixed(2)}x`.padStart(7);
console.log(`bench/compare-builds: before ${BEFORE}, after ${AFTER}`);
console.log(`  ${records.toLocaleString()} records per run (${scenario.list.length.toLocaleString()} x${REPEAT}); ${ROUNDS} rounds ABBA; node ${process.version}`);
console.log(`  load average at start ${la(loadStart)}, at end ${la(loadEnd)}; alerts per run: before ${before.alerts}, after ${after.alerts}`);
console.log(`  ${'events/s (median)'.padEnd(34)} ${'before'.padStart(12)} ${'after'.padStart(12)}   after/before`);
const rows = [
  ['decode', 'decode'],
  ['state', 'decode + state'],
  ['rules', 'decode + state + upstream rules'],
];
for (const [key, what] of rows) {
  for (const clock of ['wall', 'cpu']) console.log(`  ${`${what} (${clock})`.padEnd(34)} ${n(summary.before[key][clock])} ${n(summary.after[key][clock])}   ${ratio(summary.after[key][clock], summary.before[key][clock])}`);
}
for (const clock of ['wall', 'cpu']) {
  const [b, a] = [summary.before.rulesOnly[clock], summary.after.rulesOnly[clock]];
  console.log(`  ${`rules alone, ns/event (${clock})`.padEnd(34)} ${b.toFixed(0).padStart(12)} ${a.toFixed(0).padStart(12)}   ${ratio(b, a)}`);
}
for (const clock of ['wall', 'cpu']) {
  const [b, a] = [summary.before.load[clock], summary.after.load[clock]];
  console.log(`  ${`load + compile, ms (${clock})`.padEnd(34)} ${b.toFixed(1).padStart(12)} ${a.toFixed(1).padStart(12)}   ${ratio(b, a)}`);
}
