#!/usr/bin/env node
// The k8s_audit pipeline without HTTP: JSON.parse of EventLists of 100 events, AuditEvent, and
// evaluation against Falco's k8s_audit_rules.yaml, in one process (one core). Separates what
// the webhook's transport costs from parsing and rule evaluation.
//
//   bash scripts/build.sh && node bench/audit-eval.mjs [--runs 7] [--lists 500] [--json]
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bodyMaker } from './audit-events.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt('runs', 7);
const LISTS = opt('lists', 500);
const RULES = join(root, '..', 'shared', 'upstream-rules', 'k8s_audit_rules.yaml');
if (!existsSync(RULES)) {
  console.log(`SKIPPED: ${RULES} not found`);
  process.exit(0);
}
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;
const { loadRules } = await import(dist('index.js'));
const { AuditEvent } = await import(dist('sources/k8saudit/event.js'));

const rules = (await loadRules([RULES])).ruleset.forSource('k8s_audit');
const make = bodyMaker();
const bodies = Array.from({ length: LISTS }, (_, i) => Buffer.from(make(i)));
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const parseRates = [];
const evalRates = [];
const bothRates = [];
let alerts = 0;
for (let r = 0; r < RUNS + 1; r++) {
  let c = cpu();
  const lists = bodies.map((b) => JSON.parse(b.toString('utf8')));
  const tParse = cpu() - c;
  c = cpu();
  let n = 0;
  alerts = 0;
  for (const l of lists) for (const item of l.items) {
    alerts += rules.evaluate(new AuditEvent(item, 0n)).length;
    n++;
  }
  const tEval = cpu() - c;
  if (r === 0) continue; // warm-up
  parseRates.push(n / tParse);
  evalRates.push(n / tEval);
  bothRates.push(n / (tParse + tEval));
}
const summary = {
  events: LISTS * 100,
  bodyBytes: bodies[0].length,
  rules: rules.rules.length,
  alertsPerRun: alerts,
  parseEventsPerCpuSec: Math.round(median(parseRates)),
  evaluateEventsPerCpuSec: Math.round(median(evalRates)),
  parseAndEvaluateEventsPerCpuSec: Math.round(median(bothRates)),
};
if (args.includes('--json')) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(`k8s_audit without HTTP: ${summary.events} events (EventLists of 100, ${summary.bodyBytes} bytes each), ${summary.rules} rules, ${summary.alertsPerRun} alerts per run`);
  console.log(`  JSON.parse: ${summary.parseEventsPerCpuSec} events/CPU-s; evaluate: ${summary.evaluateEventsPerCpuSec} events/CPU-s; both: ${summary.parseAndEvaluateEventsPerCpuSec} events/CPU-s (medians of ${RUNS})`);
}
