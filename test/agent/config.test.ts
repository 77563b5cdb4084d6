import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSCALL_DEFAULTS } from '../../src/sources/syscall/config.js';
import { AGENT_DEFAULTS, ConfigError, configFrom, loadConfig, minPriority, rulesLimits } from '../../src/agent/config.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/limits.js';

const DEFAULT_CONFIG = new URL('../../config/kestrel.yaml', import.meta.url).pathname;

describe('agent configuration', () => {
  it('the shipped default config: loopback plain-HTTP webhook, metrics on 127.0.0.1:8765, rules from rules/', async () => {
    const c = await loadConfig(DEFAULT_CONFIG);
    expect(c.rules_files).toEqual([new URL('../../rules', import.meta.url).pathname]);
    expect(c.sources.k8s_audit).toMatchObject({ address: '127.0.0.1', port: 9765, path: '/k8s-audit', plain_http: true, allow_unauthenticated: true, max_body_bytes: 12 * 1024 * 1024, max_event_bytes: 256 * 1024 });
    expect(c.webserver).toMatchObject({ enabled: true, listen_address: '127.0.0.1', listen_port: 8765, prometheus_metrics_enabled: true, ssl_enabled: false });
    expect(c.stdout_output.enabled).toBe(true);
    expect(c.sources.syscall.enabled).toBe(true);
  });

  it("fills defaults, resolves paths against the file, checks the syscall section against the syscall source's settings", () => {
    const c = configFrom({ rules_files: 'my-rules', sources: { k8s_audit: { tls: { cert_file: 'tls/c.crt' } }, syscall: { ring_buffer_bytes: 1 << 20 } } }, '/etc/kestrel');
    expect(c.rules_files).toEqual(['/etc/kestrel/my-rules']);
    expect(c.sources.k8s_audit.tls).toEqual({ cert_file: '/etc/kestrel/tls/c.crt', key_file: '', client_ca_file: '' });
    expect(c.sources.k8s_audit.port).toBe(9765);
    // Setting one key keeps every other at its documented default: loopback, plain HTTP, no auth.
    expect(c.sources.k8s_audit).toMatchObject({ address: '127.0.0.1', plain_http: true, allow_unauthenticated: true });
    expect(c.sources.syscall).toEqual({ ...SYSCALL_DEFAULTS, ring_buffer_bytes: 1 << 20 });
    expect(() => configFrom({ sources: { syscall: { ring_buffer_mb: 16 } } }, '/x', 'k.yaml')).toThrow('k.yaml: unknown setting sources.syscall.ring_buffer_mb');
    expect(() => configFrom({ sources: { syscall: { ring_buffer_bytes: 5000 } } }, '/x', 'k.yaml')).toThrow(
      'k.yaml: sources.syscall.ring_buffer_bytes must be a power of two of at least 4096, not 5000',
    );
    expect(AGENT_DEFAULTS.sources.k8s_audit.tls.cert_file).toBe('');
  });

  it('reports every unknown key and wrong type, with the file name', () => {
    let err: unknown;
    try {
      configFrom({ json_outptu: true, webserver: { listen_port: 'x' }, sources: { k8s_audit: { stages: 'ResponseComplete', plain_htp: true } }, stdout_output: [] }, '/x', 'k.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as Error).message.split('\n');
    expect(lines).toEqual([
      'k.yaml: unknown setting json_outptu',
      'k.yaml: webserver.listen_port must be a non-negative number, not "x"',
      'k.yaml: unknown setting sources.k8s_audit.plain_htp',
      'k.yaml: stdout_output must be a mapping, not a list',
    ]);
  });

  it('checks values: priority names, ports, required output settings', () => {
    expect(() => configFrom({ priority: 'loud' }, '/')).toThrow(/priority "loud" is not one of/);
    expect(() => configFrom({ webserver: { listen_port: 70000 } }, '/')).toThrow(/listen_port must be a port number/);
    expect(() => configFrom({ file_output: { enabled: true } }, '/')).toThrow(/file_output.filename is required/);
    expect(minPriority(configFrom({ priority: 'INFO' }, '/'))).toBe('Informational');
    expect(minPriority(configFrom({ priority: 'Warning' }, '/'))).toBe('Warning');
  });

  it('rules_limits: the shipped file states the loader defaults; values are checked; partial sections keep the rest', async () => {
    expect(rulesLimits(await loadConfig(DEFAULT_CONFIG))).toEqual(DEFAULT_RULES_LIMITS);
    expect(rulesLimits(configFrom({ rules_limits: { max_condition_depth: 50 } }, '/'))).toEqual({ ...DEFAULT_RULES_LIMITS, maxConditionDepth: 50 });
    expect(() => configFrom({ rules_limits: { max_list_items: 0, max_file_bytes: 1.5 } }, '/', 'k.yaml')).toThrow(
      'k.yaml: rules_limits.max_file_bytes must be a positive integer\nk.yaml: rules_limits.max_list_items must be a positive integer',
    );
  });

  it('points at the line of a YAML syntax error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-config-'));
    const f = join(dir, 'k.yaml');
    writeFileSync(f, 'json_output: true\nwebserver:\n  listen_port: [0\n');
    await expect(loadConfig(f)).rejects.toThrow(new RegExp(`${f}:\\d+:\\d+: `));
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/cannot read config file/);
  });
});
