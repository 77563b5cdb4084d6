import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { KestrelProcess, haveCli, killIfRunning } from './kestrel-process.js';

const UPSTREAM = new URL('../../../shared/upstream-rules/k8s_audit_rules.yaml', import.meta.url).pathname;
const haveUpstream = existsSync(UPSTREAM);
if (!haveUpstream) console.warn(`SKIPPED: upstream k8s audit rules not found at ${UPSTREAM}`);
const DEFAULT_CONFIG = new URL('../../config/kestrel.yaml', import.meta.url).pathname;

async function post(url: string, body: unknown) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { accepted?: number } };
}

let running: KestrelProcess | undefined;
afterEach(async () => {
  await killIfRunning(running);
  running = undefined;
});

describe.skipIf(!haveCli)('kestrel run', () => {
  it.skipIf(!haveUpstream)('with the default config (ports chosen free): health, readiness, a POSTed exec event becomes a JSON alert', async () => {
    // the shipped config, but on free ports: a running agent holds 8765/9765
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-run-'));
    const cfg = join(dir, 'kestrel.yaml');
    const shipped = readFileSync(DEFAULT_CONFIG, 'utf8');
    const onFreePorts = shipped.replace(/^( {2}listen_port:) 8765$/m, '$1 0').replace(/^( {4}port:) 9765$/m, '$1 0');
    expect(onFreePorts.match(/^ *(listen_port|port): 0$/gm)).toHaveLength(2);
    writeFileSync(cfg, onFreePorts);
    // the files the shipped config names beside itself come along (rules come from -r)
    copyFileSync(join(dirname(DEFAULT_CONFIG), 'responses.yaml'), join(dir, 'responses.yaml'));
    const k = (running = new KestrelProcess(['run', '-c', cfg, '-r', UPSTREAM, '--json', '--disable-source', 'syscall']));
    await k.waitForLog(/kestrel running/);
    const health = `http://127.0.0.1:${k.port(/metrics and health on/)}`;
    const webhook = `http://127.0.0.1:${k.port(/webhook listening on/)}/k8s-audit`;
    expect((await fetch(`${health}/healthz`)).status).toBe(200);
    const ready = await fetch(`${health}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', sources: { k8s_audit: { ready: true } } });

    const r = await post(webhook, fx.eventList([fx.execDeckhouse()]));
    expect(r).toEqual({ status: 200, json: { accepted: 1, skipped: 0, rejected: [] } });
    await k.waitFor(() => k.stdoutLines().length >= 1, 'an alert on stdout');
    const alert = JSON.parse(k.stdoutLines()[0]!);
    expect(alert).toMatchObject({
      rule: 'Attach/Exec Pod',
      priority: 'Notice',
      source: 'k8s_audit',
      output_fields: { 'ka.user.name': 'admin@example.com', 'ka.target.name': 'deckhouse-77f868d554-8zpt4', 'ka.target.namespace': 'd8-system', 'ka.uri.param[command]': 'mkdir' },
    });
    expect(alert.output).toContain('Attach/Exec to pod (user=admin@example.com pod=deckhouse-77f868d554-8zpt4 resource=pods ns=d8-system action=exec command=mkdir)');

    const metrics = await (await fetch(`${health}/metrics`)).text();
    expect(metrics).toMatch(/kestrel_alerts_total\{rule="Attach\/Exec Pod",priority="Notice",source="k8s_audit"\} 1/);
    expect(metrics).toMatch(/kestrel_events_total\{source="k8s_audit"\} 1/);

    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
  });

  it('reports not-ready with the reason when an enabled source cannot start, and keeps the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-run-'));
    writeFileSync(join(dir, 'rules.yaml'), '- rule: any\n  desc: d\n  condition: ka.verb=create\n  output: x\n  priority: INFO\n  source: k8s_audit\n');
    const cfg = join(dir, 'kestrel.yaml');
    // The k8s_audit source is told to serve HTTPS without a certificate: it cannot start.
    writeFileSync(cfg, `rules_files: [rules.yaml]\nwebserver: { listen_port: 0 }\nsources:\n  syscall: { enabled: false }\n  k8s_audit: { port: 0, plain_http: false, bearer_tokens: [t] }\n`);
    const k = (running = new KestrelProcess(['run', '-c', cfg]));
    await k.waitForLog(/kestrel running/);
    expect(k.stderr).toMatch(/source k8s_audit cannot start: webhook on 127.0.0.1:0: HTTPS needs tls.cert_file/);
    const port = k.port(/metrics and health on/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { sources: Record<string, { reason?: string }> }).sources.k8s_audit!.reason).toMatch(/HTTPS needs tls.cert_file/);
    k.kill('SIGINT');
    expect(await k.exited).toBe(0);
  });

  it('SIGHUP reloads the rules; a broken reload keeps the old rules; SIGTERM drains accepted events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-run-'));
    const rules = join(dir, 'rules.yaml');
    const rule = (name: string, verb: string) =>
      `- rule: ${name}\n  desc: test\n  condition: jevt.value[/stage]=ResponseComplete and ka.verb=${verb}\n  output: "${name} by %ka.user.name on %ka.target.resource"\n  priority: WARNING\n  source: k8s_audit\n`;
    writeFileSync(rules, rule('Deletes', 'delete'));
    const cfg = join(dir, 'kestrel.yaml');
    writeFileSync(cfg, `rules_files: [rules.yaml]\nwebserver: { listen_port: 0 }\nsources:\n  syscall: { enabled: false }\n  k8s_audit: { address: 127.0.0.1, port: 0, plain_http: true, allow_unauthenticated: true }\n`);
    const k = (running = new KestrelProcess(['run', '-c', cfg]));
    await k.waitForLog(/kestrel running/);
    const url = `http://127.0.0.1:${k.port(/webhook listening/)}/k8s-audit`;

    await post(url, fx.eventList([fx.clusterRoleDelete('system:node'), fx.namespaceCreate('a')]));
    await k.waitFor(() => k.stdoutLines().length === 1, 'first alert');
    expect(k.stdoutLines()[0]).toMatch(/Warning Deletes by kubernetes-admin on clusterroles$/);

    writeFileSync(rules, rule('Creates', 'create'));
    k.kill('SIGHUP');
    await k.waitForLog(/^rules reloaded$/);
    await post(url, fx.eventList([fx.clusterRoleDelete('system:node'), fx.namespaceCreate('b')]));
    await k.waitFor(() => k.stdoutLines().length === 2, 'alert after reload');
    expect(k.stdoutLines()[1]).toMatch(/Warning Creates by kubernetes-admin on namespaces$/);

    writeFileSync(rules, '- rule: Broken\n  desc: x\n  condition: ka.verb = = create\n  output: x\n  priority: WARNING\n  source: k8s_audit\n');
    k.kill('SIGHUP');
    await k.waitForLog(/rules reload failed; keeping the previous rules/);
    expect(k.stderr).toMatch(/rules\.yaml:3:\d+: error: /);
    // Still the previous rules, and what was accepted before SIGTERM is evaluated before exit.
    const batch = Array.from({ length: 200 }, (_, i) => fx.namespaceCreate(`n${i}`));
    expect((await post(url, fx.eventList(batch))).json.accepted).toBe(200);
    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
    expect(k.stdoutLines()).toHaveLength(202);
    expect(k.stdoutLines().slice(2).every((l) => /Creates by kubernetes-admin on namespaces$/.test(l))).toBe(true);
  });

  it('refuses a config with unknown keys or wrong types, naming them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-run-'));
    const cfg = join(dir, 'kestrel.yaml');
    writeFileSync(cfg, 'json_outptu: true\nwebserver: { listen_port: "eighty" }\n');
    const k = (running = new KestrelProcess(['run', '-c', cfg]));
    expect(await k.exited).toBe(2);
    expect(k.stderr).toContain('unknown setting json_outptu');
    expect(k.stderr).toContain('webserver.listen_port must be a non-negative number');
    expect(readFileSync(DEFAULT_CONFIG, 'utf8')).toContain('plain_http: true');
  });
});
