#!/usr/bin/env node
// Audit webhook throughput and latency, end to end: a real `kestrel run` (HTTPS with client
// certificate verification, Falco's k8s_audit_rules.yaml, alerts to stdout -> /dev/null) pinned
// to CPU 0, and a load generator process pinned to CPU 1 POSTing EventLists of 100 events.
//
//   bash scripts/build.sh && node bench/audit.mjs [--runs 5] [--seconds 5] [--connections 8] [--rate LISTS_PER_S] [--json]
//
// Throughput: evaluated events/s (kestrel_events_total{source="k8s_audit"} from /metrics) while
// the generator keeps the webhook saturated (429s are retried), median over runs, and the CPU the
// agent used (utime+stime per wall second: <= 1.0 means one core).
// Latency: p50/p99 request latency (POST sent -> 200 received) at a fixed moderate rate of
// EventLists per second (open loop; default a quarter of the measured throughput), median over runs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt('runs', 5);
const SECONDS = opt('seconds', 5);
const CONNECTIONS = opt('connections', 8);
const RATE_OPT = opt('rate', 0); // EventLists/s for the latency runs; default: a quarter of the measured throughput
const JSON_OUT = args.includes('--json');
const RULES = join(root, '..', 'shared', 'upstream-rules', 'k8s_audit_rules.yaml');
const CLI = join(root, 'dist', 'cli.js');

if (!existsSync(RULES)) {
  console.log(`SKIPPED: ${RULES} not found`);
  process.exit(0);
}
if (!existsSync(CLI)) {
  console.log('SKIPPED: dist/cli.js missing: run bash scripts/build.sh');
  process.exit(0);
}
const pin = (cpu) => (existsSync('/usr/bin/taskset') ? ['taskset', ['-c', String(cpu)]] : null);

// ---- PKI ---------------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'kestrel-bench-audit-'));
const ssl = (...a) => execFileSync('openssl', a, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=bench-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'], ['client', 'extendedKeyUsage=clientAuth\n']]) {
  writeFileSync(join(dir, `${name}.ext`), ext);
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
}

// ---- the agent ---------------------------------------------------------------------------------
const cfg = join(dir, 'kestrel.yaml');
writeFileSync(cfg, `rules_files: [${JSON.stringify(RULES)}]
log_level: warn
webserver: { listen_port: 0 }
sources:
  syscall: { enabled: false }
  k8s_audit:
    address: 127.0.0.1
    port: 0
    plain_http: false
    tls: { cert_file: server.crt, key_file: server.key, client_ca_file: ca.crt }
`);
const stderrFile = join(dir, 'kestrel.stderr');
const PROFILE = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : '';
const agentCmd = [process.execPath, ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : []), CLI, 'run', '-c', cfg];
const [cmd, cmdArgs] = pin(0) ? [pin(0)[0], [...pin(0)[1], ...agentCmd]] : [agentCmd[0], agentCmd.slice(1)];
// log_level warn hides the listening lines; ports come from /proc instead.
const agent = spawn(cmd, cmdArgs, { stdio: ['ignore', openSync('/dev/null', 'w'), openSync(stderrFile, 'w')] });
const stop = () => agent.kill('SIGKILL');
process.on('exit', stop);

function listeningPorts(pid) {
  const inodes = new Set();
  for (const fd of execFileSync('ls', [`/proc/${pid}/fd`]).toString().split('\n').filter(Boolean)) {
    try {
      const m = /socket:\[(\d+)\]/.exec(execFileSync('readlink', [`/proc/${pid}/fd/${fd}`]).toString());
      if (m) inodes.add(m[1]);
    } catch {
      // the descriptor closed meanwhile
    }
  }
  const ports = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
  }
  return ports;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let nodePid;
let ports = [];
for (let i = 0; i < 200 && ports.length < 2; i++) {
  await sleep(100);
  if (agent.exitCode !== null) throw new Error(`kestrel exited: ${readFileSync(stderrFile, 'utf8')}`);
  try {
    nodePid ??= Number(execFileSync('pgrep', ['-P', String(agent.pid)]).toString().trim().split('\n')[0]) || undefined;
  } catch {
    // no child process yet: watch the wrapper
  }
  const pid = nodePid ?? agent.pid;
  try {
    ports = listeningPorts(pid);
  } catch {
    // the process is still starting
  }
}
if (ports.length < 2) throw new Error('kestrel did not start listening');
const pid = nodePid ?? agent.pid;

async function metricsText(port) {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  return r.ok ? r.text() : '';
}
let metricsPort;
for (const p of ports) {
  try {
    if ((await metricsText(p)).includes('kestrel_')) metricsPort = p;
  } catch {
    // not the metrics port
  }
}
const webhookPort = ports.find((p) => p !== metricsPort);
const url = `https://127.0.0.1:${webhookPort}/k8s-audit`;

async function evaluated() {
  const m = /^kestrel_events_total\{source="k8s_audit"\} (\d+)/m.exec(await metricsText(metricsPort));
  return m ? Number(m[1]) : 0;
}
async function alerts() {
  let sum = 0;
  for (const m of (await metricsText(metricsPort)).matchAll(/^kestrel_alerts_total\{[^}]*source="k8s_audit"\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}
function cpuSeconds() {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (100/s)
}

let next = 0;
function load(mode, seconds, knob) {
  const loadCmd = [process.execPath, join(here, 'audit-load.mjs'), mode, url, dir, String(seconds), String(knob), String(next)];
  const [c, a] = pin(1) ? [pin(1)[0], [...pin(1)[1], ...loadCmd]] : [loadCmd[0], loadCmd.slice(1)];
  return new Promise((resolve, reject) => {
    const p = spawn(c, a, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const r = JSON.parse(out);
      next = r.next;
      resolve(r);
    });
  });
}

async function drain() {
  for (let i = 0; i < 600; i++) {
    const before = await evaluated();
    await sleep(100);
    if ((await evaluated()) === before) return;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

// Warm-up (JIT, TLS sessions, caches).
await load('saturate', 2, CONNECTIONS);
await drain();

const throughput = [];
for (let r = 0; r < RUNS; r++) {
  const loadDone = load('saturate', SECONDS, CONNECTIONS);
  await sleep(1000); // let the queue fill
  const e0 = await evaluated();
  const c0 = cpuSeconds();
  const t0 = performance.now();
  await sleep((SECONDS - 2) * 1000);
  const e1 = await evaluated();
  const c1 = cpuSeconds();
  const t1 = performance.now();
  const gen = await loadDone;
  await drain();
  const secs = (t1 - t0) / 1000;
  throughput.push({ eventsPerSec: (e1 - e0) / secs, cpuCores: (c1 - c0) / secs, retried429: gen.busy, errors: gen.errors });
}

const RATE = RATE_OPT || Math.max(5, Math.round((0.25 * median(throughput.map((t) => t.eventsPerSec))) / 100));
const latency = [];
for (let r = 0; r < Math.max(3, Math.ceil(RUNS / 2)); r++) {
  const gen = await load('rate', SECONDS, RATE);
  await drain();
  latency.push({ p50: pct(gen.latenciesMs, 50), p99: pct(gen.latenciesMs, 99), requests: gen.requests, busy: gen.busy, errors: gen.errors });
}

const summary = {
  rules: 'k8s_audit_rules.yaml (upstream, unchanged)',
  batch: 100,
  connections: CONNECTIONS,
  runs: RUNS,
  eventsPerSecMedian: Math.round(median(throughput.map((t) => t.eventsPerSec))),
  eventsPerSecRuns: throughput.map((t) => Math.round(t.eventsPerSec)),
  agentCpuCoresMedian: Number(median(throughput.map((t) => t.cpuCores)).toFixed(2)),
  eventsPerCpuSecondMedian: Math.round(median(throughput.map((t) => t.eventsPerSec / t.cpuCores))),
  latencyAtRate: { eventListsPerSec: RATE, eventsPerSec: RATE * 100, p50MsMedian: Number(median(latency.map((l) => l.p50)).toFixed(2)), p99MsMedian: Number(median(latency.map((l) => l.p99)).toFixed(2)), runs: latency },
  alertsRaised: await alerts(),
  errors: throughput.reduce((s, t) => s + t.errors, 0) + latency.reduce((s, l) => s + l.errors, 0),
};
agent.kill('SIGTERM');
// let it exit on its own (a --cpu-prof profile is written on exit)
await Promise.race([new Promise((r) => agent.once('exit', r)), sleep(15000)]);
if (JSON_OUT) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(`audit webhook (HTTPS + client cert, EventLists of ${summary.batch}, ${summary.rules}), agent pinned to one CPU`);
  console.log(`  throughput: ${summary.eventsPerSecMedian} events/s median of ${RUNS} runs (${summary.eventsPerSecRuns.join(', ')}); agent CPU ${summary.agentCpuCoresMedian} cores -> ${summary.eventsPerCpuSecondMedian} events per CPU-second`);
  console.log(`  latency at ${RATE} EventLists/s (${RATE * 100} events/s): p50 ${summary.latencyAtRate.p50MsMedian} ms, p99 ${summary.latencyAtRate.p99MsMedian} ms (median of ${latency.length} runs)`);
  console.log(`  alerts raised: ${summary.alertsRaised}; request errors: ${summary.errors}`);
}
process.exit(0);
