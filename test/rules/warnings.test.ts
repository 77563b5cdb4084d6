// Falco's load warnings: unused macros and lists, unknown items and keys, deprecated forms,
// invalid names, unsafe <NA> comparisons. A warning never stops the load.
import { describe, expect, it } from 'vitest';
import { k8sRule, load, posOf, warningCodes, where, yaml } from './helpers.js';

describe('load warnings', () => {
  it('warns about macros and lists no rule or macro refers to (counting uses inside unused macros and lists)', () => {
    const text = yaml`
      - list: used_by_list
        items: [a]
      - list: unused_list
        items: [used_by_list]
      - list: used
        items: [x]
      - macro: inner
        condition: ka.user.name in (used)
      - macro: unused_macro
        condition: inner
      ${k8sRule('r', 'ka.verb = get')}
    `;
    const r = load(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.item?.name, where(w)])).toEqual([
      ['unused-macro', 'unused_macro', posOf('rules.yaml', text, 'macro: unused_macro')],
      ['unused-list', 'unused_list', posOf('rules.yaml', text, 'list: unused_list')],
    ]);
    expect(r.warnings[0]!.message).toBe('Macro not referred to by any other rule/macro');
    expect(r.warnings[0]!.falcoCode).toBe('LOAD_UNUSED_MACRO');
  });

  it('counts lists and macros used by disabled rules as used', () => {
    const r = load(yaml`
      - list: l
        items: [a]
      - macro: m
        condition: ka.user.name in (l)
      ${k8sRule('r', 'm', '  enabled: false\n')}
    `);
    expect(r.warnings).toEqual([]);
  });

  it('warns about unknown top-level items and unknown keys, and keeps loading', () => {
    const text = yaml`
      - something: else
      ${k8sRule('r', 'ka.verb = get', '  priorty: INFO\n  exceptions:\n    - name: e\n      fields: ka.user.name\n      value: [a]\n')}
    `;
    const r = load(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.message, where(w)])).toEqual([
      ['unknown-item', 'Unknown top level item', 'rules.yaml:1:3'],
      ['unknown-key', "Unknown key 'priorty': it is ignored", posOf('rules.yaml', text, 'priorty')],
      ['unknown-key', "Unknown key 'value': it is ignored", posOf('rules.yaml', text, 'value:')],
    ]);
    expect(r.rules).toHaveLength(1);
  });

  it('warns about a repeated key and uses the first value, as yaml-cpp does', () => {
    const text = k8sRule('r', 'ka.verb = get', '  priority: DEBUG\n');
    const r = load(text);
    expect(r.errors).toEqual([]);
    expect(warningCodes(r)).toEqual(['duplicate-key']);
    expect(where(r.warnings[0])).toBe(posOf('rules.yaml', text, 'priority: DEBUG'));
    expect(r.rules[0]!.priority).toBe('Warning');
  });

  it('warns about deprecated forms: append: true, the standalone enabled key, %container.info', () => {
    const r = load([
      k8sRule('r', 'ka.verb = get') + k8sRule('c', 'ka.verb = get').replace('"c user', '"c %container.info user'),
      '- rule: r\n  condition: or ka.verb = list\n  append: true\n- rule: r\n  enabled: false\n',
    ]);
    expect(r.errors).toEqual([]);
    expect(warningCodes(r)).toEqual(['deprecated-item', 'deprecated-item', 'deprecated-item']);
    expect(r.warnings.map((w) => w.message)).toEqual([
      "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
      "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').",
      expect.stringMatching(/^%container.info is deprecated/),
    ]);
    expect(r.rules[1]!.output).toBe('c  user=%ka.user.name');
  });

  it('warns about list and macro names the condition syntax cannot use', () => {
    const r = load('- list: "bad name"\n  items: []\n- macro: 9lives\n  condition: ka.verb = get\n');
    expect(warningCodes(r).slice(0, 2)).toEqual(['invalid-list-name', 'invalid-macro-name']);
  });

  it('warns about comparing ka.*/jevt.* fields with <NA>', () => {
    const r = load(k8sRule('na', 'ka.target.namespace = "<NA>"') + k8sRule('fine', 'ka.target.namespace exists'));
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, w.item?.name])).toEqual([['unsafe-na-check', 'na']]);
  });

  it('warns about fields Falco deprecated (evt.dir, evt.latency...), in conditions and outputs', () => {
    const text = '- rule: r\n  desc: d\n  condition: evt.type = open and evt.dir = <\n  output: "took %evt.latency"\n  priority: INFO\n';
    const r = load(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, where(w)])).toEqual([
      ['deprecated-field', posOf('rules.yaml', text, 'evt.dir')],
      ['deprecated-field', posOf('rules.yaml', text, 'evt.latency')],
    ]);
    expect(r.warnings[0]!.message).toMatch(/^usage of deprecated field 'evt.dir' has been detected in the rule condition: due to the drop of enter events/);
  });

  it('passes on the compiler\'s warnings with their place', () => {
    const text = '- rule: r\n  desc: d\n  condition: evt.type = no_such_event or evt.type = open\n  output: o\n  priority: INFO\n';
    const r = load(text);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.code, where(w)])).toEqual([['compile-warning', posOf('rules.yaml', text, 'no_such_event')]]);
  });
});
