// Rule exceptions: the condition text Falco composes (build_rule_exception_infos), checked
// character for character, and what it means on real events; appending values; bad shapes.
import { describe, expect, it } from 'vitest';
import { audit, errorCodes, fired, k8sRule, load, posOf, warningCodes, where, yaml } from './helpers.js';

const ev = (username: string, namespace = 'default', verb = 'get') =>
  audit({ verb, user: { username }, objectRef: { resource: 'pods', namespace, name: 'p' } });

/** Rule `r` with the given exceptions (a YAML sequence, any common indentation). */
function ruleWith(exceptions: string, condition = 'ka.verb = get'): string {
  const lines = exceptions.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => l.length - l.trimStart().length));
  return k8sRule('r', condition) + '  exceptions:\n' + lines.map((l) => '    ' + l.slice(indent) + '\n').join('');
}

describe('exception condition text, as Falco builds it', () => {
  it('one field: `field in (values)` with the default comp `in`; values with spaces get quotes', () => {
    const r = load(
      ruleWith(`
        - name: users
          fields: ka.user.name
          values: [alice, "bob smith", '"c d"']`),
    );
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (ka.user.name in (alice, "bob smith", "c d"))');
    expect(fired(r, ev('alice'))).toEqual([]);
    expect(fired(r, ev('bob smith'))).toEqual([]);
    expect(fired(r, ev('c d'))).toEqual([]);
    expect(fired(r, ev('carol'))).toEqual(['r']);
  });

  it('several fields: an `or` of `and`ed comparisons, default comp `=` for each field', () => {
    const r = load(
      ruleWith(`
        - name: pairs
          fields: [ka.user.name, ka.target.namespace]
          values:
            - [alice, kube-system]
            - [bob, default]`),
    );
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe(
      '(ka.verb = get) and not (( ka.user.name = alice and  ka.target.namespace = kube-system) or ( ka.user.name = bob and  ka.target.namespace = default))',
    );
    expect(fired(r, ev('alice', 'kube-system'))).toEqual([]);
    expect(fired(r, ev('alice', 'default'))).toEqual(['r']);
    expect(fired(r, ev('bob', 'default'))).toEqual([]);
    expect(fired(r, ev('bob', 'kube-system'))).toEqual(['r']);
  });

  it('explicit comps; an inline list value; a list name as value of a list operator gets parens and expands', () => {
    const r = load(yaml`
      - list: system_namespaces
        items: [kube-system, kube-public]
      ${ruleWith(`
        - name: ex
          fields: [ka.user.name, ka.target.namespace, ka.target.namespace]
          comps: [startswith, in, in]
          values:
            - [sys, [kube-system, "my ns"], system_namespaces]`)}
    `);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe(
      '(ka.verb = get) and not (( ka.user.name startswith sys and  ka.target.namespace in (kube-system, "my ns") and  ka.target.namespace in (system_namespaces)))',
    );
    expect(fired(r, ev('system:node', 'kube-system'))).toEqual([]);
    expect(fired(r, ev('system:node', 'kube-public'))).toEqual(['r']); // not in the inline list
    expect(fired(r, ev('alice', 'kube-system'))).toEqual(['r']);
  });

  it('one exception per `and not` clause, in order; pmatch and intersects as single-field comps', () => {
    const r = load(
      ruleWith(`
        - name: a
          fields: ka.user.name
          values: [alice]
        - name: b
          fields: ka.target.namespace
          comps: pmatch
          values: [kube-system]
        - name: c
          fields: ka.user.groups
          comps: intersects
          values: [admins]`),
    );
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe(
      '(ka.verb = get) and not (ka.user.name in (alice)) and not (ka.target.namespace pmatch (kube-system)) and not (ka.user.groups intersects (admins))',
    );
    expect(fired(r, ev('alice'))).toEqual([]);
    expect(fired(r, ev('carol', 'kube-system'))).toEqual([]);
    expect(fired(r, audit({ verb: 'get', user: { username: 'x', groups: ['devs', 'admins'] } }))).toEqual([]);
    expect(fired(r, audit({ verb: 'get', user: { username: 'x', groups: ['devs'] } }))).toEqual(['r']);
  });

  it('a string operator with a list modifier as comps (Falco 0.44): one field takes the values as the list', () => {
    const r = load(
      ruleWith(`
        - name: system_users
          fields: ka.user.name
          comps: startswith anyof
          values: ["system:", kube-]`),
    );
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (ka.user.name startswith anyof (system:, kube-))');
    expect(fired(r, ev('system:kubelet'))).toEqual([]);
    expect(fired(r, ev('kube-proxy'))).toEqual([]);
    expect(fired(r, ev('alice'))).toEqual(['r']);
  });

  it('a modifier comp among several fields takes its value as a list', () => {
    const r = load(
      ruleWith(`
        - name: ops_in_system_namespaces
          fields: [ka.user.name, ka.target.namespace]
          comps: [=, startswith oneof]
          values:
            - [alice, [kube-, openshift-]]`),
    );
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (( ka.user.name = alice and  ka.target.namespace startswith oneof (kube-, openshift-)))');
    expect(fired(r, ev('alice', 'kube-system'))).toEqual([]);
    expect(fired(r, ev('alice', 'default'))).toEqual(['r']);
  });

  it('refuses a modifier after a list or numeric operator in comps', () => {
    for (const comps of ['in anyof', '"<= oneof"']) {
      const r = load(ruleWith(`
        - name: bad
          fields: ka.user.name
          comps: ${comps}
          values: [a]`));
      expect(errorCodes(r), comps).toEqual(['exception-invalid']);
    }
  });

  it('adds nothing for an exception without values', () => {
    const r = load(
      ruleWith(`
        - name: one
          fields: ka.user.name
          values: []
        - name: many
          fields: [ka.user.name, ka.target.namespace]
          values: []`),
    );
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get)');
  });
});

describe('appending and replacing exceptions', () => {
  const base = ruleWith(`
    - name: users
      fields: ka.user.name
      values: [alice]`);

  it('appends values to an existing exception and adds new exceptions (override append)', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          exceptions:
            - name: users
              values: [bob]
            - name: ns
              fields: ka.target.namespace
              values: [kube-system]
          override:
            exceptions: append
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (ka.user.name in (alice, bob)) and not (ka.target.namespace in (kube-system))');
    expect(fired(r, ev('bob'))).toEqual([]);
    expect(fired(r, ev('carol', 'kube-system'))).toEqual([]);
    expect(fired(r, ev('carol'))).toEqual(['r']);
  });

  it('appends values with the legacy `append: true`', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          append: true
          exceptions:
            - name: users
              values: [bob]
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (ka.user.name in (alice, bob))');
    expect(warningCodes(r)).toEqual(['deprecated-item']);
  });

  it('replaces all exceptions (override replace)', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          exceptions:
            - name: other
              fields: [ka.target.namespace]
              values: [[kube-system]]
          override:
            exceptions: replace
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (( ka.target.namespace = kube-system))');
    expect(fired(r, ev('alice'))).toEqual(['r']);
  });

  it('warns when appending an exception without values, and when a name repeats in one item', () => {
    const r = load([
      base,
      yaml`
        - rule: r
          exceptions:
            - name: users
            - name: users
              values: [bob]
          override:
            exceptions: append
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(warningCodes(r)).toEqual(['append-no-values', 'exception-name-not-unique']);
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (ka.user.name in (alice, bob))');
  });
});

describe('bad exceptions', () => {
  const cases: Array<[string, string, string, string]> = [
    [
      'fields and comps of different lengths',
      `- name: e\n  fields: [ka.user.name, ka.verb]\n  comps: [=]\n  values: [[a, b]]`,
      'exception-invalid',
      'Fields and comps lists must have equal length',
    ],
    [
      'a values entry of the wrong length',
      `- name: e\n  fields: [ka.user.name, ka.verb]\n  values: [[a]]`,
      'exception-invalid',
      'Fields and values lists must have equal length',
    ],
    ['an unknown field', `- name: e\n  fields: [ka.nope]\n  values: [[a]]`, 'exception-invalid', "'ka.nope' is not a supported filter field"],
    [
      'a non-list comp for a single field',
      `- name: e\n  fields: ka.user.name\n  comps: "="\n  values: [a]`,
      'exception-invalid',
      'When fields is a single value, comps must be one of (in, pmatch, intersects)',
    ],
    ['a comps list for a single field', `- name: e\n  fields: ka.user.name\n  comps: [in]\n  values: [a]`, 'exception-invalid', 'Fields and comps must both be strings'],
    ['an unsupported operator', `- name: e\n  fields: [ka.user.name]\n  comps: [like]\n  values: [[a]]`, 'exception-invalid', "'like' is not a supported comparison operator"],
    ['values that are not a sequence', `- name: e\n  fields: ka.user.name\n  values: a`, 'bad-exception', 'Rule exception values must be a sequence'],
    ['a list among single-field values', `- name: e\n  fields: ka.user.name\n  values: [[a]]`, 'exception-invalid', 'Expected values array to contain a list of strings'],
    ['an exception that is not a mapping', `- just a string`, 'bad-exception', 'Rule exception must be a mapping'],
    ['an exception without a name', `- fields: ka.user.name\n  values: [a]`, 'missing-key', "Item has no mapping for key 'name'"],
    ['an exception without fields', `- name: e\n  values: [a]`, 'bad-exception', "Item has no mapping for key 'fields'"],
    ['an empty value', `- name: e\n  fields: ka.user.name\n  values: [""]`, 'empty-value', "Value for key 'values' must be non-empty"],
  ];
  for (const [what, body, code, message] of cases) {
    it(`reports ${what}`, () => {
      const text = ruleWith(body);
      const r = load(text);
      expect(errorCodes(r)).toEqual([code]);
      expect(r.errors[0]!.message).toBe(message);
      expect(r.errors[0]!.item).toEqual({ type: 'rule', name: 'r' });
      expect(r.errors[0]!.line).toBeGreaterThan(6);
      expect(r.rules).toEqual([]);
    });
  }

  it('points at the exception and field at fault', () => {
    const text = ruleWith(`
        - name: good
          fields: ka.user.name
          values: [a]
        - name: bad
          fields: [ka.user.name, ka.nope]
          values: [[a, b]]`);
    const r = load(text);
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'ka.nope'));
  });

  it('rejects appending fields to an existing exception, and a new exception without values', () => {
    const base = ruleWith(`
        - name: users
          fields: ka.user.name
          values: [alice]`);
    const r1 = load([base, yaml`
      - rule: r
        exceptions:
          - name: users
            fields: ka.verb
            values: [bob]
        override:
          exceptions: append
    `]);
    expect(r1.errors.map((d) => d.message)).toEqual(['Can not append exception fields to existing exception, only values']);
    const r2 = load([base, yaml`
      - rule: r
        exceptions:
          - name: brand_new
            fields: ka.verb
        override:
          exceptions: append
    `]);
    expect(r2.errors.map((d) => d.message)).toEqual(['Rule exception must have values property with a list of values']);
    expect(where(r2.errors[0])).toBe('file2.yaml:3:7');
  });
});

describe('exception values are always literals (no condition injection)', () => {
  it('a value written to close the comparison and add `or ka.verb = create` stays one literal user name', () => {
    const r = load(
      ruleWith(
        `
        - name: x
          fields: [ka.user.name]
          values: [['x") or (ka.verb = "create']]`,
        'ka.verb = create',
      ),
    );
    expect(r.errors).toEqual([]);
    expect(fired(r, ev('alice', 'default', 'create'))).toEqual(['r']);
    expect(fired(r, ev('x', 'default', 'create'))).toEqual(['r']);
    expect(fired(r, ev('x") or (ka.verb = "create', 'default', 'create'))).toEqual([]);
  });

  it('a single-field value that would add list items or close the list stays one literal', () => {
    const r = load(
      ruleWith(
        `
        - name: x
          fields: ka.user.name
          values: ['a) or ka.verb in (create', 'b,c']`,
        'ka.verb = create',
      ),
    );
    expect(r.errors).toEqual([]);
    expect(fired(r, ev('alice', 'default', 'create'))).toEqual(['r']);
    expect(fired(r, ev('b', 'default', 'create'))).toEqual(['r']);
    expect(fired(r, ev('a) or ka.verb in (create', 'default', 'create'))).toEqual([]);
    expect(fired(r, ev('b,c', 'default', 'create'))).toEqual([]);
  });

  it('a list-operator value starting with a paren cannot append clauses after the list', () => {
    const r = load(
      ruleWith(
        `
        - name: x
          fields: [ka.user.name]
          comps: [in]
          values: [['(x) or (ka.verb = create)']]`,
        'ka.verb = create',
      ),
    );
    expect(r.errors).toEqual([]);
    expect(fired(r, ev('alice', 'default', 'create'))).toEqual(['r']);
    expect(fired(r, ev('(x) or (ka.verb = create)', 'default', 'create'))).toEqual([]);
  });

  it('shows the escaped literal in the condition text', () => {
    const r = load(
      ruleWith(`
        - name: x
          fields: [ka.user.name]
          values: [['x") or (ka.verb = "create']]`),
    );
    expect(r.rules[0]!.conditionText).toBe('(ka.verb = get) and not (( ka.user.name = "x\\") or (ka.verb = \\"create"))');
  });
});
