// Every key a rule accepts (Falco's rule_loader_reader.cpp), with Falco's defaults and decoding.
import { describe, expect, it } from 'vitest';
import { audit, errorCodes, fired, k8sRule, load, posOf, warningCodes, where, yaml } from './helpers.js';

describe('rule keys', () => {
  it('reads name, desc, condition, output (trimmed), priority, source, tags and the defaults', () => {
    const r = load(yaml`
      - rule: Secret read
        desc: >
          Someone read a secret.
        condition: ka.verb = get and ka.target.resource = secrets
        output: "  secret read by %ka.user.name  "
        priority: warning
        source: k8s_audit
        tags: [k8s, mitre_credential_access, k8s]
    `);
    expect(r.errors).toEqual([]);
    const s = r.rules[0]!;
    expect(s).toMatchObject({
      name: 'Secret read',
      desc: 'Someone read a secret.\n',
      output: 'secret read by %ka.user.name',
      priority: 'Warning',
      source: 'k8s_audit',
      tags: ['k8s', 'mitre_credential_access'],
      enabled: true,
      warnEvttypes: true,
      skipIfUnknownFilter: false,
      capture: false,
    });
    expect(s.captureDuration).toBeUndefined();
    expect(s.location).toEqual({ file: 'rules.yaml', line: 1, column: 3 });
    expect(s.outputLocation).toEqual({ file: 'rules.yaml', line: 5, column: 14 });
    const [alert] = r.ruleset.evaluate(audit({ verb: 'get', user: { username: 'eve' }, objectRef: { resource: 'secrets' } }), 'k8s_audit');
    expect(alert).toMatchObject({ rule: 'Secret read', priority: 'Warning', output: expect.stringMatching(/ Warning secret read by eve$/), tags: ['k8s', 'mitre_credential_access'] });
  });

  it('accepts the 8 priorities in any case, and `info` for Informational', () => {
    const names = ['EMERGENCY', 'alert', 'Critical', 'error', 'WaRnInG', 'notice', 'INFORMATIONAL', 'info', 'Debug'];
    const r = load(names.map((p, i) => k8sRule(`r${i}`, 'ka.verb = get', `  priority: ${p}\n`).replace('  priority: WARNING\n', '')).join(''));
    expect(r.errors).toEqual([]);
    expect(r.rules.map((s) => s.priority)).toEqual([
      'Emergency',
      'Alert',
      'Critical',
      'Error',
      'Warning',
      'Notice',
      'Informational',
      'Informational',
      'Debug',
    ]);
  });

  it('rejects other priority names, pointing at the value', () => {
    const text = k8sRule('r', 'ka.verb = get').replace('WARNING', 'warn');
    const r = load(text);
    expect(errorCodes(r)).toEqual(['bad-priority']);
    expect(r.errors[0]!.message).toBe("Invalid priority 'warn'");
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'warn'));
  });

  it('defaults the source to syscall, and skips a rule of an unknown source with a warning', () => {
    const r = load(yaml`
      - rule: sys
        desc: d
        condition: evt.type = execve and proc.name = nc
        output: "nc started %proc.cmdline"
        priority: NOTICE
      - rule: cloud
        desc: d
        condition: ct.name = CreateUser
        output: x
        priority: NOTICE
        source: aws_cloudtrail
    `);
    expect(r.errors).toEqual([]);
    expect(r.rules.map((s) => [s.name, s.source])).toEqual([['sys', 'syscall']]);
    expect(warningCodes(r)).toEqual(['unknown-source']);
    expect(r.warnings[0]!.message).toBe('Unknown source aws_cloudtrail, skipping');
    expect(r.warnings[0]!.item).toEqual({ type: 'rule', name: 'cloud' });
  });

  it('keeps a disabled rule compiled but out of evaluation', () => {
    const r = load(k8sRule('off', 'ka.verb = get', '  enabled: false\n') + k8sRule('on', 'ka.verb = get', '  enabled: yes\n'));
    expect(r.errors).toEqual([]);
    expect(r.rules.map((s) => [s.name, s.enabled])).toEqual([
      ['off', false],
      ['on', true],
    ]);
    expect(fired(r, audit({ verb: 'get' }))).toEqual(['on']);
  });

  it('warns about a syscall rule without evt.type restriction unless warn_evttypes is false', () => {
    const rule = (name: string, extra: string) =>
      `- rule: ${name}\n  desc: d\n  condition: proc.name = nc\n  output: "%proc.name"\n  priority: INFO\n${extra}`;
    const r = load(rule('noisy', '') + rule('quiet', '  warn_evttypes: false\n'));
    expect(r.errors).toEqual([]);
    expect(warningCodes(r)).toEqual(['no-evttype']);
    expect(r.warnings[0]).toMatchObject({
      message: 'Rule matches too many evt.type values. This has a significant performance penalty.',
      item: { type: 'rule', name: 'noisy' },
      line: 1,
      column: 3,
    });
  });

  it('skips a rule with an unknown field when skip-if-unknown-filter is true, with a warning', () => {
    const text = yaml`
      ${k8sRule('future', 'ka.verb = get and ka.shiny.new = x', '  skip-if-unknown-filter: true\n')}
      ${k8sRule('now', 'ka.verb = get and ka.shiny.new = x')}
    `;
    const r = load(text);
    expect(warningCodes(r)).toEqual(['unknown-filter']);
    expect(where(r.warnings[0])).toBe(posOf('rules.yaml', text, 'ka.shiny.new'));
    expect(errorCodes(r)).toEqual(['unknown-field']);
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'ka.shiny.new', 1));
    expect(r.rules).toEqual([]);
  });

  it('records capture and capture_duration', () => {
    const r = load(k8sRule('cap', 'ka.verb = get', '  capture: true\n  capture_duration: 5000\n'));
    expect(r.errors).toEqual([]);
    expect(r.rules[0]).toMatchObject({ capture: true, captureDuration: 5000 });
  });

  it('replaces a rule defined again, keeping its place in the order', () => {
    const r = load([k8sRule('a', 'ka.verb = get') + k8sRule('b', 'ka.verb = get'), k8sRule('a', 'ka.verb = list')]);
    expect(r.errors).toEqual([]);
    expect(r.rules.map((s) => [s.name, s.conditionText])).toEqual([
      ['a', 'ka.verb = list'],
      ['b', 'ka.verb = get'],
    ]);
  });

  it('rejects a rule defined again with a different source', () => {
    const r = load([k8sRule('a', 'ka.verb = get'), '- rule: a\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n']);
    expect(errorCodes(r)).toEqual(['rule-source-changed']);
    expect(where(r.errors[0])).toBe('file2.yaml:1:3');
  });
});
