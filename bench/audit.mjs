#!/usr/bin/env node
// Audit webhook throughput per core, end to end, old path against new: two real `kestrel run`
// agents (HTTPS with client certificate verification, Falco's k8s_audit_rules.yaml, alerts to
// stdout -> /dev/null), one with sources.k8s_audit.lazy_parsing false (JSON.parse of every body,
// the reference path) and one with it true (the indexed path), both pinned to CPU 0, and a load
// generator pinned to CPU 1 POSTing EventLists over kept-alive connections.
//
//   bash scripts/build.sh && node bench/audit.mjs [--runs 5] [--seconds 6] [--connections 8] [--batch 400,100,20] [--latency] [--profile DIR] [--json]
//
// For each batch size (kube-apiserver's --audit-webhook-batch-max-size defaults to 400; a quiet
// cluster sends smaller lists) and each run, the two agents are measured one after the other
// (order alternating): the generator keeps the webhook saturated (429s retried after 50 ms) and
// the agent's evaluated events (kestrel_events_total{source="k8s_audit"}) and CPU time
// (utime+stime) are read over the run. Reported: medians of events/s (wall) and of events per
// agent CPU-second (what one core does when it is all the agent's: the other tenants of a shared
// machine take CPU 0 time too), with the load average before and after.
// --latency: also p50/p99 request latency at a fixed moderate rate (a quarter of the measured
// throughput), per path, batch 100. --profile DIR: the agents run with --cpu-prof into DIR.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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
const SECONDS = opt('seconds', 6);
const BATCHES = (args.includes('--batch') ? args[args.indexOf('--batch') + 1] : '400,100,20').split(',').map(Number);
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

// ---- the agents --------------------------------------------------------------------------------
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PROFILE = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : '';

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

async function startAgent(lazy) {
  const cfg = join(dir, `kestrel-${lazy ? 'lazy' : 'full'}.yaml`);
  writeFileSync(cfg, `rules_files: [${JSON.stringify(RULES)}]
log_level: warn
webserver: { listen_port: 0 }
sources:
  syscall: { enabled: false }
  k8s_audit:
    address: 127.0.0.1
    port: 0
    plain_http: false
    lazy_parsing: ${lazy}
    tls: { cert_file: server.crt, key_file: server.key, client_ca_file: ca.crt }
`);
  const stderrFile = join(dir, `kestrel-${lazy ? 'lazy' : 'full'}.stderr`);
  const agentCmd = [process.execPath, ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : []), CLI, 'run', '-c', cfg];
  const [cmd, cmdArgs] = pin(0) ? [pin(0)[0], [...pin(0)[1], ...agentCmd]] : [agentCmd[0], agentCmd.slice(1)];
  // log_level warn hides the listening lines; ports come from /proc instead.
  const agent = spawn(cmd, cmdArgs, { stdio: ['ignore', openSync('/dev/null', 'w'), openSync(stderrFile, 'w')] });
  process.on('exit', () => agent.kill('SIGKILL'));
  let ports = [];
  for (let i = 0; i < 300 && ports.length < 2; i++) {
    await sleep(100);
    if (agent.exitCode !== null) throw new Error(`kestrel exited: ${readFileSync(stderrFile, 'utf8')}`);
    try {
      ports = listeningPorts(agent.pid); // taskset execs: the pid is node's
    } catch {
      // the process is still starting
    }
  }
  if (ports.length < 2) throw new Error('kestrel did not start listening');
  let metricsPort;
  for (const p of ports) {
    try {
      if ((await metricsText(p)).includes('kestrel_')) metricsPort = p;
    } catch {
      // not the metrics port
    }
  }
  const webhookPort = ports.find((p) => p !== metricsPort);
  return { lazy, agent, pid: agent.pid, metricsPort, url: `https://127.0.0.1:${webhookPort}/k8s-audit` };
}

async function metricsText(port) {
  const r = await fetch(`http://127.0.0.1:${port}/metrics`);
  return r.ok ? r.text() : '';
}
async function evaluated(a) {
  const m = /^kestrel_events_total\{source="k8s_audit"\} (\d+)/m.exec(await metricsText(a.metricsPort));
  return m ? Number(m[1]) : 0;
}
async function alerts(a) {
  let sum = 0;
  for (const m of (await metricsText(a.metricsPort)).matchAll(/^kestrel_alerts_total\{[^}]*source="k8s_audit"\} (\d+)/gm)) sum += Number(m[1]);
  return sum;
}
function cpuSeconds({ pid }) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (100/s)
}

let next = 0;
/** Runs the generator; `onReady` is called when its bodies are made and the load starts. */
function load(a, mode, seconds, knob, batch, onReady = () => {}) {
  const loadCmd = [process.execPath, join(here, 'audit-load.mjs'), mode, a.url, dir, String(seconds), String(knob), String(next), String(batch)];
  const [c, args1] = pin(1) ? [pin(1)[0], [...pin(1)[1], ...loadCmd]] : [loadCmd[0], loadCmd.slice(1)];
  return new Promise((resolve, reject) => {
    const p = spawn(c, args1, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.startsWith('ready\n')) {
        out = out.slice(6);
        onReady();
      }
    });
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited ${code}`));
      const r = JSON.parse(out.trim().split('\n').pop());
      next = r.next;
      resolve(r);
    });
  });
}

async function drain(a) {
  for (let i = 0; i < 600; i++) {
    const before = await evaluated(a);
    await sleep(100);
    if ((await evaluated(a)) === before) return;
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
const load3 = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** One saturated run against agent `a`: events/s and events per agent CPU-second over the middle of the run. */
async function throughputRun(a, batch) {
  let window;
  const done = load(a, 'saturate', SECONDS, CONNECTIONS, batch, () => {
    window = (async () => {
      await sleep(1000); // connections up, queue filled
      const e0 = await evaluated(a);
      const c0 = cpuSeconds(a);
      const t0 = performance.now();
      await sleep((SECONDS - 2) * 1000);
      const e1 = await evaluated(a);
      const c1 = cpuSeconds(a);
      const secs = (performance.now() - t0) / 1000;
      return { eventsPerSec: (e1 - e0) / secs, eventsPerCpuSec: (e1 - e0) / (c1 - c0), cpuCores: (c1 - c0) / secs };
    })();
  });
  const gen = await done;
  const r = await window;
  await drain(a);
  return { ...r, retried429: gen.busy, errors: gen.errors };
}

const loadBefore = load3();
const agents = [await startAgent(false), await startAgent(true)];
const name = (a) => (a.lazy ? 'indexed' : 'full parse');
for (const a of agents) {
  await load(a, 'saturate', 2, CONNECTIONS, 100); // warm-up: JIT, TLS sessions
  await drain(a);
}

const results = [];
for (const batch of BATCHES) {
  const runs = { 'full parse': [], indexed: [] };
  for (let r = 0; r < RUNS; r++) {
    for (const a of r % 2 ? [...agents].reverse() : agents) runs[name(a)].push(await throughputRun(a, batch));
  }
  const row = { batch, loadavg: load3() };
  for (const [path, rs] of Object.entries(runs)) {
    row[path] = {
      eventsPerSecMedian: Math.round(median(rs.map((x) => x.eventsPerSec))),
      eventsPerCpuSecMedian: Math.round(median(rs.map((x) => x.eventsPerCpuSec))),
      agentCpuCoresMedian: Number(median(rs.map((x) => x.cpuCores)).toFixed(2)),
      eventsPerSecRuns: rs.map((x) => Math.round(x.eventsPerSec)),
      errors: rs.reduce((n, x) => n + x.errors, 0),
    };
  }
  results.push(row);
  if (!JSON_OUT) {
    const f = row['full parse'];
    const l = row.indexed;
    console.log(`EventLists of ${batch}: full parse ${f.eventsPerSecMedian} events/s (${f.eventsPerCpuSecMedian}/CPU-s, ${f.agentCpuCoresMedian} cores), indexed ${l.eventsPerSecMedian} events/s (${l.eventsPerCpuSecMedian}/CPU-s, ${l.agentCpuCoresMedian} cores): x${(l.eventsPerCpuSecMedian / f.eventsPerCpuSecMedian).toFixed(2)} per CPU-s; runs ${f.eventsPerSecRuns.join('/')} vs ${l.eventsPerSecRuns.join('/')}; load ${row.loadavg}`);
  }
}

const latency = {};
if (args.includes('--latency')) {
  for (const a of agents) {
    const per = results.find((x) => x.batch === 100)?.[name(a)]?.eventsPerSecMedian ?? 20000;
    const rate = RATE_OPT || Math.max(5, Math.round((0.25 * per) / 100));
    const rs = [];
    for (let r = 0; r < Math.max(3, Math.ceil(RUNS / 2)); r++) {
      const gen = await load(a, 'rate', SECONDS, rate, 100);
      await drain(a);
      rs.push({ p50: pct(gen.latenciesMs, 50), p99: pct(gen.latenciesMs, 99), errors: gen.errors });
    }
    latency[name(a)] = { eventListsPerSec: rate, p50MsMedian: Number(median(rs.map((l) => l.p50)).toFixed(2)), p99MsMedian: Number(median(rs.map((l) => l.p99)).toFixed(2)) };
  }
}

const summary = {
  rules: 'k8s_audit_rules.yaml (upstream, unchanged)',
  connections: CONNECTIONS,
  runs: RUNS,
  seconds: SECONDS,
  loadavgBefore: loadBefore,
  loadavgAfter: load3(),
  results,
  latency,
  alertsRaised: { 'full parse': await alerts(agents[0]), indexed: await alerts(agents[1]) },
  eventsEvaluated: { 'full parse': await evaluated(agents[0]), indexed: await evaluated(agents[1]) },
};
for (const a of agents) a.agent.kill('SIGTERM');
// let them exit on their own (a --cpu-prof profile is written on exit)
await Promise.race([Promise.all(agents.map((a) => new Promise((r) => a.agent.once('exit', r)))), sleep(15000)]);
if (JSON_OUT) console.log(JSON.stringify(summary, null, 2));
else {
  const rate = (p) => ((100 * summary.alertsRaised[p]) / summary.eventsEvaluated[p]).toFixed(2);
  console.log(`load average before ${summary.loadavgBefore}, after ${summary.loadavgAfter}; alerts per evaluated event: full parse ${rate('full parse')} %, indexed ${rate('indexed')} % (same mix, so these should match)`);
  for (const [path, l] of Object.entries(latency)) console.log(`latency ${path} at ${l.eventListsPerSec} EventLists/s of 100: p50 ${l.p50MsMedian} ms, p99 ${l.p99MsMedian} ms`);
}
process.exit(0);
