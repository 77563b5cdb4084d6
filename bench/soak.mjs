#!/usr/bin/env node
// Soak test (root, BTF; after `npm run bootstrap`):
//   node bench/soak.mjs [--minutes 10] [--storm-rate 20000] [--audit-batches 5] [--outage-every 120]
//                       [--outage-for 20] [--procs 100000] [--sample 10] [--json]
//   (npm run soak -- --minutes 10)
// Runs the agent as `kestrel run` (its own process, as in production) with the upstream Falco
// syscall and k8s audit rules plus one marker rule, under mixed load for --minutes:
//  - a syscall storm through the real eBPF collector: open/close of a file the rules read, paced
//    at --storm-rate syscalls/s, plus a marker process every second that a rule alerts on;
//  - the audit webhook at a steady --audit-batches EventLists of 100 events per second;
//  - the HTTP output POSTing every alert to a receiver here that goes away for --outage-for
//    seconds every --outage-every seconds and comes back on the same port.
// Every --sample seconds: the agent's RSS, event-loop lag (p99, max), and the counters. At the
// end (load stopped, queues drained): audit events accepted vs evaluated (0 lost), syscall
// records produced / dropped in the kernel (counted) / processed, alerts raised vs delivered
// to the receiver + dropped by the output (counted). Then --procs short-lived processes: the
// agent's thread/process tables and its open fds before, at the peak, and after (back to baseline).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bodyMaker } from './audit-events.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const MINUTES = opt('minutes', 10);
const STORM_RATE = opt('storm-rate', 20_000);
const AUDIT_BATCHES = opt('audit-batches', 5);
const OUTAGE_EVERY = opt('outage-every', 120);
const OUTAGE_FOR = opt('outage-for', 20);
const PROCS = opt('procs', 100_000);
const SAMPLE = opt('sample', 10);
const JSON_OUT = args.includes('--json');

const fail = (msg) => {
  console.error(`bench/soak: ${msg}`);
  process.exit(1);
};
if (process.getuid() !== 0) fail('needs root (eBPF)');
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli) || !existsSync(join(root, 'native/build/Release/kestrel_collector.node'))) fail('run `npm run bootstrap` first (dist/ and the native collector)');
const upstream = join(root, '..', 'shared', 'upstream-rules');
if (!existsSync(join(upstream, 'falco_rules.yaml'))) fail(`upstream rules not found at ${upstream}`);

const work = mkdtempSync(join(tmpdir(), 'kestrel-soak-'));
const openloop = join(work, 'openloop');
execFileSync('cc', ['-O2', '-o', openloop, join(root, 'bench/live/openloop.c')]);
const spawner = join(work, 'spawner');
writeFileSync(
  join(work, 'spawner.c'),
  // N fork+exec of /bin/true, one at a time (the shape of a busy cron or CI node)
  '#include <stdlib.h>\n#include <sys/wait.h>\n#include <unistd.h>\nint main(int c,char**v){long n=atol(v[1]);for(long i=0;i<n;i++){pid_t p=fork();if(p==0){execl("/bin/true","true",(char*)0);_exit(127);}if(p>0)waitpid(p,0,0);}return 0;}\n',
);
execFileSync('cc', ['-O2', '-o', spawner, join(work, 'spawner.c')]);
const markerExe = join(work, 'soakmark');
execFileSync('cp', ['/bin/true', markerExe]);

// --- the alert receiver (goes away and comes back) -------------------------------------------
const received = { alerts: 0, requests: 0 };
const sockets = new Set();
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received.requests++;
    received.alerts++;
    res.end('ok');
  });
});
receiver.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const receiverPort = receiver.address().port;
let receiverUp = true;
async function receiverAway() {
  if (!receiver.listening) return;
  receiverUp = false;
  const closed = new Promise((r) => receiver.close(r));
  for (const s of sockets) s.destroy();
  await closed;
}
async function receiverBack() {
  if (receiver.listening) return;
  await new Promise((r) => receiver.listen(receiverPort, '127.0.0.1', r));
  receiverUp = true;
}

// --- the agent -----------------------------------------------------------------------------
writeFileSync(join(work, 'soak.yaml'), `- rule: soak marker\n  desc: the soak's marker process\n  condition: evt.type in (execve, execveat) and evt.dir = < and proc.name = soakmark\n  output: marker %proc.cmdline\n  priority: WARNING\n  source: syscall\n`);
const config = join(work, 'kestrel.yaml');
writeFileSync(
  config,
  [
    `rules_files: [${[join(upstream, 'falco_rules.yaml'), join(upstream, 'k8s_audit_rules.yaml'), join(work, 'soak.yaml')].map((r) => JSON.stringify(r)).join(', ')}]`,
    'json_output: true',
    'log_level: info',
    'stdout_output: { enabled: false }',
    `http_output: { enabled: true, url: "http://127.0.0.1:${receiverPort}/alerts", timeout_ms: 2000, max_attempts: 3 }`,
    'webserver: { enabled: true, listen_address: 127.0.0.1, listen_port: 0 }',
    'sources:',
    '  k8s_audit: { enabled: true, address: 127.0.0.1, port: 0, plain_http: true, allow_unauthenticated: true }',
    '',
  ].join('\n'),
);
const agent = spawn(process.execPath, [cli, 'run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
let agentLog = '';
let metricsPort = 0;
let webhookPort = 0;
agent.stderr.on('data', (d) => {
  const s = d.toString();
  if (agentLog.length < 1_000_000) agentLog += s;
  metricsPort ||= Number(/metrics and health on http:\/\/127\.0\.0\.1:(\d+)/.exec(s)?.[1] ?? 0);
  webhookPort ||= Number(/webhook listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(s)?.[1] ?? 0);
});
for (const until = Date.now() + 120_000; !(metricsPort && webhookPort && agentLog.includes('kestrel running')); ) {
  if (Date.now() > until || agent.exitCode !== null) fail(`the agent did not start:\n${agentLog.slice(-4000)}`);
  await new Promise((r) => setTimeout(r, 100));
}

async function metrics() {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const sum = (re) => [...text.matchAll(re)].reduce((s, m) => s + Number(m[1]), 0);
  const one = (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return {
    produced: one('kestrel_syscall_records_total'),
    kernelDropped: one('kestrel_syscall_dropped_total'),
    processed: one('kestrel_syscall_records_processed_total'),
    auditEvaluated: sum(/^kestrel_events_total\{source="k8s_audit"\} (\S+)/gm),
    auditDropped: sum(/^kestrel_events_dropped_total\{source="k8s_audit"[^}]*\} (\S+)/gm),
    alerts: sum(/^kestrel_alerts_total\{[^}]*\} (\S+)/gm),
    httpWritten: sum(/^kestrel_output_written_total\{output="http"\} (\S+)/gm),
    httpDropped: sum(/^kestrel_output_dropped_total\{output="http"[^}]*\} (\S+)/gm),
    lagP99Ms: one('kestrel_nodejs_eventloop_lag_p99_seconds') * 1000,
    lagMaxMs: one('kestrel_nodejs_eventloop_lag_max_seconds') * 1000,
    threads: Number(/^kestrel_syscall_tracked\{table="threads"\} (\S+)/m.exec(text)?.[1] ?? NaN),
    processes: Number(/^kestrel_syscall_tracked\{table="processes"\} (\S+)/m.exec(text)?.[1] ?? NaN),
  };
}
const rssMb = () => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const fds = () => readdirSync(`/proc/${agent.pid}/fd`).length;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

// --- mixed load ------------------------------------------------------------------------------
const audit = { sent: 0, accepted: 0, busy: 0, other: 0, errors: 0 };
const makeBody = bodyMaker();
const webhook = `http://127.0.0.1:${webhookPort}/k8s-audit`;
const hook = new http.Agent({ keepAlive: true, maxSockets: 4 });
function postBatch(body) {
  return new Promise((resolve) => {
    const req = http.request(webhook, { method: 'POST', agent: hook, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', (err) => resolve({ status: 0, text: err.message }));
    req.end(body);
  });
}
async function sendAuditBatch(n) {
  const body = makeBody(n);
  // as kube-apiserver's batching backend: a busy answer (429/503) is retried after a pause
  for (let attempt = 0; attempt < 20; attempt++) {
    const r = await postBatch(body);
    if (r.status === 200) {
      audit.sent++;
      audit.accepted += JSON.parse(r.text).accepted;
      return;
    }
    if (r.status === 429 || r.status === 503) audit.busy++;
    else if (r.status === 0) audit.errors++;
    else audit.other++;
    await new Promise((res) => setTimeout(res, 200));
  }
}

const t0 = Date.now();
const endAt = t0 + MINUTES * 60_000;
const samples = [];
const storm = spawn(openloop, ['/etc/passwd', String(Math.round((STORM_RATE / 2) * MINUTES * 60)), String(STORM_RATE)], { stdio: 'ignore' });
let markers = 0;
const pending = new Set();
let batchNo = 0;
const auditTimer = setInterval(() => {
  for (let i = 0; i < AUDIT_BATCHES; i++) {
    const p = sendAuditBatch(batchNo++).finally(() => pending.delete(p));
    pending.add(p);
  }
}, 1000);
const markerTimer = setInterval(() => {
  markers++;
  spawn(markerExe, [`m${markers}`], { stdio: 'ignore' });
}, 1000);
let outages = 0;
let backTimer;
const outageTimer = setInterval(async () => {
  outages++;
  await receiverAway();
  backTimer = setTimeout(() => void receiverBack(), OUTAGE_FOR * 1000);
}, OUTAGE_EVERY * 1000);
const sample = async () => {
  const m = await metrics();
  samples.push({ t: Math.round((Date.now() - t0) / 1000), rssMb: Math.round(rssMb()), fds: fds(), receiverUp, load: load(), ...m, lagP99Ms: +m.lagP99Ms.toFixed(1), lagMaxMs: +m.lagMaxMs.toFixed(1) });
  if (!JSON_OUT) {
    const s = samples.at(-1);
    console.log(`t=${String(s.t).padStart(4)}s rss=${s.rssMb}MB lag p99=${s.lagP99Ms}ms max=${s.lagMaxMs}ms fds=${s.fds} produced=${s.produced} kdropped=${s.kernelDropped} processed=${s.processed} audit accepted=${audit.accepted} evaluated=${s.auditEvaluated} alerts=${s.alerts} http written=${s.httpWritten} dropped=${s.httpDropped} receiver ${receiverUp ? 'up' : 'DOWN'} load ${s.load}`);
  }
};
await sample();
while (Date.now() < endAt) {
  await new Promise((r) => setTimeout(r, SAMPLE * 1000));
  await sample();
}
clearInterval(auditTimer);
clearInterval(markerTimer);
clearInterval(outageTimer);
clearTimeout(backTimer);
storm.kill('SIGTERM');
await Promise.all(pending);
if (!receiverUp) await receiverBack();

// drained: every audit event accepted has been evaluated, and the output has no alert left
// (delivered or dropped: written + dropped = alerts raised); waits at most 5 minutes
let end = await metrics();
for (const until = Date.now() + 300_000; Date.now() < until; ) {
  if (end.auditEvaluated >= audit.accepted && end.httpWritten + end.httpDropped >= end.alerts && end.processed >= end.produced - end.kernelDropped) break;
  await new Promise((r) => setTimeout(r, 1000));
  end = await metrics();
}
const soak = {
  minutes: MINUTES,
  audit: { ...audit, evaluated: end.auditEvaluated, droppedCounted: end.auditDropped, lost: audit.accepted - end.auditEvaluated },
  syscall: { produced: end.produced, droppedInKernelCounted: end.kernelDropped, processed: end.processed, markers },
  alerts: { raised: end.alerts, httpWritten: end.httpWritten, httpDroppedCounted: end.httpDropped, receiverGot: received.alerts, outages, unaccounted: end.alerts - end.httpWritten - end.httpDropped },
  rssMb: { first: samples[0].rssMb, max: Math.max(...samples.map((s) => s.rssMb)), last: samples.at(-1).rssMb },
  // the first sample holds the start-up (rules compiled, /proc read): the lag under load is after it
  lagP99Ms: { median: median(samples.slice(1).map((s) => s.lagP99Ms)), max: Math.max(...samples.slice(1).map((s) => s.lagP99Ms)) },
  samples,
};

// --- short-lived processes -------------------------------------------------------------------
let churn;
if (PROCS > 0) {
  const before = { ...(await metrics()), fds: fds() };
  let peak = { threads: before.threads, processes: before.processes, fds: before.fds };
  const started = Date.now();
  const child = spawn(spawner, [String(PROCS)], { stdio: 'ignore' });
  const done = new Promise((r) => child.on('exit', r));
  let running = true;
  void done.then(() => (running = false));
  while (running) {
    await new Promise((r) => setTimeout(r, 1000));
    const m = await metrics();
    peak = { threads: Math.max(peak.threads, m.threads), processes: Math.max(peak.processes, m.processes), fds: Math.max(peak.fds, fds()) };
  }
  const seconds = (Date.now() - started) / 1000;
  // back to baseline: the exits have been processed (allow what else the host started meanwhile)
  let after = { ...(await metrics()), fds: fds() };
  for (const until = Date.now() + 120_000; Date.now() < until && after.processes > before.processes + 50; ) {
    await new Promise((r) => setTimeout(r, 1000));
    after = { ...(await metrics()), fds: fds() };
  }
  churn = {
    processes: PROCS,
    seconds: +seconds.toFixed(1),
    threads: { before: before.threads, peak: peak.threads, after: after.threads },
    processTable: { before: before.processes, peak: peak.processes, after: after.processes },
    agentFds: { before: before.fds, peak: peak.fds, after: after.fds },
    kernelDropped: after.kernelDropped - before.kernelDropped,
    rssMb: Math.round(rssMb()),
    load: load(),
  };
}

const stopped = new Promise((r) => agent.on('exit', r));
agent.kill('SIGTERM');
const code = await stopped;
receiver.close();
for (const s of sockets) s.destroy();
hook.destroy();
rmSync(work, { recursive: true, force: true });

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

const result = { soak, churn, agentExit: code, load: load() };
if (JSON_OUT) console.log(JSON.stringify(result, null, 2));
else {
  const a = soak.audit;
  console.log(`\nsoak ${MINUTES} min (load average at end ${load()}):`);
  console.log(`  audit: ${a.sent} batches, ${a.accepted} events accepted, ${a.evaluated} evaluated, lost ${a.lost}; busy answers ${a.busy} (retried), other ${a.other}, connection errors ${a.errors}; dropped (counted) ${a.droppedCounted}`);
  console.log(`  syscall: ${soak.syscall.produced} records produced, ${soak.syscall.droppedInKernelCounted} dropped in the kernel (counted), ${soak.syscall.processed} processed; ${markers} marker processes`);
  console.log(`  alerts: ${soak.alerts.raised} raised, http output wrote ${soak.alerts.httpWritten}, dropped (counted) ${soak.alerts.httpDroppedCounted}, unaccounted ${soak.alerts.unaccounted}; receiver got ${soak.alerts.receiverGot} over ${outages} outage(s)`);
  console.log(`  agent RSS: first ${soak.rssMb.first} MB, max ${soak.rssMb.max} MB, last ${soak.rssMb.last} MB; event-loop lag p99: median ${soak.lagP99Ms.median} ms, max ${soak.lagP99Ms.max} ms`);
  if (churn) {
    console.log(`${PROCS} short-lived processes in ${churn.seconds} s (load ${churn.load}):`);
    console.log(`  threads tracked ${churn.threads.before} -> peak ${churn.threads.peak} -> ${churn.threads.after}; processes ${churn.processTable.before} -> ${churn.processTable.peak} -> ${churn.processTable.after}; agent fds ${churn.agentFds.before} -> ${churn.agentFds.peak} -> ${churn.agentFds.after}; kernel drops ${churn.kernelDropped}; RSS ${churn.rssMb} MB`);
  }
  console.log(`  agent exit status after SIGTERM: ${code}`);
}
