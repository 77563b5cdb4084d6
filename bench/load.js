#!/usr/bin/env node
// Benchmark: load + compile of the upstream Falco syscall rules (falco_rules, falco-incubating,
// falco-sandbox, in that order) and of the k8s audit rules. Reports the median of several runs in
// one process (warm), the per-stage medians, and the median of fresh processes (cold: what
// `kestrel validate` and agent start-up pay). Goal: under 300 ms.
//
//   node bench/load.js [--runs N] [--cold N]      (after `npm run build`)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const UPSTREAM = fileURLToPath(new URL('../../shared/upstream-rules/', import.meta.url));
const SYSCALL = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => UPSTREAM + f);
const K8S = [UPSTREAM + 'k8s_audit_rules.yaml'];
const GOAL_MS = 300;

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

if (!existsSync(UPSTREAM)) {
  console.log(`bench/load: SKIPPED, ${UPSTREAM} is absent`);
  process.exit(0);
}
if (!existsSync(ROOT + 'dist/rules/load.js')) {
  console.error('bench/load: build first (npm run build)');
  process.exit(1);
}

const dist = (p) => import(new URL(`../dist/${p}`, import.meta.url).href);

// A child process run: one cold load, its wall time on stdout.
if (process.argv.includes('--child')) {
  const files = process.argv.includes('--k8s') ? K8S : SYSCALL;
  const t0 = performance.now();
  const { loadRules } = await dist('index.js');
  const tImport = performance.now();
  const c0 = process.cpuUsage();
  const r = await loadRules(files, { hostname: 'bench' });
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  if (r.errors.length) process.exitCode = 2;
  process.stdout.write(JSON.stringify({ load: t1 - tImport, cpu: (c.user + c.system) / 1000, withImport: t1 - t0 }));
  process.exit();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const ms = (x) => `${x.toFixed(1)} ms`;

const { readRulesPaths, parseRulesText } = await dist('rules/read.js');
const { DiagnosticSink } = await dist('rules/diagnostics.js');
const { Collector } = await dist('rules/collect.js');
const { ItemReader } = await dist('rules/read-item.js');
const { resolveRules } = await dist('rules/resolve.js');
const { compileRules } = await dist('rules/compile-rules.js');
const { builtinSources } = await dist('agent/source-list.js');

/** One load through the stages, timed: the same work loadRules does. */
async function stagedLoad(files) {
  const sink = new DiagnosticSink();
  const sources = builtinSources();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const texts = await readRulesPaths(files, sink);
  const docs = texts.map((t) => parseRulesText(t, sink));
  const t1 = performance.now();
  const collector = new Collector(sources, sink);
  const reader = new ItemReader(collector, sink);
  for (const d of docs) for (const p of d) for (const item of p.items) reader.read(p.ctx, item);
  const t2 = performance.now();
  const resolved = resolveRules(collector, sink);
  const t3 = performance.now();
  const compiled = compileRules(resolved, sources, sink);
  const t4 = performance.now();
  const c = process.cpuUsage(c0);
  if (sink.errors.length) throw new Error(`${sink.errors.length} errors loading ${files.join(', ')}`);
  const cpu = (c.user + c.system) / 1000;
  return { total: t4 - t0, cpu, yaml: t1 - t0, collect: t2 - t1, resolve: t3 - t2, compile: t4 - t3, rules: compiled.length };
}

async function warm(label, files, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await stagedLoad(files));
  const col = (k) => samples.map((s) => s[k]);
  const total = col('total');
  console.log(`${label}: ${samples[0].rules} rules, ${runs} runs in one process`);
  console.log(`  first run      ${ms(total[0])}`);
  console.log(`  median         ${ms(median(total))}   (p90 ${ms(pct(total, 0.9))}, min ${ms(Math.min(...total))})   goal ${GOAL_MS} ms: ${(median(total) / GOAL_MS).toFixed(2)}x`);
  // CPU time of the process (all its threads, GC helpers included): less sensitive to other load.
  console.log(`  median CPU     ${ms(median(col('cpu')))}`);
  console.log(
    `  stage medians  read+yaml ${ms(median(col('yaml')))}, collect ${ms(median(col('collect')))}, ` +
      `resolve ${ms(median(col('resolve')))}, compile ${ms(median(col('compile')))}`,
  );
  return median(total);
}

function cold(label, k8s, runs) {
  const load = [];
  const cpu = [];
  const withImport = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...(k8s ? ['--k8s'] : [])], { encoding: 'utf8' });
    const r = JSON.parse(out);
    load.push(r.load);
    cpu.push(r.cpu);
    withImport.push(r.withImport);
  }
  console.log(`${label}: ${runs} fresh processes`);
  console.log(`  median load    ${ms(median(load))}   (min ${ms(Math.min(...load))}, max ${ms(Math.max(...load))})   goal ${GOAL_MS} ms: ${(median(load) / GOAL_MS).toFixed(2)}x`);
  console.log(`  median CPU     ${ms(median(cpu))}`);
  console.log(`  with imports   ${ms(median(withImport))}`);
}

const runs = arg('--runs', 20);
const coldRuns = arg('--cold', 5);
console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
await warm('syscall rules (falco + incubating + sandbox), warm', SYSCALL, runs);
cold('syscall rules, cold', false, coldRuns);
console.log();
await warm('k8s audit rules, warm', K8S, runs);
cold('k8s audit rules, cold', true, coldRuns);
