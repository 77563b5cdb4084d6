#!/usr/bin/env node
// Live syscall source benchmarks (root, BTF; run after `npm run bootstrap`):
//   node bench/live.mjs [--runs 7] [--rules DIR_OR_FILE]... [--only rate|overhead] [--baseline DIR]
//                       [--generators N] [--rate-runs N] [--json]
// The agent runs as `kestrel run` (a separate process, like in production) with the upstream
// Falco rules (stable + incubating + sandbox) unless --rules is given.
//  1. Highest sustained rate of matching syscalls (open/close of a file below /etc, which those
//     rules examine) that the agent handles with zero drops: paced load steps, each checked
//     against the agent's counters (produced = evaluated, dropped = 0).
//  2. Host overhead: wall and CPU time of `dd if=/dev/zero of=/dev/null bs=512 count=2000000` with
//     the agent running / without, and the same ratios for an open/close loop of that watched file.
//     Medians of --runs alternating runs.
//  3. CPU per record: the agent's JS thread and the whole agent (reader thread included), from
//     /proc/<pid>/task, over an unpaced burst: what the agent costs per record whatever the load.
// --baseline DIR: a second built checkout (e.g. `git archive main`, then scripts/build.sh and
// scripts/build-native.sh there) measured the same way in the same run, alternating with this one.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const RUNS = Number(opt('runs', 7));
const JSON_OUT = args.includes('--json');
const ONLY = opt('only', '');
const upstream = join(root, '..', 'shared', 'upstream-rules');
const rulesArg = args.flatMap((a, i) => (args[i - 1] === '--rules' ? [a] : []));
const RULES = rulesArg.length
  ? rulesArg
  : ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => join(upstream, f));
const WATCHED = '/etc/hostname';

if (process.getuid() !== 0) {
  console.error('bench/live: needs root (eBPF)');
  process.exit(1);
}
const BASELINE = opt('baseline', '');
// load generator processes (the paced rate is split between them): one per core by default, so
// the load can use whatever CPU the agent leaves
const GENERATORS = Number(opt('generators', availableParallelism()));
const BUILDS = [{ name: 'this', dir: root }, ...(BASELINE ? [{ name: 'baseline', dir: BASELINE }] : [])];
for (const b of BUILDS) {
  if (!existsSync(join(b.dir, 'dist', 'cli.js')) || !existsSync(join(b.dir, 'native/build/Release/kestrel_collector.node'))) {
    console.error(`bench/live: ${b.dir} is not built: run \`npm run bootstrap\` there first (dist/ and the native collector)`);
    process.exit(1);
  }
}
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const work = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));
const openloop = join(work, 'openloop');
execFileSync('cc', ['-O2', '-o', openloop, join(root, 'bench/live/openloop.c')]);
const config = join(work, 'kestrel.yaml');
writeFileSync(
  config,
  [
    `rules_files: [${RULES.map((r) => JSON.stringify(r)).join(', ')}]`,
    'log_level: info',
    'webserver: { enabled: true, listen_address: 127.0.0.1, listen_port: 0 }',
    'sources:',
    '  k8s_audit: { enabled: false }',
    '',
  ].join('\n'),
);

async function startAgent(build) {
  const child = spawn(process.execPath, [join(build.dir, 'dist', 'cli.js'), 'run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env } });
  let port = 0;
  let up = false;
  let err = '';
  child.stderr.on('data', (d) => {
    const s = d.toString();
    err += s;
    const m = /metrics and health on http:\/\/127\.0\.0\.1:(\d+)/.exec(s);
    if (m) port = Number(m[1]);
    if (s.includes('kestrel running')) up = true;
  });
  const until = Date.now() + 60_000;
  while (!(up && port)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`agent did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, port };
}

async function stopAgent(a) {
  const done = new Promise((r) => a.child.on('exit', r));
  a.child.kill('SIGTERM');
  await done;
}

async function metrics(a) {
  const text = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
  const v = (n) => Number(new RegExp(`^${n} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    produced: v('kestrel_syscall_records_total'),
    dropped: v('kestrel_syscall_dropped_total'),
    processed: v('kestrel_syscall_records_processed_total'),
  };
}

// wall time, and CPU time (user + system) through /usr/bin/time: on a shared machine the wall
// time mostly measures the other tenants; what the hooks cost a syscall is in its system time
const timing = join(work, 'time.out');
const wall = (cmd, argv) => {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timing, cmd, ...argv], { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  const [user, sys] = readFileSync(timing, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, cpu: user + sys, out: r.stdout };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const dd = () => wall('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=512', 'count=2000000']);
const LOOP_PAIRS = 200_000;
const loop = () => wall(openloop, [WATCHED, String(LOOP_PAIRS)]);

// --- 1. zero-drop rate -----------------------------------------------------------------------
async function waitIdle(a) {
  // evaluated catches up with produced (the agent has worked through its backlog)
  let m = await metrics(a);
  for (let i = 0; i < 200 && m.processed < m.produced; i++) {
    await new Promise((r) => setTimeout(r, 50));
    m = await metrics(a);
  }
  return m;
}

/** CPU seconds so far of the agent's JS thread (its main thread) and of the whole process. */
function cpu(a) {
  const ticks = (path) => {
    const f = readFileSync(path, 'utf8');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(v[11]) + Number(v[12])) / 100; // utime + stime, in USER_HZ (100)
  };
  const dir = `/proc/${a.child.pid}/task`;
  let all = 0;
  for (const t of readdirSync(dir)) {
    try {
      all += ticks(`${dir}/${t}/stat`);
    } catch {
      // the thread exited meanwhile
    }
  }
  return { js: ticks(`${dir}/${a.child.pid}/stat`), all };
}

/** GENERATORS openloop processes sharing `pairs` and `rate`; the seconds the slowest took. */
async function generate(pairs, rate) {
  const one = (n, r) =>
    new Promise((resolve, reject) => {
      let out = '';
      const c = spawn(openloop, [WATCHED, String(n), ...(r ? [String(r)] : [])], { stdio: ['ignore', 'pipe', 'ignore'] });
      c.stdout.on('data', (d) => (out += d));
      c.on('error', reject);
      c.on('close', (code) => (code === 0 ? resolve(Number(out.trim().split(' ')[1])) : reject(new Error(`openloop exited ${code}`))));
    });
  const n = Math.ceil(pairs / GENERATORS);
  const secs = await Promise.all(Array.from({ length: GENERATORS }, () => one(n, rate / GENERATORS)));
  return Math.max(...secs);
}

async function step(a, pairs, rate) {
  const before = await waitIdle(a);
  const c0 = cpu(a);
  const secs = await generate(pairs, rate);
  pairs = Math.ceil(pairs / GENERATORS) * GENERATORS;
  const after = await waitIdle(a);
  const c1 = cpu(a);
  const evaluated = after.processed - before.processed;
  return {
    target: rate || 'max',
    achieved: Math.round((pairs * 2) / secs),
    produced: after.produced - before.produced,
    dropped: after.dropped - before.dropped,
    evaluated,
    jsUsPerRecord: ((c1.js - c0.js) * 1e6) / evaluated,
    agentUsPerRecord: ((c1.all - c0.all) * 1e6) / evaluated,
    load: load(),
  };
}

async function rateLadder(build) {
  const steps = [];
  const a = await startAgent(build);
  try {
    await waitIdle(a);
    await new Promise((r) => setTimeout(r, 3000)); // start-up work (JIT, first GCs) out of the way
    for (const rate of [50_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 800_000, 1_000_000]) {
      const s = await step(a, Math.round((rate * 3) / 2), rate); // ~3 s per step
      steps.push(s);
      if (s.dropped > 0 || s.evaluated < s.produced || s.achieved < rate * 0.9) break;
    }
    steps.push(await step(a, 500_000, 0)); // unpaced: as fast as the generator goes
  } finally {
    await stopAgent(a);
  }
  const clean = steps.filter((s) => s.dropped === 0 && s.evaluated >= s.produced);
  const max = steps[steps.length - 1];
  return {
    build: build.name,
    steps,
    maxZeroDropSyscallsPerSec: clean.reduce((m, s) => (s.achieved > m ? s.achieved : m), 0),
    jsUsPerRecord: max.jsUsPerRecord,
    agentUsPerRecord: max.agentUsPerRecord,
  };
}

// --- 1. zero-drop rate (and 3. CPU per record, over the unpaced step) ------------------------
// --rate-runs N: N ladders per build, alternating builds (medians below)
const RATE_RUNS = Number(opt('rate-runs', 1));
const rates = [];
for (let i = 0; ONLY !== 'overhead' && i < RATE_RUNS; i++) for (const b of i % 2 ? [...BUILDS].reverse() : BUILDS) rates.push(await rateLadder(b));
const rateSummary = Object.fromEntries(
  BUILDS.map((b) => {
    const mine = rates.filter((r) => r.build === b.name);
    const m = (k) => (mine.length ? median(mine.map((r) => r[k])) : NaN);
    return [b.name, { maxZeroDropSyscallsPerSec: m('maxZeroDropSyscallsPerSec'), jsUsPerRecord: m('jsUsPerRecord'), agentUsPerRecord: m('agentUsPerRecord'), runs: mine.length }];
  }),
);

// --- 2. host overhead ------------------------------------------------------------------------
const ddWithout = [], loopWithout = [];
const ddWith = Object.fromEntries(BUILDS.map((b) => [b.name, []]));
const loopWith = Object.fromEntries(BUILDS.map((b) => [b.name, []]));
for (let i = 0; ONLY !== 'rate' && i < RUNS; i++) {
  ddWithout.push(dd());
  loopWithout.push(loop());
  // alternate which build goes first, so neither always follows the agent-less run
  for (const b of i % 2 ? [...BUILDS].reverse() : BUILDS) {
    const a = await startAgent(b);
    try {
      await waitIdle(a);
      // steady state: let start-up work (JIT of the rules, collection of load garbage) finish
      await new Promise((r) => setTimeout(r, 5000));
      ddWith[b.name].push(dd());
      loopWith[b.name].push(loop());
      await waitIdle(a);
    } finally {
      await stopAgent(a);
    }
  }
}
const summary = (withRuns, withoutRuns, extra = {}) => {
  const m = (runs, k) => median(runs.map((r) => r[k]));
  return {
    ...extra,
    withoutS: m(withoutRuns, 's'),
    withS: m(withRuns, 's'),
    ratio: m(withRuns, 's') / m(withoutRuns, 's'),
    withoutCpuS: m(withoutRuns, 'cpu'),
    withCpuS: m(withRuns, 'cpu'),
    cpuRatio: m(withRuns, 'cpu') / m(withoutRuns, 'cpu'),
  };
};
const result = {
  rules: RULES,
  rates,
  rateSummary,
  maxZeroDropSyscallsPerSec: rateSummary.this.maxZeroDropSyscallsPerSec,
  dd: Object.fromEntries(BUILDS.map((b) => [b.name, summary(ddWith[b.name], ddWithout)])),
  openClose: Object.fromEntries(BUILDS.map((b) => [b.name, summary(loopWith[b.name], loopWithout, { pairs: LOOP_PAIRS, file: WATCHED })])),
  runs: RUNS,
  generators: GENERATORS,
  loadAverageAtEnd: load(),
};
rmSync(work, { recursive: true, force: true });

if (JSON_OUT) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const f = (x) => x.toFixed(3);
  console.log(`live syscall source, rules: ${RULES.map((r) => r.split('/').pop()).join(' + ')}`);
  for (const r of rates) {
    console.log(`1. [${r.build}] paced open/close of a watched file (syscalls/s, ${GENERATORS} generator processes), agent counters per step:`);
    for (const s of r.steps)
      console.log(
        `   target ${String(s.target).padStart(7)}  achieved ${String(s.achieved).padStart(7)}  produced ${s.produced}  evaluated ${s.evaluated}  dropped ${s.dropped}  (load ${s.load})`,
      );
    console.log(`   highest sustained rate with zero drops: ${r.maxZeroDropSyscallsPerSec} syscalls/s (records evaluated against the rules)`);
    console.log(`3. [${r.build}] CPU per record (unpaced step): JS thread ${r.jsUsPerRecord.toFixed(2)} us, whole agent ${r.agentUsPerRecord.toFixed(2)} us`);
  }
  if (ONLY !== 'overhead' && (RATE_RUNS > 1 || BUILDS.length > 1)) {
    console.log(`medians of ${RATE_RUNS} ladder(s) per build:`);
    for (const [name, r] of Object.entries(rateSummary))
      console.log(
        `   [${name}] zero-drop ${Math.round(r.maxZeroDropSyscallsPerSec)} syscalls/s; CPU per record: JS thread ${r.jsUsPerRecord.toFixed(2)} us, whole agent ${r.agentUsPerRecord.toFixed(2)} us`,
      );
  }
  if (ONLY !== 'rate') {
    console.log(`2. host overhead, medians of ${RUNS} alternating runs:`);
    for (const b of BUILDS) {
      const d = result.dd[b.name], o = result.openClose[b.name];
      const line = (what, x) =>
        `   [${b.name}] ${what}: wall without ${f(x.withoutS)} s, with agent ${f(x.withS)} s, ratio ${f(x.ratio)}; ` +
        `CPU without ${f(x.withoutCpuS)} s, with ${f(x.withCpuS)} s, ratio ${f(x.cpuRatio)}`;
      console.log(line('dd bs=512 count=2000000', d));
      console.log(line(`open/close x${LOOP_PAIRS} of ${WATCHED}`, o));
    }
  }
  console.log(`load average at the end: ${result.loadAverageAtEnd}`);
}
