// falco.yaml as Kestrel's config: Falco's current file and the Helm chart's render load with no
// error (each Falco key without effect here warns once), -o overrides, ${VAR}, config_files.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, pinoLevel, readAgentConfig } from '../../src/agent/config.js';
import { NO_EFFECT } from '../../src/agent/falco-keys.js';

const FALCO_YAML = new URL('../../../shared/falco-fixtures/falco.yaml', import.meta.url).pathname;
const HELM_YAML = new URL('./fixtures/falco-helm-default.yaml', import.meta.url).pathname;
const haveFalcoYaml = existsSync(FALCO_YAML);
if (!haveFalcoYaml) console.warn(`SKIPPED: ${FALCO_YAML} is absent (shared Falco fixtures)`);

function tmp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-falco-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

/** The top-level keys (or a.b keys) a warning is about. */
function warnedKeys(warnings: string[]): string[] {
  return warnings.map((w) => /: (\S+) has no effect here/.exec(w)?.[1]).filter((k): k is string => Boolean(k));
}

describe("Falco's falco.yaml", () => {
  it.skipIf(!haveFalcoYaml)('loads with no error; each key without effect here warns once, naming its line', () => {
    const { config, warnings } = readAgentConfig(FALCO_YAML);
    const keys = warnedKeys(warnings);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of ['engine', 'load_plugins', 'plugins', 'log_syslog', 'metrics', 'base_syscalls', 'webserver.threadiness', 'falco_libs.thread_table_size']) expect(keys).toContain(k);
    for (const w of warnings.filter((x) => x.includes('has no effect'))) expect(w).toMatch(new RegExp(`^${FALCO_YAML}:\\d+:\\d+: `));
    // What Falco's file sets and Kestrel does too.
    expect(config.webserver).toMatchObject({ enabled: true, listen_address: '0.0.0.0', listen_port: 8765, k8s_healthz_endpoint: '/healthz', prometheus_metrics_enabled: false, ssl_enabled: false });
    expect(config.sources.syscall.data_snaplen).toBe(80); // falco_libs.snaplen
    expect(config.outputs_queue_capacity).toBe(10_000); // capacity 0 (unbounded) keeps Kestrel's bound
    expect(config.watch_config_files).toBe(true);
    expect(pinoLevel(config)).toBe('info');
    expect(config.rules_files).toEqual(['/etc/falco/falco_rules.yaml', '/etc/falco/falco_rules.local.yaml', '/etc/falco/rules.d']);
  });

  it("the Helm chart's default render loads with no error", () => {
    const { config, warnings } = readAgentConfig(HELM_YAML);
    expect(warnedKeys(warnings)).toEqual(expect.arrayContaining(['engine', 'capture', 'load_plugins', 'plugins', 'grpc', 'grpc_output', 'metrics']));
    expect(config.stdout_output.enabled).toBe(true);
    expect(config.program_output.program).toMatch(/^jq/);
  });

  it('every key of the no-effect table is a path into Falco keys, not a Kestrel key', () => {
    for (const k of Object.keys(NO_EFFECT)) expect(k).toMatch(/^[a-z0-9_]+(\.[a-z0-9_]+)?$/);
  });

  it('log_level takes syslog names (Falco) and pino names', () => {
    const dir = tmp({ 'a.yaml': 'log_level: notice\n', 'b.yaml': 'log_level: warning\n', 'c.yaml': 'log_level: trace\n', 'd.yaml': 'log_level: loud\n' });
    expect(pinoLevel(readAgentConfig(join(dir, 'a.yaml')).config)).toBe('info');
    expect(pinoLevel(readAgentConfig(join(dir, 'b.yaml')).config)).toBe('warn');
    expect(pinoLevel(readAgentConfig(join(dir, 'c.yaml')).config)).toBe('trace');
    expect(errorOf(() => readAgentConfig(join(dir, 'd.yaml')))).toBe(`${join(dir, 'd.yaml')}:1:1: log_level "loud" is not one of emergency, alert, critical, error, warning, notice, info, debug (or trace, fatal, warn)`);
  });

  it('an unknown key is an error at its file:line:col', () => {
    const dir = tmp({ 'k.yaml': 'webserver:\n  enabled: true\n  listen_prot: 1\n' });
    expect(errorOf(() => readAgentConfig(join(dir, 'k.yaml')))).toBe(`${join(dir, 'k.yaml')}:3:3: unknown setting webserver.listen_prot`);
  });
});

describe('-o key=value overrides (Falco semantics)', () => {
  const base = 'webserver:\n  listen_port: 8765\nrules_files: [a.yaml, b.yaml]\nsources:\n  k8s_audit:\n    stages: [ResponseComplete]\n';

  it('sets dotted paths and list items, reads the text as the type the key has, {..} as YAML', () => {
    const dir = tmp({ 'k.yaml': base, 'a.yaml': '[]\n', 'c.yaml': '[]\n' });
    const { config } = readAgentConfig(join(dir, 'k.yaml'), {
      overrides: ['webserver.listen_port=0', 'json_output=true', 'rules_files[1]=c.yaml', 'sources.k8s_audit.stages[1]=ResponseStarted', 'sources.syscall={enabled: false}', 'http_output.url=http://h/x?a=b'],
    });
    expect(config.webserver.listen_port).toBe(0);
    expect(config.json_output).toBe(true);
    expect(config.rules_files).toEqual([join(dir, 'a.yaml'), join(dir, 'c.yaml')]);
    expect(config.sources.k8s_audit.stages).toEqual(['ResponseComplete', 'ResponseStarted']);
    expect(config.sources.syscall.enabled).toBe(false);
    expect(config.http_output.url).toBe('http://h/x?a=b'); // split at the first '='
  });

  it('later -o win; a bad value is an error naming the option', () => {
    const dir = tmp({ 'k.yaml': base });
    const file = join(dir, 'k.yaml');
    expect(readAgentConfig(file, { overrides: ['priority=error', 'priority=warning'] }).config.priority).toBe('warning');
    expect(errorOf(() => readAgentConfig(file, { overrides: ['webserver.listen_port=abc'] }))).toBe('-o webserver.listen_port=abc: webserver.listen_port must be a non-negative number, not "abc"');
    expect(errorOf(() => readAgentConfig(file, { overrides: ['json_output'] }))).toMatch(/^-o json_output: must be of the form key=value/);
    expect(errorOf(() => readAgentConfig(file, { overrides: ['rules_files[5]=x'] }))).toMatch(/index 5 is past the end of rules_files \(2 item/);
    expect(errorOf(() => readAgentConfig(file, { overrides: ['webserver.listen_port.x=1'] }))).toMatch(/webserver.listen_port is not a mapping/);
  });
});

describe('${VAR} in values', () => {
  it('is replaced from the environment; $${VAR} keeps the text; an unset variable reads as "" and warns', () => {
    const dir = tmp({ 'k.yaml': 'webserver:\n  listen_port: ${KPORT}\n  listen_address: "${KADDR}"\nprogram_output:\n  program: "echo $${HOME} ${NOPE_UNSET}"\n' });
    const { config, warnings } = readAgentConfig(join(dir, 'k.yaml'), { env: { KPORT: '9001', KADDR: '127.0.0.2' } });
    expect(config.webserver.listen_port).toBe(9001);
    expect(config.webserver.listen_address).toBe('127.0.0.2');
    expect(config.program_output.program).toBe('echo ${HOME} ');
    expect(warnings).toEqual([`${join(dir, 'k.yaml')}:5:3: environment variable NOPE_UNSET is not set (program_output.program uses \${NOPE_UNSET}); it reads as ""`]);
  });
});

describe('config_files includes', () => {
  it('merges files and directories in order with append (lists appended), override and add-only', () => {
    const dir = tmp({
      'main.yaml': 'config_files:\n  - conf.d\n  - path: extra.yaml\n    strategy: add-only\n  - missing.d\nrules_files: [r1.yaml]\npriority: debug\nwebserver:\n  listen_port: 1\n',
      'conf.d/10-a.yaml': 'rules_files: [r2.yaml]\npriority: warning\n',
      'conf.d/20-b.yaml': 'webserver:\n  enabled: false\n',
      'extra.yaml': 'priority: error\njson_output: true\n',
      'r1.yaml': '[]\n',
      'r2.yaml': '[]\n',
    });
    const { config, files, directories } = readAgentConfig(join(dir, 'main.yaml'));
    expect(config.rules_files).toEqual([join(dir, 'r1.yaml'), join(dir, 'r2.yaml')]);
    expect(config.priority).toBe('warning'); // add-only does not replace it
    expect(config.json_output).toBe(true); // add-only adds what is missing
    expect(config.webserver).toMatchObject({ enabled: false, listen_port: 8765 }); // a top-level key is replaced whole, as Falco does
    expect(files.map((f) => f.path)).toEqual([join(dir, 'main.yaml'), join(dir, 'conf.d/10-a.yaml'), join(dir, 'conf.d/20-b.yaml'), join(dir, 'extra.yaml')]);
    expect(files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    expect(directories).toEqual([join(dir, 'conf.d')]);
  });

  it('errors point into the included file; an include cannot include', () => {
    const dir = tmp({ 'main.yaml': 'config_files: [inc.yaml]\n', 'inc.yaml': '\nprioritty: x\n', 'main2.yaml': 'config_files: [inc2.yaml]\n', 'inc2.yaml': 'config_files: [x]\n' });
    expect(errorOf(() => readAgentConfig(join(dir, 'main.yaml')))).toBe(`${join(dir, 'inc.yaml')}:2:1: unknown setting prioritty`);
    expect(errorOf(() => readAgentConfig(join(dir, 'main2.yaml')))).toBe(`${join(dir, 'inc2.yaml')}:1:1: an included config file cannot include others (config_files)`);
  });

  it('-o config_files=... is read before the includes are merged', () => {
    const dir = tmp({ 'main.yaml': 'priority: debug\n', 'o.yaml': 'priority: critical\n' });
    expect(readAgentConfig(join(dir, 'main.yaml'), { overrides: [`config_files=${join(dir, 'o.yaml')}`] }).config.priority).toBe('critical');
  });
});
