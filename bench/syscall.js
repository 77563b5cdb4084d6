#!/usr/bin/env node
// Syscall pipeline throughput and memory, one core: binary records (native/events.h layout, made
// by the synthetic builder's encoder) decoded from 512 KiB batches, applied to the process/fd
// state, and evaluated against the full upstream Falco syscall ruleset (falco_rules, incubating,
// sandbox, in that order).
//
//   bash scripts/build.sh && node bench/syscall.js [--runs 7] [--records 300000] [--procs 10000]
//
// The record mix is what a busy host mostly produces: opens of libraries, configs and /proc files
// (and their closes), outbound connects inside private networks, and now and then a process
// started by a server and exiting. Almost none of it matches a rule. Reports the median events/s
// of --runs runs (each over fresh state), the alerts raised, and the heap held per tracked process
// with --procs processes in the table.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { NPROC, batchesOf, workloadText } from './syscall-workload.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('../../shared/upstream-rules/', import.meta.url));
const RULES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => UPSTREAM + f);
const GOAL = 2_000_000;

if (typeof globalThis.gc !== 'function') {
  execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(0);
}
if (!existsSync(ROOT + 'dist/sources/syscall/batch-processor.js')) {
  console.error('bench/syscall: build first (bash scripts/build.sh)');
  process.exit(1);
}
if (!existsSync(UPSTREAM)) {
  console.log(`bench/syscall: SKIPPED, ${UPSTREAM} is absent`);
  process.exit(0);
}

const opt = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = opt('runs', 7);
const RECORDS = opt('records', 60_000);
/** The record set is self-contained (every open closed, every child exits): it is replayed this many times per run. */
const REPEAT = opt('repeat', 10);
const PROCS = opt('procs', 10_000);

const dist = (p) => import(pathToFileURL(ROOT + 'dist/' + p).href);
const { loadRules } = await dist('index.js');
const { buildScenario } = await dist('sources/syscall/scenario/synthetic.js');
const { newContext } = await dist('sources/syscall/state/context.js');
const { SyscallProcessor } = await dist('sources/syscall/batch-processor.js');
const { restoreSnapshot } = await dist('sources/syscall/state/snapshot.js');
const { ProcessInfo, ThreadInfo } = await dist('sources/syscall/state/process.js');
const { FdInfo, FdType } = await dist('sources/syscall/state/fd.js');

// ---- the workload (bench/syscall-workload.js) -------------------------------------------------

const t0 = performance.now();
const scenario = buildScenario(workloadText(RECORDS));
const buildMs = performance.now() - t0;

const batches = batchesOf(scenario.list);
const records = scenario.list.length * REPEAT;
const bytes = batches.reduce((s, b) => s + b.length, 0) * REPEAT;

const loaded = await loadRules(RULES, { hostname: 'bench' });
if (loaded.errors.length) throw new Error(`rules did not load: ${loaded.errors[0].message}`);
const rs = loaded.ruleset.forSource('syscall');

const byRule = new Map();
function run() {
  const ctx = newContext({ bootEpochNs: scenario.bootEpochNs, hostname: scenario.hostname });
  const processor = new SyscallProcessor(ctx);
  restoreSnapshot(ctx, processor.parser.cgroupPaths, scenario.snapshot);
  let alerts = 0;
  const onEvent = (e) => {
    const out = rs.evaluate(e);
    alerts += out.length;
    if (out.length && process.env.BENCH_RULES) for (const a of out) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
  };
  globalThis.gc();
  const start = process.hrtime.bigint();
  for (let k = 0; k < REPEAT; k++) for (const b of batches) processor.process(b, onEvent);
  const ns = Number(process.hrtime.bigint() - start);
  return { eps: (records / ns) * 1e9, alerts, errors: rs.evaluationErrors, procs: ctx.threads.procs.size };
}

// decoding + state only (no rules), to see the split
function runStateOnly() {
  const ctx = newContext({ bootEpochNs: scenario.bootEpochNs });
  const processor = new SyscallProcessor(ctx);
  restoreSnapshot(ctx, processor.parser.cgroupPaths, scenario.snapshot);
  const noop = () => {};
  globalThis.gc();
  const start = process.hrtime.bigint();
  for (let k = 0; k < REPEAT; k++) for (const b of batches) processor.process(b, noop);
  return (records / Number(process.hrtime.bigint() - start)) * 1e9;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** ns per iteration of a trivial loop (as bench/eval-synthetic.js): to read figures against the machine's speed at the time. */
function calibrate() {
  const objs = Array.from({ length: 64 }, (_, i) => ({ name: `n${i % 7}` }));
  const rates = [];
  for (let r = 0; r < 5; r++) {
    let hits = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20_000_000; i++) if (objs[i & 63].name === 'n3') hits++;
    rates.push(Number(process.hrtime.bigint() - t0) / 20_000_000);
    if (hits < 0) console.log(hits);
  }
  return median(rates);
}
run(); // warm-up
const results = Array.from({ length: RUNS }, run);
runStateOnly();
const stateOnly = Array.from({ length: RUNS }, runStateOnly);

// ---- memory with PROCS tracked processes ---------------------------------------------------------

function fill(count) {
  const ctx = newContext();
  for (let i = 0; i < count; i++) {
    const pid = 100_000 + i;
    const p = new ProcessInfo(pid);
    p.vpid = pid;
    p.ppid = 100_000 + Math.floor(i / 10);
    p.comm = `worker-${i % 97}`;
    p.exe = `/usr/bin/worker-${i % 97}`;
    p.exepath = p.exe;
    p.setArgs(['--threads', '4', '--config', `/etc/worker/${i % 13}.yaml`]);
    p.env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin', `HOSTNAME=node-${i % 7}`, 'LANG=C.UTF-8', 'HOME=/root', `POD=web-${i}`];
    p.cwd = '/srv/app';
    p.cgroups = [`unified=/kubepods.slice/pod-${i % 50}.slice`];
    for (let f = 0; f < 8; f++) {
      const fd = new FdInfo(f);
      fd.type = f < 3 ? FdType.PIPE : FdType.FILE;
      fd.name = f < 3 ? `pipe:[${i * 8 + f}]` : `/var/lib/app/data/${i}/file-${f}.db`;
      p.fds.set(f, fd);
    }
    ctx.threads.addProcess(p);
    const t = new ThreadInfo(pid, p);
    t.comm = p.comm;
    ctx.threads.addThread(t);
  }
  return ctx;
}
/** Heap held by a table of n processes; the table is unreachable once this returns. */
function heldBy(n) {
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const held = fill(n);
  globalThis.gc();
  const after = process.memoryUsage().heapUsed;
  return { heapBytes: after - before, tracked: held.threads.procs.size };
}
const { heapBytes, tracked } = heldBy(PROCS);
const perProc = heapBytes / PROCS;

const eps = median(results.map((r) => r.eps));
const baselineNs = calibrate();
const line = (s) => console.log(s);
line(`machine: trivial loop ${baselineNs.toFixed(2)} ns/iteration, load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
line(`bench/syscall: ${records.toLocaleString()} records per run (${scenario.list.length.toLocaleString()} distinct, x${REPEAT}; ${(bytes / records).toFixed(0)} B avg) in batches of <=512 KiB; ${NPROC} server processes; scenario built in ${buildMs.toFixed(0)} ms`);
line(`  rules: ${loaded.compiled.length} upstream syscall rules loaded (${rs.rules.length} enabled)`);
line(`  decode + state + upstream rules: median ${Math.round(eps).toLocaleString()} events/s over ${RUNS} runs (min ${Math.round(Math.min(...results.map((r) => r.eps))).toLocaleString()}, max ${Math.round(Math.max(...results.map((r) => r.eps))).toLocaleString()}); goal ${GOAL.toLocaleString()}: ${eps >= GOAL ? 'met' : 'NOT met'} (${(eps / GOAL).toFixed(2)}x)`);
line(`  decode + state only: median ${Math.round(median(stateOnly)).toLocaleString()} events/s (rules take ${(100 * (1 - median(stateOnly) === 0 ? 0 : (1 / eps - 1 / median(stateOnly)) / (1 / eps))).toFixed(0)}% of the time)`);
line(`  alerts per run: ${results[0].alerts} (${((100 * results[0].alerts) / records).toFixed(3)}% of events); evaluation errors: ${results[0].errors}`);
if (process.env.BENCH_RULES) line(JSON.stringify([...byRule]));
line(`  memory: ${tracked.toLocaleString()} tracked processes (8 fds, 4 args, 5 env vars each) hold ${(heapBytes / 1048576).toFixed(1)} MiB of heap, ${Math.round(perProc).toLocaleString()} B per process`);
