// Changing earlier rules from later files: `override` (append/replace per key, as Falco allows),
// legacy `append: true`, and enabling/disabling rules across files.
import { describe, expect, it } from 'vitest';
import { audit, errorCodes, fired, k8sRule, load, warningCodes, where, yaml } from './helpers.js';

const base = k8sRule('r', 'ka.verb = get', '  tags: [a, b]\n');
const get = (username: string) => audit({ verb: 'get', user: { username } });

describe('override: append', () => {
  it('appends condition, output and desc with a space, and unites tags', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          condition: and ka.user.name = alice
          output: (appended)
          desc: more words
          tags: [c, a]
          override:
            condition: append
            output: append
            desc: append
            tags: append
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]).toMatchObject({
      conditionText: 'ka.verb = get and ka.user.name = alice',
      output: 'r user=%ka.user.name (appended)',
      desc: 'r more words',
      tags: ['a', 'b', 'c'],
    });
    expect(fired(r, get('alice'))).toEqual(['r']);
    expect(fired(r, get('bob'))).toEqual([]);
  });

  it('appends condition and exceptions with the legacy `append: true`, ignoring other keys, with a deprecation warning', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          append: true
          condition: and ka.user.name = alice
          output: ignored
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]).toMatchObject({ conditionText: 'ka.verb = get and ka.user.name = alice', output: 'r user=%ka.user.name' });
    expect(warningCodes(r)).toEqual(['deprecated-item']);
  });

  it('maps an error in appended condition text to the appending file', () => {
    const r = load([base, '- rule: r\n  condition: and ka.verb = )\n  override:\n    condition: append\n']);
    expect(errorCodes(r)).toEqual(['condition-syntax']);
    expect(where(r.errors[0])).toBe('file2.yaml:2:28');
  });
});

describe('override: replace', () => {
  it('replaces condition, output, desc, priority, tags, enabled, warn_evttypes, skip-if-unknown-filter, capture, capture_duration', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          condition: ka.verb = delete
          output: replaced %ka.verb
          desc: new desc
          priority: critical
          tags: [z]
          enabled: false
          warn_evttypes: false
          skip-if-unknown-filter: true
          capture: true
          capture_duration: 10
          override:
            condition: replace
            output: replace
            desc: replace
            priority: replace
            tags: replace
            enabled: replace
            warn_evttypes: replace
            skip-if-unknown-filter: replace
            capture: replace
            capture_duration: replace
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]).toMatchObject({
      conditionText: 'ka.verb = delete',
      output: 'replaced %ka.verb',
      desc: 'new desc',
      priority: 'Critical',
      tags: ['z'],
      enabled: false,
      warnEvttypes: false,
      skipIfUnknownFilter: true,
      capture: true,
      captureDuration: 10,
    });
  });

  it('can append some keys and replace others in one item', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          condition: or ka.verb = list
          priority: ERROR
          override:
            condition: append
            priority: replace
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]).toMatchObject({ conditionText: 'ka.verb = get or ka.verb = list', priority: 'Error' });
  });
});

describe('enabling and disabling across files', () => {
  it('enables a disabled rule with `enabled: replace`, or the deprecated `- rule: X / enabled: true`', () => {
    const off = k8sRule('a', 'ka.verb = get', '  enabled: false\n') + k8sRule('b', 'ka.verb = get', '  enabled: false\n');
    const r = load([
      off,
      '- rule: a\n  enabled: true\n  override:\n    enabled: replace\n',
      '- rule: b\n  enabled: true\n',
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules.map((s) => s.enabled)).toEqual([true, true]);
    expect(fired(r, get('x'))).toEqual(['a', 'b']);
    expect(warningCodes(r)).toEqual(['deprecated-item']);
    expect(where(r.warnings[0])).toBe('file3.yaml:1:3');
  });

  it('disables a rule from a later file, the last word winning', () => {
    const r = load([base, '- rule: r\n  enabled: false\n', '- rule: r\n  enabled: true\n', '- rule: r\n  enabled: false\n']);
    expect(r.rules[0]!.enabled).toBe(false);
    expect(fired(r, get('x'))).toEqual([]);
  });
});

describe('override errors', () => {
  const cases: Array<[string, string, string, string, string]> = [
    ['appending to a key that can only be replaced', 'priority: INFO\n  override:\n    priority: append', 'bad-override', "Key 'priority' cannot be appended to, use 'replace' instead", '4:5'],
    ['replacing a key that cannot be replaced', 'source: syscall\n  override:\n    source: replace', 'bad-override', "Key 'source' cannot be replaced", '4:5'],
    [
      'an unknown operation',
      'condition: x\n  override:\n    condition: merge',
      'bad-override',
      "Invalid override operation for key 'condition': 'merge'. Allowed values are: append replace ",
      '4:16',
    ],
    ['an override of a key the item lacks', 'condition: and x\n  override:\n    output: append', 'override-mismatch', "An append override for 'output' was specified but 'output' is not defined", '1:3'],
    [
      'a key without its override entry',
      'condition: and x\n  output: y\n  override:\n    condition: append',
      'override-mismatch',
      "Unexpected key 'output': no corresponding entry under 'override' is defined.",
      '3:3',
    ],
    [
      'override together with append: true',
      'condition: and x\n  append: true\n  override:\n    condition: append',
      'override-append-conflict',
      "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
      '1:3',
    ],
    ['an override that is not a mapping', 'condition: and x\n  override: append', 'bad-override', "Value of 'override' must be a mapping of keys to append or replace", '3:13'],
  ];
  for (const [what, body, code, message, pos] of cases) {
    it(`reports ${what}`, () => {
      const r = load([base, `- rule: r\n  ${body}\n`]);
      expect(errorCodes(r)).toEqual([code]);
      expect(r.errors[0]!.message).toBe(message);
      expect(where(r.errors[0])).toBe(`file2.yaml:${pos}`);
      expect(r.errors[0]!.item).toEqual({ type: 'rule', name: 'r' });
    });
  }

  it('reports appending to, replacing in or enabling a rule that does not exist', () => {
    const r = load([
      '- rule: ghost\n  condition: and x\n  override:\n    condition: append\n',
      '- rule: ghost\n  priority: INFO\n  override:\n    priority: replace\n',
      '- rule: ghost\n  condition: and x\n  append: true\n',
      '- rule: ghost\n  enabled: true\n',
      '- list: ghost\n  items: [a]\n  append: true\n',
      '- macro: ghost\n  condition: and x\n  override:\n    condition: append\n',
    ]);
    expect(errorCodes(r)).toEqual(['no-previous-rule', 'no-previous-rule', 'no-previous-rule', 'no-previous-rule', 'no-previous-list', 'no-previous-macro']);
    expect(r.errors.map(where)).toEqual(['file1.yaml:1:3', 'file2.yaml:1:3', 'file3.yaml:1:3', 'file4.yaml:1:3', 'file5.yaml:1:3', 'file6.yaml:1:3']);
  });
});
