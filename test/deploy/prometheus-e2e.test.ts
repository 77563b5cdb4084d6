// End to end with a real Prometheus (Debian `prometheus`) and Alertmanager (Debian
// `prometheus-alertmanager`): Prometheus scrapes `kestrel run` and evaluates the rules of
// deploy/prometheus plus the rule Falco users already have,
// `sum(rate(falco_events{rule="Attach/Exec Pod"}[5m])) > 0`; an exec into a pod POSTed to the
// audit webhook makes falco_events rise, the alert fires, and Alertmanager posts it to a local
// webhook receiver. Every listener is on 127.0.0.1, on ports chosen free at run time.
// scripts/system-packages.sh installs both packages as root; without them (and not root) the test
// is skipped, saying so.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { KestrelProcess, haveCli } from '../cli/kestrel-process.js';

const PROMETHEUS = '/usr/bin/prometheus';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const RULE_FILE = new URL('../../deploy/prometheus/prometheusrule.yaml', import.meta.url).pathname;
const RULES = new URL('../../rules', import.meta.url).pathname;

const missing = [PROMETHEUS, ALERTMANAGER].filter((p) => !existsSync(p));
const skip = !haveCli
  ? 'dist/cli.js is not built'
  : missing.length > 0
    ? `${missing.join(' and ')} not installed (as root, scripts/system-packages.sh installs prometheus and prometheus-alertmanager)`
    : undefined;
if (skip) console.warn(`SKIPPED: Prometheus end-to-end test: ${skip}`);

async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const children: ChildProcess[] = [];
function daemon(cmd: string, args: string[]): { child: ChildProcess; output: () => string } {
  let out = '';
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  children.push(child);
  return { child, output: () => out };
}

async function waitFor<T>(what: () => Promise<T | undefined>, label: string, diagnostics: () => string, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await what().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}\n${diagnostics()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let kestrel: KestrelProcess | undefined;
afterAll(async () => {
  kestrel?.kill('SIGKILL');
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

describe.skipIf(skip !== undefined)('Prometheus and Alertmanager on kestrel run', () => {
  it('an exec into a pod raises falco_events{rule="Attach/Exec Pod"}; the users\' rule fires and Alertmanager delivers it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-prom-'));

    // The receiver Alertmanager posts to: records every notification.
    const notifications: Array<{ alerts: Array<{ status: string; labels: Record<string, string> }> }> = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        notifications.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const receiverPort = (receiver.address() as { port: number }).port;

    // kestrel run: the audit webhook and /metrics on free loopback ports.
    const cfg = join(dir, 'kestrel.yaml');
    writeFileSync(cfg, `rules_files: [${RULES}]\nwebserver: { listen_address: 127.0.0.1, listen_port: 0 }\nsources:\n  syscall: { enabled: false }\n  k8s_audit: { port: 0 }\n`);
    const k = (kestrel = new KestrelProcess(['run', '-c', cfg], { KESTREL_HOSTNAME: 'node-e2e' }));
    await k.waitForLog(/kestrel running/);
    const metricsPort = k.port(/metrics and health on/);
    const hookPort = k.port(/webhook listening/);

    // Alertmanager: one route to the receiver, no waiting, no cluster.
    const amPort = await freePort();
    writeFileSync(
      join(dir, 'alertmanager.yml'),
      stringify({
        route: { receiver: 'local', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
        receivers: [{ name: 'local', webhook_configs: [{ url: `http://127.0.0.1:${receiverPort}/hook`, send_resolved: false }] }],
      }),
    );
    const am = daemon(ALERTMANAGER, [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ]);

    // Prometheus: deploy/prometheus's rules as they are, plus the users' rule with a short `for`.
    const shipped = parse(readFileSync(RULE_FILE, 'utf8')) as { spec: { groups: unknown[] } };
    const usersRule = {
      name: 'falco-users',
      interval: '1s',
      rules: [{ alert: 'FalcoAttachExecPod', expr: 'sum(rate(falco_events{rule="Attach/Exec Pod"}[5m])) > 0', for: '1s', labels: { severity: 'warning' } }],
    };
    writeFileSync(join(dir, 'rules.yml'), stringify({ groups: [...shipped.spec.groups, usersRule] }));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(dir, 'rules.yml')],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        scrape_configs: [{ job_name: 'kestrel-metrics', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] }],
      }),
    );
    const prom = daemon(PROMETHEUS, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    const logs = () => `--- prometheus\n${prom.output().slice(-3000)}\n--- alertmanager\n${am.output().slice(-2000)}\n--- kestrel\n${k.stderr.slice(-2000)}`;

    const query = async (q: string): Promise<number | undefined> => {
      const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      const v = body.data.result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    };
    // Every group of deploy/prometheus loaded (Prometheus refuses a rule file with a bad expression).
    const groups = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`);
        const body = (await res.json()) as { data: { groups: Array<{ name: string }> } };
        return body.data.groups.length > 0 ? body.data.groups.map((g) => g.name) : undefined;
      },
      'Prometheus rules',
      logs,
    );
    expect(groups.sort()).toEqual([...(shipped.spec.groups as Array<{ name: string }>).map((g) => g.name), 'falco-users'].sort());
    await waitFor(async () => ((await query(`up{job="kestrel-metrics"}`)) === 1 ? true : undefined), 'the first scrape of kestrel', logs);

    // An exec into a pod: the series appears with 1 ...
    const post = async () => {
      const res = await fetch(`http://127.0.0.1:${hookPort}/k8s-audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fx.eventList([fx.execDeckhouse()])) });
      expect(res.status).toBe(200);
    };
    await post();
    const series = 'falco_events{rule="Attach/Exec Pod",hostname="node-e2e",source="k8s_audit",priority="5"}';
    await waitFor(async () => ((await query(series)) === 1 ? true : undefined), `${series} == 1`, logs);
    // ... and rises with the next one: the rate is positive, the rule fires, Alertmanager posts it.
    await post();
    await waitFor(async () => ((await query(series)) === 2 ? true : undefined), `${series} == 2`, logs);
    const alert = await waitFor(
      async () => notifications.flatMap((n) => n.alerts).find((a) => a.labels.alertname === 'FalcoAttachExecPod'),
      'the FalcoAttachExecPod notification at the receiver',
      logs,
    );
    expect(alert).toMatchObject({ status: 'firing', labels: { alertname: 'FalcoAttachExecPod', severity: 'warning' } });
    expect(await query('sum(rate(falco_events{rule="Attach/Exec Pod"}[5m]))')).toBeGreaterThan(0);

    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
    receiver.close();
  }, 180_000);
});
