// The responses file: what it accepts, and every mistake reported at its file:line:col.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadResponses, parseResponses, ResponsesConfigError } from '../../src/respond/config.js';
import { parse } from 'yaml';
import { configFrom } from '../../src/agent/config.js';

function problems(text: string): string[] {
  try {
    parseResponses(text, 'responses.yaml', '/etc/kestrel');
  } catch (err) {
    if (err instanceof ResponsesConfigError) return err.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
    throw err;
  }
  return [];
}

describe('responses file', () => {
  it('reads rules, matches and actions with their parameters; dry_run is on unless turned off', () => {
    const cfg = parseResponses(
      `namespaces: {allow: [kube-system], deny: [payments]}
kubernetes: {kubeconfig: kube/config}
rules:
  - name: shell in prod
    match:
      rules: ["Terminal shell in container", "Run shell*"]
      priority: warning
      tags: [shell]
      source: syscall
      fields:
        k8s.ns.name: production
        proc.name: [bash, sh]
        container.image.repository: {prefix: registry.example.com/}
        user.name: {not_in: [root]}
    actions:
      - action: kill_process
        parameters: {signal: SIGTERM}
      - action: label_pod
        parameters: {labels: {kestrel.io/quarantine: "true"}}
    continue: true
    dry_run: false
`,
      'responses.yaml',
      '/etc/kestrel',
    );
    expect(cfg.dry_run).toBe(true);
    expect(cfg.kubernetes.kubeconfig).toBe('/etc/kestrel/kube/config');
    expect(cfg.namespaces).toEqual({ allow: ['kube-system'], deny: ['payments'] });
    const r = cfg.rules[0]!;
    expect(r.at).toBe('responses.yaml:4:5');
    expect(r.match).toEqual({
      rules: ['Terminal shell in container', 'Run shell*'],
      priority: 'Warning',
      tags: ['shell'],
      source: 'syscall',
      fields: [
        { field: 'k8s.ns.name', equals: 'production' },
        { field: 'proc.name', in: ['bash', 'sh'] },
        { field: 'container.image.repository', prefix: 'registry.example.com/' },
        { field: 'user.name', not_in: ['root'] },
      ],
    });
    expect(r.actions.map((a) => [a.action, a.signal])).toEqual([
      ['kill_process', 'SIGTERM'],
      ['label_pod', 'SIGKILL'],
    ]);
    expect(r.actions[1]!.labels).toEqual({ 'kestrel.io/quarantine': 'true' });
    expect(r.continue).toBe(true);
    expect(r.dry_run).toBe(false);
  });

  it('reports each mistake at its line and column, all of them at once', () => {
    expect(
      problems(`dry_run: maybe
rate_limit: {per_minute: -1}
rules:
  - name: a
    match:
      rules: [x]
      priority: loud
      colour: red
    actions:
      - action: explode
      - action: kill_process
        parameters: {signal: SIGHUP, grace_period_seconds: 3}
      - action: label_pod
  - match: {rules: [y]}
    actions: []
`),
    ).toEqual([
      '1:10 dry_run must be true or false',
      '2:26 rate_limit.per_minute must be a number from 0 to 9007199254740991',
      '8:7 response rule "a".match: unknown key "colour" (known: rules, priority, tags, source, fields)',
      '7:17 response rule "a".match.priority "loud" is not one of Emergency, Alert, Critical, Error, Warning, Notice, Informational, Debug',
      '10:17 response rule "a".actions[0]: unknown action "explode" (one of kill_process, kill_process_group, kill_container, stop_container, pause_container, capture, terminate_pod, label_pod, isolate_pod, delete_object, cordon_node, notify)',
      '12:38 response rule "a".actions[1].parameters (kill_process): unknown key "grace_period_seconds" (known: signal)',
      '12:30 response rule "a".actions[1].parameters.signal must be one of SIGKILL, SIGTERM',
      '13:9 response rule "a".actions[2]: label_pod needs parameters.labels or parameters.annotations',
      '14:5 rules[1]: name is required',
      '15:14 response rule 1: actions must list at least one action',
    ]);
  });

  it('rejects a YAML syntax error, invalid label keys, a notify without a webhook and a missing match', () => {
    expect(problems('rules:\n  - name: a\n    name: b\n')).toEqual(['3:5 Map keys must be unique']);
    expect(
      problems(`rules:
  - name: l
    match: {rules: [x]}
    actions:
      - action: label_pod
        parameters: {labels: {"bad key!": "v"}}
      - action: notify
  - name: m
    actions: [{action: kill_process}]
`),
    ).toEqual([
      '6:31 response rule "l".actions[0].parameters.labels: "bad key!" is not a valid label key',
      '8:5 response rule "m": match is required (use match: {rules: ["*"]} to match every alert)',
      '1:1 response rule "l" (responses.yaml:2:5) uses notify but webhook.url is not set',
    ]);
  });

  it('reads capture parameters (relative path_prefix against the file) and defaults them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-responses-'));
    const cfg = parseResponses(
      `rules:
  - name: record
    match: {rules: ["*"]}
    actions:
      - action: capture
        parameters: {duration_seconds: 30, path_prefix: forensics, max_size_mb: 8}
      - action: capture
`,
      'responses.yaml',
      dir,
    );
    const [given, defaults] = cfg.rules[0]!.actions;
    expect([given!.duration_seconds, given!.path_prefix, given!.max_size_mb]).toEqual([30, join(dir, 'forensics'), 8]);
    expect([defaults!.duration_seconds, defaults!.path_prefix, defaults!.max_size_mb]).toEqual([10, '/tmp/kestrel_response', 100]);
  });

  it('reports bad capture parameters at their line and column', () => {
    expect(
      problems(`rules:
  - name: c
    match: {rules: [x]}
    actions:
      - action: capture
        parameters: {duration_seconds: 0, max_size_mb: 0, signal: SIGTERM}
      - action: capture
        parameters: {duration_seconds: 7200, path_prefix: /nonexistent/dir/cap}
      - action: capture
        parameters: {path_prefix: /tmp/, max_size_mb: lots}
`),
    ).toEqual([
      '6:59 response rule "c".actions[0].parameters (capture): unknown key "signal" (known: duration_seconds, path_prefix, max_size_mb)',
      '6:40 response rule "c".actions[0].parameters.duration_seconds must be a number from 1 to 3600',
      '6:56 response rule "c".actions[0].parameters.max_size_mb must be a number from 1 to 102400',
      '8:40 response rule "c".actions[1].parameters.duration_seconds must be a number from 1 to 3600',
      '8:59 response rule "c".actions[1].parameters.path_prefix: directory /nonexistent/dir does not exist',
      '10:55 response rule "c".actions[2].parameters.max_size_mb must be a number from 1 to 102400',
      '10:35 response rule "c".actions[2].parameters.path_prefix "/tmp/" must end in a file name prefix (e.g. /var/lib/kestrel/captures/response)',
    ]);
  });

  it('says which file could not be read', async () => {
    await expect(loadResponses('/nonexistent/responses.yaml')).rejects.toThrow(/^\/nonexistent\/responses.yaml:0:0: cannot read the responses file/);
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-responses-'));
    writeFileSync(join(dir, 'r.yaml'), 'rules: 3\n');
    await expect(loadResponses(join(dir, 'r.yaml'))).rejects.toThrow(`${join(dir, 'r.yaml')}:1:8: rules must be a list`);
  });

  it('ships config/responses.yaml valid and in dry run, named by config/kestrel.yaml', async () => {
    const root = join(import.meta.dirname, '../..');
    const agent = configFrom(parse(readFileSync(join(root, 'config/kestrel.yaml'), 'utf8')), join(root, 'config'));
    expect(agent.responses_file).toBe(join(root, 'config/responses.yaml'));
    const shipped = await loadResponses(agent.responses_file);
    expect(shipped.dry_run).toBe(true);
    expect(shipped.kill_switch).toBe(false);
    expect(shipped.rules.length).toBeGreaterThan(0);
  });
});
