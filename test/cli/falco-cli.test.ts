// Falco's habits on `kestrel run` / `kestrel replay`, run as real processes: falco.yaml as the
// config, -o, the hostname override, Falco's metrics, -V, -L, --list, --support, --dry-run, -M,
// -e, -t/-T/-D, and the refusal to start with every source disabled.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { buildScenario } from '../../src/sources/syscall/scenario/synthetic.js';
import { writeScenarioCapture } from '../../src/sources/syscall/testing/scenario-capture.js';
import { KestrelProcess, haveCli, killIfRunning } from './kestrel-process.js';

const FALCO_YAML = new URL('../../../shared/falco-fixtures/falco.yaml', import.meta.url).pathname;
const haveFalcoYaml = existsSync(FALCO_YAML);
if (!haveFalcoYaml) console.warn(`SKIPPED: ${FALCO_YAML} is absent (shared Falco fixtures)`);
const RULES = new URL('../../rules', import.meta.url).pathname;
const HELM_YAML = new URL('../agent/fixtures/falco-helm-default.yaml', import.meta.url).pathname;

let running: KestrelProcess | undefined;
afterEach(async () => {
  await killIfRunning(running);
  running = undefined;
});

/** A kestrel process run to its end. */
async function kestrel(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const k = new KestrelProcess(args, env);
  const code = await k.exited;
  return { code, out: k.stdout, err: k.stderr };
}

async function post(url: string, body: unknown): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

// Parsed JSON documents are walked freely in assertions.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const LOOPBACK = ['-o', 'webserver.listen_address=127.0.0.1', '-o', 'webserver.listen_port=0', '-o', 'sources.k8s_audit.port=0', '--disable-source', 'syscall'];

function tmpDir(): string {
  return mkdtempSync(join(tmpdir(), 'kestrel-falco-cli-'));
}

const tagged = (name: string, verb: string, tags: string) =>
  `- rule: ${name}\n  desc: ${name} desc\n  condition: ka.verb=${verb}\n  output: "${name} %ka.target.name"\n  priority: WARNING\n  source: k8s_audit\n  tags: [${tags}]\n`;

describe.skipIf(!haveCli)('kestrel run with Falco configuration and flags', () => {
  it.skipIf(!haveFalcoYaml)(
    "starts with Falco's falco.yaml (no error), counts an exec in falco_events and Falco's native metric, names the node from KESTREL_HOSTNAME",
    async () => {
      const k = (running = new KestrelProcess(['run', '-c', FALCO_YAML, '-r', RULES, ...LOOPBACK, '-o', 'webserver.prometheus_metrics_enabled=true', '-o', 'json_output=true'], { KESTREL_HOSTNAME: 'node-7' }));
      await k.waitForLog(/kestrel running/);
      expect(k.logs().filter((l) => (l.level as number) >= 50)).toEqual([]);
      expect(k.logs().filter((l) => /has no effect here/.test(l.msg ?? '')).length).toBeGreaterThan(10);
      const web = k.port(/metrics and health on/);
      const hook = k.port(/webhook listening/);
      expect(await post(`http://127.0.0.1:${hook}/k8s-audit`, fx.eventList([fx.execDeckhouse()]))).toBe(200);
      await k.waitFor(() => k.stdoutLines().length >= 1, 'the exec alert');
      const alert = JSON.parse(k.stdoutLines()[0]!) as { hostname: string; rule: string; tags: string[] };
      expect(alert).toMatchObject({ hostname: 'node-7', rule: 'Attach/Exec Pod' });

      const metrics = await (await fetch(`http://127.0.0.1:${web}/metrics`)).text();
      const tags = alert.tags;
      // falco-exporter: priority as the gRPC enum number (Notice = 5), tags as ",a,b,".
      expect(metrics).toContain(
        `falco_events{rule="Attach/Exec Pod",priority="5",hostname="node-7",source="k8s_audit",k8s_ns_name="",k8s_pod_name="",tags=",${tags.join(',')},"} 1`,
      );
      expect(metrics).toContain(`falcosecurity_falco_rules_matches_total{rule_name="Attach/Exec Pod",priority="5",source="k8s_audit",tags="${tags.join(', ')}"} 1`);
      expect(metrics).toMatch(/kestrel_alerts_total\{rule="Attach\/Exec Pod",priority="Notice",source="k8s_audit"\} 1/);
      k.kill('SIGTERM');
      expect(await k.exited).toBe(0);
    },
  );

  it.skipIf(!haveFalcoYaml)("with Falco's file as is, /metrics is off (prometheus_metrics_enabled: false) and the health path is k8s_healthz_endpoint", async () => {
    const k = (running = new KestrelProcess(['run', '-c', FALCO_YAML, '-r', RULES, ...LOOPBACK, '-o', 'webserver.k8s_healthz_endpoint=/alive']));
    await k.waitForLog(/kestrel running/);
    const web = k.port(/metrics and health on/);
    expect((await fetch(`http://127.0.0.1:${web}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${web}/alive`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${web}/readyz`)).status).toBe(200);
    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
  });

  it('refuses to start with every source disabled', async () => {
    const r = await kestrel(['run', '-r', RULES, ...LOOPBACK, '--disable-source', 'k8s_audit']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('every event source is disabled');
  });

  it('-M SECONDS runs that long and exits 0; --dry-run checks and exits without starting', async () => {
    const m = await kestrel(['run', '-r', RULES, ...LOOPBACK, '-M', '1']);
    expect(m.code).toBe(0);
    expect(m.err).toMatch(/-M 1: time is up/);
    const dir = tmpDir();
    writeFileSync(join(dir, 'bad.yaml'), '- rule: b\n  desc: d\n  condition: ka.verb = = x\n  output: o\n  priority: INFO\n  source: k8s_audit\n');
    const ok = await kestrel(['run', '-r', RULES, ...LOOPBACK, '--dry-run']);
    expect(ok.code).toBe(0);
    expect(ok.err).toContain('dry run: configuration and rules are valid');
    expect(ok.err).not.toContain('kestrel running');
    const bad = await kestrel(['run', '-r', join(dir, 'bad.yaml'), ...LOOPBACK, '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\.yaml:3:\d+/);
  });

  it('-V validates (status 1 on errors) for run and at the top level; --version alone prints the version', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'bad.yaml'), '- rule: b\n  desc: d\n  condition: proc.nmae = x\n  output: o\n  priority: INFO\n');
    writeFileSync(join(dir, 'good.yaml'), tagged('Good', 'get', 'a'));
    for (const prefix of [[], ['run'], ['replay']]) {
      const bad = await kestrel([...prefix, '-V', join(dir, 'bad.yaml')]);
      expect(bad.code, prefix.join(' ')).toBe(1);
      expect(bad.out).toContain('bad.yaml:3:14: error: filter_check called with nonexistent field proc.nmae');
      const good = await kestrel([...prefix, '--validate', join(dir, 'good.yaml')]);
      expect(good.code, prefix.join(' ')).toBe(0);
    }
    const v = await kestrel(['--version']);
    expect(v.code).toBe(0);
    expect(v.out.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('-L lists rules (name, description) with -t/-T/-D selection applied; -t with -T is refused', async () => {
    const dir = tmpDir();
    const rules = join(dir, 'r.yaml');
    writeFileSync(rules, tagged('Alpha exec', 'create', 'a, shared') + tagged('Beta read', 'get', 'b') + tagged('Gamma list', 'list', 'shared'));
    const all = await kestrel(['run', '-r', rules, '-L']);
    expect(all.code).toBe(0);
    expect(all.out.split('\n').slice(0, 2).map((l) => l.trim())).toEqual([expect.stringMatching(/^Rule\s+Description$/), expect.stringMatching(/^----\s+-----------$/)]);
    expect(all.out).toMatch(/Alpha exec\s+Alpha exec desc\n/);
    const only = await kestrel(['run', '-r', rules, '-L', '-t', 'shared']);
    expect(only.out).toMatch(/Beta read\s+Beta read desc \(disabled\)/);
    expect(only.out).toMatch(/Gamma list\s+Gamma list desc\n/);
    const off = await kestrel(['run', '-r', rules, '-L', '-T', 'b', '-D', 'Gamma']);
    expect(off.out).toMatch(/Alpha exec\s+Alpha exec desc\n/);
    expect(off.out).toMatch(/Beta read desc \(disabled\)/);
    expect(off.out).toMatch(/Gamma list desc \(disabled\)/);
    const both = await kestrel(['run', '-r', rules, '-L', '-t', 'a', '-T', 'b']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('you can not specify both disabled (-D/-T) and enabled (-t) rules');
  });

  it('--list [SOURCE] prints the fields; --support prints versions, the redacted config and the rules files with sha256', async () => {
    const list = await kestrel(['run', '--list', 'k8s_audit']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^Source k8s_audit:/);
    expect(list.out).not.toContain('Source syscall:');

    const dir = tmpDir();
    const rules = join(dir, 'r.yaml');
    writeFileSync(rules, tagged('Alpha', 'get', 'a'));
    const cfg = join(dir, 'k.yaml');
    writeFileSync(cfg, 'rules_files: [r.yaml]\nhttp_output:\n  url: "https://user:s3cret@hooks.example/x?token=abc"\nsources:\n  k8s_audit:\n    bearer_tokens: [t0ps3cret]\n');
    const r = await kestrel(['run', '-c', cfg, '--support']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as Record<string, Any>;
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.engine_info.engine_version).toMatch(/^0\.\d+\.\d+$/);
    expect(typeof s.kernel.btf).toBe('boolean');
    expect(s.rules_files).toEqual([{ name: rules, sha256: createHash('sha256').update(readFileSync(rules)).digest('hex'), bytes: readFileSync(rules).length }]);
    expect(s.config_files[0].name).toBe(cfg);
    expect(r.out).not.toContain('s3cret');
    expect(r.out).not.toContain('t0ps3cret');
    expect(r.out).not.toContain('token=abc');
  });

  it('-U turns buffered_outputs off whatever the config and -o say; without it the config stands', async () => {
    const dir = tmpDir();
    const cfg = join(dir, 'k.yaml');
    writeFileSync(cfg, 'buffered_outputs: true\n');
    const configOf = async (args: string[]) => {
      const r = await kestrel(['run', '-c', cfg, ...args, '--support']);
      expect(r.code).toBe(0);
      return (JSON.parse(r.out) as { config: { buffered_outputs: boolean } }).config;
    };
    expect((await configOf([])).buffered_outputs).toBe(true);
    expect((await configOf(['-U'])).buffered_outputs).toBe(false);
    expect((await configOf(['-o', 'buffered_outputs=true', '-U'])).buffered_outputs).toBe(false);
  });

  it('-e FILE evaluates a recording through the configured outputs and exits when it is read', async () => {
    const dir = tmpDir();
    const log = join(dir, 'audit.log');
    writeFileSync(log, [fx.execDeckhouse(), fx.namespaceCreate('x')].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = await kestrel(['run', '-r', RULES, '-o', 'webserver.enabled=false', '-e', log, '--json']);
    expect(r.code).toBe(0);
    const alerts = r.out.trim().split('\n').map((l) => JSON.parse(l) as { rule: string });
    expect(alerts.map((a) => a.rule)).toContain('Attach/Exec Pod');
    expect(r.err).toMatch(/2 event\(s\) read, 0 record\(s\) skipped/);
  });
});

describe.skipIf(!haveCli)('kestrel replay with Falco flags', () => {
  it('-T / -t select the rules, -o and -c apply as for run', async () => {
    const dir = tmpDir();
    const log = join(dir, 'audit.log');
    writeFileSync(log, JSON.stringify(fx.execDeckhouse()) + '\n');
    const all = await kestrel(['replay', '-r', RULES, '--json', log]);
    expect(all.out).toContain('"rule":"Attach/Exec Pod"');
    const off = await kestrel(['replay', '-r', RULES, '-T', 'T1609', log]);
    expect(off.code).toBe(0);
    expect(off.out).toBe('');
    const only = await kestrel(['replay', '-r', RULES, '-t', 'mitre_execution', '-o', 'json_output=true', log]);
    expect(JSON.parse(only.out.trim())).toMatchObject({ rule: 'Attach/Exec Pod', priority: 'Notice' });
    const quiet = await kestrel(['replay', '-r', RULES, '-o', 'priority=warning', log]);
    expect(quiet.out).toBe('');
  });
});

describe.skipIf(!haveCli)('-p and the Helm render', () => {
  it('-p appends to the output of syscall rules (c/container, k/kubernetes, or a format); a bad format is refused', async () => {
    const dir = tmpDir();
    const capture = join(dir, 'shadow.kcap');
    writeScenarioCapture(
      capture,
      buildScenario('user 0 root\ncontainer c1 name=web image=nginx:1\nproc sh pid=300 exe=/bin/sh container=c1\n300 openat /etc/shadow O_RDONLY\n'),
    );
    const rules = join(dir, 'r.yaml');
    writeFileSync(rules, '- rule: Shadow\n  desc: d\n  condition: evt.type = openat and fd.name = /etc/shadow\n  output: shadow read by %proc.name\n  priority: WARNING\n');
    const plain = await kestrel(['replay', '-r', rules, capture]);
    expect(plain.out.trim()).toMatch(/Warning shadow read by sh$/);
    const pc = await kestrel(['replay', '-r', rules, '-pc', capture]);
    expect(pc.out.trim()).toMatch(/Warning shadow read by sh container=web \(id=[0-9a-f]{12}\)$/);
    const custom = await kestrel(['replay', '-r', rules, '-p', 'file=%fd.name', capture]);
    expect(custom.out.trim()).toMatch(/shadow read by sh file=\/etc\/shadow$/);
    const bad = await kestrel(['replay', '-r', rules, '-p', '%proc.nmae', capture]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('-p "%proc.nmae"');
  });

  it("the Helm chart's render passes --dry-run with Kestrel's rules", async () => {
    const r = await kestrel(['run', '-c', HELM_YAML, '-r', RULES, ...LOOPBACK, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('dry run: configuration and rules are valid');
    expect(r.err).not.toMatch(/"level":(50|60)/);
  });
});

describe.skipIf(!haveCli)('kestrel config', () => {
  it('prints the effective config with includes, -o and ${VAR} applied and secrets redacted', async () => {
    const dir = tmpDir();
    writeFileSync(join(dir, 'k.yaml'), 'config_files: [extra.yaml]\npriority: ${PRIO}\nsources:\n  k8s_audit:\n    bearer_tokens: [t0ps3cret]\n');
    writeFileSync(join(dir, 'extra.yaml'), 'json_output: true\n');
    const r = await kestrel(['config', '-c', join(dir, 'k.yaml'), '-o', 'webserver.listen_port=9999', '--json'], { PRIO: 'error' });
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out) as Record<string, Any>;
    expect(c).toMatchObject({ priority: 'error', json_output: true, webserver: { listen_port: 9999 }, sources: { k8s_audit: { bearer_tokens: ['<redacted>'], port: 9765 } } });
    expect(r.out).not.toContain('t0ps3cret');
  });
});
