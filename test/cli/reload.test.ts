// Config hot reload of a real `kestrel run`: on SIGHUP and, with watch_config_files, when the
// config or a rules file changes: rules and outputs re-read, a source restarted only when its
// settings changed, a bad config kept out (the running one stays, the log says why).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { KestrelProcess, haveCli, killIfRunning } from './kestrel-process.js';

let running: KestrelProcess | undefined;
afterEach(async () => {
  await killIfRunning(running);
  running = undefined;
});

const rule = (name: string, verb: string) =>
  `- rule: ${name}\n  desc: test\n  condition: ka.verb=${verb}\n  output: "${name} on %ka.target.resource"\n  priority: WARNING\n  source: k8s_audit\n`;

const config = (extra = '', audit = '') =>
  `rules_files: [rules]\nwebserver: { listen_address: 127.0.0.1, listen_port: 0 }\n${extra}\nsources:\n  syscall: { enabled: false }\n  k8s_audit: { port: 0${audit} }\n`;

async function post(port: number, path: string, items: unknown[]): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fx.eventList(items)) });
  await res.arrayBuffer();
  return res.status;
}

/** The port of the n-th "webhook listening" log line (a restarted source logs a new one). */
function webhookPorts(k: KestrelProcess): number[] {
  return k
    .logs()
    .filter((l) => /webhook listening/.test(l.msg ?? ''))
    .map((l) => Number(/:(\d+)/.exec(l.msg!)![1]));
}

function setup(configText: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-reload-'));
  const rulesDir = join(dir, 'rules');
  const cfg = join(dir, 'kestrel.yaml');
  writeFileSync(cfg, configText);
  return { dir, rulesDir, cfg };
}

describe.skipIf(!haveCli)('config reload', () => {
  it('a changed rules file is picked up without a signal (watch_config_files); a new file in the rules directory too', async () => {
    const { rulesDir, cfg } = setup(config());
    mkdirSync(rulesDir);
    writeFileSync(join(rulesDir, 'a.yaml'), rule('Deletes', 'delete'));
    const k = (running = new KestrelProcess(['run', '-c', cfg]));
    await k.waitForLog(/kestrel running/);
    const port = webhookPorts(k)[0]!;
    expect(await post(port, '/k8s-audit', [fx.namespaceCreate('a')])).toBe(200);

    writeFileSync(join(rulesDir, 'a.yaml'), rule('Creates', 'create'));
    await k.waitForLog(/^rules reloaded$/);
    expect(await post(port, '/k8s-audit', [fx.namespaceCreate('b')])).toBe(200);
    await k.waitFor(() => k.stdoutLines().length === 1, 'the alert of the new rule');
    expect(k.stdoutLines()[0]).toMatch(/Warning Creates on namespaces$/);

    writeFileSync(join(rulesDir, 'b.yaml'), rule('Deletes', 'delete'));
    await k.waitFor(() => k.logs().filter((l) => l.msg === 'rules reloaded').length === 2, 'a second reload');
    expect(await post(port, '/k8s-audit', [fx.clusterRoleDelete('x')])).toBe(200);
    await k.waitFor(() => k.stdoutLines().length === 2, 'the alert of the added file');
    expect(k.stdoutLines()[1]).toMatch(/Warning Deletes on clusterroles$/);
    // The source kept running through both: its settings did not change.
    expect(webhookPorts(k)).toEqual([port]);
    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
  });

  it('SIGHUP applies a new config: outputs rebuilt, the source restarted only when its own settings change; a bad config is refused and the running one kept', async () => {
    const { rulesDir, cfg } = setup(config('watch_config_files: false'));
    mkdirSync(rulesDir);
    writeFileSync(join(rulesDir, 'a.yaml'), rule('Creates', 'create'));
    const k = (running = new KestrelProcess(['run', '-c', cfg]));
    await k.waitForLog(/kestrel running/);
    const port = webhookPorts(k)[0]!;
    const web = k.port(/metrics and health on/);

    // An output setting: text -> JSON lines; the webhook keeps its port.
    writeFileSync(cfg, config('watch_config_files: false\njson_output: true'));
    k.kill('SIGHUP');
    await k.waitForLog(/^configuration applied: outputs$/);
    expect(await post(port, '/k8s-audit', [fx.namespaceCreate('a')])).toBe(200);
    await k.waitFor(() => k.stdoutLines().length === 1, 'a JSON alert');
    expect(JSON.parse(k.stdoutLines()[0]!)).toMatchObject({ rule: 'Creates', source: 'k8s_audit' });
    expect(webhookPorts(k)).toEqual([port]);

    // A setting of the source: it restarts (on a new free port) and serves the new path.
    writeFileSync(cfg, config('watch_config_files: false\njson_output: true', ', path: /audit2'));
    k.kill('SIGHUP');
    await k.waitForLog(/configuration applied: source k8s_audit stopped, source k8s_audit started/);
    const ports = webhookPorts(k);
    expect(ports).toHaveLength(2);
    expect(await post(ports[1]!, '/audit2', [fx.namespaceCreate('b')])).toBe(200);
    await k.waitFor(() => k.stdoutLines().length === 2, 'an alert through the restarted source');

    // A bad config: refused with the reason; alerts keep flowing with the running config.
    writeFileSync(cfg, config('watch_config_files: false\njson_outptu: true'));
    k.kill('SIGHUP');
    await k.waitForLog(/SIGHUP: configuration not reloaded, keeping the running one: .*kestrel\.yaml:4:1: unknown setting json_outptu/);
    expect(await post(ports[1]!, '/audit2', [fx.namespaceCreate('c')])).toBe(200);
    await k.waitFor(() => k.stdoutLines().length === 3, 'an alert after the refused reload');
    expect(JSON.parse(k.stdoutLines()[2]!)).toMatchObject({ rule: 'Creates' });
    const metrics = await (await fetch(`http://127.0.0.1:${web}/metrics`)).text();
    expect(metrics).toMatch(/kestrel_config_reloads_total\{result="ok"\} 2/);
    expect(metrics).toMatch(/kestrel_config_reloads_total\{result="error"\} 1/);
    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
  });
});
