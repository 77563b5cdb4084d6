#!/usr/bin/env node
// The k8s_audit pipeline without HTTP, in one process (one core): a webhook body (EventList) split
// into events exactly as the webhook does it (src/sources/k8saudit/body.ts: size checks,
// validation, stage filter, dedupe) and evaluated against Falco's k8s_audit_rules.yaml. Compares
// the reference path (JSON.parse of each body whole, lazy_parsing: false) with the indexed path
// (lazy_parsing: true), alternating runs, and checks both raise the same alerts.
//
//   bash scripts/build.sh && node bench/audit-eval.mjs [--runs 7] [--events 40000] [--batch 100,400] [--json]
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bodyMaker } from './audit-events.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const RUNS = Number(opt('runs', 7));
const EVENTS = Number(opt('events', 40000));
const BATCHES = String(opt('batch', '100,400')).split(',').map(Number);
const RULES = join(root, '..', 'shared', 'upstream-rules', 'k8s_audit_rules.yaml');
if (!existsSync(RULES)) {
  console.log(`SKIPPED: ${RULES} not found`);
  process.exit(0);
}
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const { loadRules } = await import(dist('index.js'));
const { splitBody, eventsOf } = await import(dist('sources/k8saudit/body.js'));
const { SeenEvents } = await import(dist('sources/k8saudit/dedupe.js'));

const rules = (await loadRules([RULES])).ruleset.forSource('k8s_audit');
const stages = new Set(['ResponseStarted', 'ResponseComplete']);
const MAX_EVENT_BYTES = 256 * 1024; // the defaults
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One run over `bodies` on one path: events/CPU-s for splitting alone and for split + evaluate. */
function run(bodies, lazy) {
  const dedupe = new SeenEvents(65_536);
  const opts = { maxEventBytes: MAX_EVENT_BYTES, stages, dedupe };
  let events = 0;
  let alerts = 0;
  const c0 = cpu();
  for (const data of bodies) {
    const split = splitBody(data, MAX_EVENT_BYTES, lazy);
    const { accepted } = eventsOf(split, 0n, opts);
    for (const e of accepted) alerts += rules.evaluate(e).length;
    events += split.count;
  }
  const secs = cpu() - c0;
  return { eventsPerCpuSec: events / secs, alerts, events };
}

const results = [];
for (const batch of BATCHES) {
  const make = bodyMaker(batch);
  const bodies = Array.from({ length: Math.ceil(EVENTS / batch) }, (_, i) => Buffer.from(make(i)));
  const rates = { full: [], lazy: [] };
  let alerts = { full: 0, lazy: 0 };
  for (let r = 0; r < RUNS + 1; r++) {
    for (const path of r % 2 ? ['full', 'lazy'] : ['lazy', 'full']) {
      const res = run(bodies, path === 'lazy');
      alerts[path] = res.alerts;
      if (r > 0) rates[path].push(res.eventsPerCpuSec); // run 0 warms up
    }
  }
  if (alerts.full !== alerts.lazy) throw new Error(`batch ${batch}: alerts differ: full ${alerts.full}, lazy ${alerts.lazy}`);
  results.push({
    batch,
    bodyBytes: bodies[0].length,
    events: bodies.length * batch,
    alerts: alerts.full,
    fullEventsPerCpuSec: Math.round(median(rates.full)),
    lazyEventsPerCpuSec: Math.round(median(rates.lazy)),
  });
}
const summary = { rules: rules.rules.length, runs: RUNS, loadavg: loadavg().map((x) => Number(x.toFixed(2))), results };
if (args.includes('--json')) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(`k8s_audit without HTTP (split + validate + dedupe + evaluate, ${summary.rules} rules), medians of ${RUNS} alternating runs, load average ${summary.loadavg.join(' ')}`);
  for (const r of results) {
    console.log(`  EventLists of ${r.batch} (${r.bodyBytes} bytes): full parse ${r.fullEventsPerCpuSec} events/CPU-s, indexed ${r.lazyEventsPerCpuSec} events/CPU-s (x${(r.lazyEventsPerCpuSec / r.fullEventsPerCpuSec).toFixed(2)}); ${r.alerts} alerts each`);
  }
}
