#!/usr/bin/env node
// Automatic response latency (root, BTF; run after `npm run bootstrap`):
//   node bench/respond.mjs [--runs 40] [--json]
// The agent runs as `kestrel run` (a separate process, as deployed) with a syscall rule, a
// k8s_audit rule and a responses file (dry_run off):
//  1. kill: a process (bench/respond/victim.c) stamps CLOCK_REALTIME, opens the trigger file for
//     writing (the offending syscall), and waits; the rule alerts, kill_process kills it through a
//     pidfd. Measured: from the stamp to this script seeing the process die (its exit event), so
//     the figure includes the kernel -> ring buffer -> rules -> pidfd kill -> SIGCHLD path.
//  2. Kubernetes call: an audit event (a ClusterRoleBinding created) POSTed to the agent's webhook;
//     the rule alerts, delete_object sends DELETE to a stand-in API server (HTTPS on 127.0.0.1: no
//     real API server exists on these machines). Measured: from just before the POST to the
//     stand-in server receiving the DELETE, and the agent's own alert -> action-completed histogram.
// Reports p50/p99 with the load average (os.loadavg) next to the figures.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttps } from 'node:https';
import { createServer as createNet } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 40) || 40;
const JSON_OUT = args.includes('--json');

if (process.getuid() !== 0) {
  console.error('bench/respond: needs root (eBPF, signalling other processes)');
  process.exit(1);
}
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli) || !existsSync(join(root, 'native/build/Release/kestrel_collector.node'))) {
  console.error('bench/respond: run `npm run bootstrap` first (dist/ and the native addon)');
  process.exit(1);
}

const nowNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const work = mkdtempSync(join(tmpdir(), 'kestrel-bench-respond-'));
const victim = join(work, 'victim');
execFileSync('cc', ['-O2', '-o', victim, join(root, 'bench/respond/victim.c')]);

// The stand-in API server's certificate.
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(work, 'api.key'), '-out', join(work, 'api.crt')], { stdio: 'ignore' });
const deletes = new Map(); // binding name -> ns when the DELETE arrived
const api = createHttps({ cert: readFileSync(join(work, 'api.crt')), key: readFileSync(join(work, 'api.key')) }, (req, res) => {
  const at = nowNs();
  req.resume();
  req.on('end', () => {
    const name = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
    if (req.method === 'DELETE') deletes.set(name, at);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"Status","status":"Success"}');
  });
});
await new Promise((r) => api.listen(0, '127.0.0.1', r));

const freePort = () =>
  new Promise((resolve) => {
    const s = createNet().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const auditPort = await freePort();

writeFileSync(
  join(work, 'kubeconfig'),
  `apiVersion: v1\nkind: Config\ncurrent-context: b\nclusters: [{name: b, cluster: {server: "https://127.0.0.1:${api.address().port}", certificate-authority: ${join(work, 'api.crt')}}}]\nusers: [{name: b, user: {token: bench}}]\ncontexts: [{name: b, context: {cluster: b, user: b}}]\n`,
);
writeFileSync(
  join(work, 'rules.yaml'),
  `- rule: Bench trigger written
  desc: the benchmark's offending syscall
  condition: evt.type in (open, openat) and evt.is_open_write=true and fd.name startswith /tmp/kestrel-bench-respond-
  output: trigger %fd.name pid=%proc.pid
  priority: WARNING
  source: syscall
- rule: Bench binding created
  desc: the benchmark's audit event
  condition: ka.verb=create and ka.target.resource=clusterrolebindings
  output: binding %ka.target.name
  priority: WARNING
  source: k8s_audit
`,
);
writeFileSync(
  join(work, 'responses.yaml'),
  `dry_run: false
cooldown_seconds: 0
rate_limit: {per_minute: 1000000, burst: 100000}
kubernetes: {kubeconfig: ${join(work, 'kubeconfig')}}
rules:
  - name: kill
    match: {rules: [Bench trigger written]}
    actions: [{action: kill_process}]
  - name: revoke
    match: {rules: [Bench binding created]}
    actions: [{action: delete_object}]
`,
);
const config = join(work, 'kestrel.yaml');
writeFileSync(
  config,
  `rules_files: [${join(work, 'rules.yaml')}]
responses_file: ${join(work, 'responses.yaml')}
json_output: true
stdout_output: {enabled: false}
webserver: {enabled: true, listen_address: 127.0.0.1, listen_port: 0}
sources:
  k8s_audit: {enabled: true, address: 127.0.0.1, port: ${auditPort}, plain_http: true, allow_unauthenticated: true}
`,
);

const agent = spawn(process.execPath, [cli, 'run', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
let metricsPort = 0;
let up = false;
let log = '';
agent.stderr.on('data', (d) => {
  const s = d.toString();
  log += s;
  const m = /metrics and health on http:\/\/127\.0\.0\.1:(\d+)/.exec(s);
  if (m) metricsPort = Number(m[1]);
  if (s.includes('kestrel running')) up = true;
});
for (const until = Date.now() + 60_000; !(up && metricsPort); ) {
  if (Date.now() > until || agent.exitCode !== null) throw new Error(`agent did not start:\n${log}`);
  await new Promise((r) => setTimeout(r, 50));
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

// 1. kill
const killMs = [];
for (let i = 0; i < RUNS; i++) {
  const trigger = `/tmp/kestrel-bench-respond-${process.pid}-${i}`;
  const v = spawn(victim, [trigger], { stdio: ['ignore', 'pipe', 'ignore'] });
  let stamp = '';
  v.stdout.on('data', (d) => (stamp += d));
  const died = await new Promise((resolve) => {
    const t = setTimeout(() => {
      v.kill('SIGKILL');
      resolve(undefined);
    }, 10_000);
    v.on('exit', (_c, sig) => {
      clearTimeout(t);
      resolve(sig === 'SIGKILL' ? nowNs() : undefined);
    });
  });
  rmSync(trigger, { force: true });
  if (died === undefined || !stamp.trim()) throw new Error(`victim ${i} was not killed by the agent within 10 s\n${log.slice(-2000)}`);
  killMs.push(Number(died - BigInt(stamp.trim())) / 1e6);
}

// 2. Kubernetes call
const k8sMs = [];
for (let i = 0; i < RUNS; i++) {
  const name = `bench-${i}-${randomUUID().slice(0, 8)}`;
  const t = new Date().toISOString();
  const binding = { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } };
  const event = {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', auditID: randomUUID(), stage: 'ResponseComplete',
    requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', verb: 'create', user: { username: 'dev@example.com', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.1'], objectRef: { resource: 'clusterrolebindings', name, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 }, requestObject: binding, responseObject: { ...binding, metadata: { name, uid: randomUUID() } },
    requestReceivedTimestamp: t, stageTimestamp: t,
  };
  const t0 = nowNs();
  const res = await fetch(`http://127.0.0.1:${auditPort}/k8s-audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: [event] }) });
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  for (const until = Date.now() + 10_000; !deletes.has(name); ) {
    if (Date.now() > until) throw new Error(`no DELETE for ${name} within 10 s\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 1));
  }
  k8sMs.push(Number(deletes.get(name) - t0) / 1e6);
}

const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
const inAgent = (action) => {
  const sum = Number(new RegExp(`^kestrel_response_action_duration_seconds_sum\\{action="${action}"\\} (\\S+)`, 'm').exec(text)?.[1]);
  const count = Number(new RegExp(`^kestrel_response_action_duration_seconds_count\\{action="${action}"\\} (\\S+)`, 'm').exec(text)?.[1]);
  return (sum / count) * 1000;
};
const ok = (action) => Number(new RegExp(`^kestrel_response_actions_total\\{action="${action}",result="ok"\\} (\\S+)`, 'm').exec(text)?.[1] ?? 0);

await new Promise((r) => {
  agent.on('exit', r);
  agent.kill('SIGTERM');
});
api.close();
rmSync(work, { recursive: true, force: true });

const result = {
  runs: RUNS,
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  kill: { p50_ms: pct(killMs, 50), p99_ms: pct(killMs, 99), in_agent_mean_ms: inAgent('kill_process'), ok: ok('kill_process') },
  kubernetes_delete: { p50_ms: pct(k8sMs, 50), p99_ms: pct(k8sMs, 99), in_agent_mean_ms: inAgent('delete_object'), ok: ok('delete_object') },
};
if (JSON_OUT) console.log(JSON.stringify(result));
else {
  const f = (x) => x.toFixed(2);
  console.log(`automatic responses, ${RUNS} runs each, load average ${result.loadavg.join(' ')}`);
  console.log(`  kill_process   offending syscall -> process dead:       p50 ${f(result.kill.p50_ms)} ms  p99 ${f(result.kill.p99_ms)} ms  (in agent, alert -> killed: mean ${f(result.kill.in_agent_mean_ms)} ms; ok ${result.kill.ok})`);
  console.log(`  delete_object  audit POST -> DELETE at the API server:  p50 ${f(result.kubernetes_delete.p50_ms)} ms  p99 ${f(result.kubernetes_delete.p99_ms)} ms  (in agent, alert -> answered: mean ${f(result.kubernetes_delete.in_agent_mean_ms)} ms; ok ${result.kubernetes_delete.ok})`);
}
