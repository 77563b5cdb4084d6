// Malformed rules: each input produces the right error code at the right file:line:col, names
// the item, and the rest of the file still loads.
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/index.js';
import { errorCodes, k8sRule, load, posOf, where, yaml } from './helpers.js';

interface Case {
  what: string;
  text: string;
  code: string;
  /** The error's place: the first occurrence of this text, or `line:col`. */
  at: string | { marker: string; nth?: number };
  item?: { type: string; name?: string };
  message?: string | RegExp;
}

const good = k8sRule('good', 'ka.verb = get');

const cases: Case[] = [
  { what: 'invalid YAML (unclosed flow sequence)', text: '- list: a\n  items: [x, y\n- list: b\n  items: []\n', code: 'yaml-parse', at: '3:1' },
  { what: 'invalid YAML (bad indentation)', text: '- rule: a\n  desc: d\n   condition: x\n', code: 'yaml-parse', at: '2:9' },
  { what: 'a mapping at top level', text: 'rule: a\ndesc: d\n', code: 'not-a-list', at: '1:1', message: 'Rules content is not yaml array of objects' },
  { what: 'plain text, not YAML rules', text: 'hello, this is not rules\n', code: 'not-yaml', at: '1:1', message: 'Rules content is not yaml' },
  { what: 'an item that is a string', text: `${good}- just text\n`, code: 'item-not-mapping', at: { marker: 'just text' } },
  { what: 'an item that is a sequence', text: `${good}- [a, b]\n`, code: 'item-not-mapping', at: { marker: '[a, b]' } },
  {
    what: 'a rule without condition',
    text: `${good}- rule: broken\n  desc: d\n  output: o\n  priority: INFO\n`,
    code: 'missing-key',
    at: { marker: 'rule: broken' },
    item: { type: 'rule', name: 'broken' },
    message: "Item has no mapping for key 'condition'",
  },
  {
    what: 'a rule without output',
    text: `- rule: broken\n  desc: d\n  condition: ka.verb = get\n  priority: INFO\n  source: k8s_audit\n${good}`,
    code: 'missing-key',
    at: '1:3',
    message: "Item has no mapping for key 'output'",
  },
  { what: 'a rule with an empty condition', text: `- rule: broken\n  desc: d\n  condition:\n  output: o\n  priority: INFO\n`, code: 'empty-value', at: '3:3' },
  { what: 'a condition that is a mapping', text: `- rule: broken\n  desc: d\n  condition: {a: b}\n  output: o\n  priority: INFO\n`, code: 'not-scalar', at: '3:14' },
  { what: 'an empty rule name', text: `- rule: ""\n  desc: d\n`, code: 'empty-value', at: '1:9' },
  { what: 'a bad priority', text: k8sRule('broken', 'ka.verb = get').replace('WARNING', 'SEVERE'), code: 'bad-priority', at: { marker: 'SEVERE' }, item: { type: 'rule', name: 'broken' } },
  { what: 'enabled that is not a boolean', text: k8sRule('broken', 'ka.verb = get', '  enabled: maybe\n'), code: 'wrong-type', at: { marker: 'maybe' } },
  { what: 'capture_duration that is not an integer', text: k8sRule('broken', 'ka.verb = get', '  capture_duration: soon\n'), code: 'wrong-type', at: { marker: 'soon' } },
  { what: 'tags that are not a sequence', text: k8sRule('broken', 'ka.verb = get', '  tags: k8s\n'), code: 'not-sequence', at: { marker: 'k8s\n' } },
  { what: 'a tag that is a mapping', text: k8sRule('broken', 'ka.verb = get', '  tags: [a, {b: c}]\n'), code: 'not-scalar', at: { marker: '{b: c}' } },
  { what: 'a list without items', text: `- list: l\n`, code: 'missing-key', at: '1:3', item: { type: 'list', name: 'l' } },
  { what: 'list items that are not a sequence', text: `- list: l\n  items: a, b\n`, code: 'not-sequence', at: '2:10' },
  { what: 'a macro without condition', text: `- macro: m\n  items: [a]\n`, code: 'missing-key', at: '1:3', item: { type: 'macro', name: 'm' } },
  {
    what: 'a condition syntax error (plain scalar)',
    text: k8sRule('broken', 'ka.verb = get and (ka.user.name = x'),
    code: 'condition-syntax',
    at: '3:49', // just after the condition's last character
    message: /expected .* but found end of condition/,
  },
  {
    what: 'a condition syntax error on the 3rd line of a folded block',
    text: yaml`
      - rule: broken
        desc: d
        condition: >
          ka.verb = get
          and ka.user.name = x
          and or ka.verb = list
        output: o
        priority: INFO
        source: k8s_audit
    `,
    code: 'condition-syntax',
    at: { marker: 'ka.verb = list' },
  },
  {
    what: 'a condition syntax error in a double-quoted scalar with escapes',
    text: `- rule: broken\n  desc: d\n  condition: "ka.user.name = \\"a b\\" and = x"\n  output: o\n  priority: INFO\n  source: k8s_audit\n`,
    code: 'condition-syntax',
    at: { marker: '= x"' },
  },
  { what: 'an unknown field', text: k8sRule('broken', 'ka.verb = get and ka.no.such.field = x'), code: 'unknown-field', at: { marker: 'ka.no.such.field' } },
  { what: 'an operator the field type does not support', text: k8sRule('broken', 'ka.verb bcontains 41'), code: 'operator-type', at: { marker: 'ka.verb bcontains' } },
  {
    what: 'an unknown field in the output',
    text: k8sRule('broken', 'ka.verb = get').replace('user=%ka.user.name', 'user=%ka.user.nam3'),
    code: 'output-unknown-field',
    at: { marker: 'ka.user.nam3' },
  },
  { what: 'an undefined macro', text: k8sRule('broken', 'ka.verb = get and not trusted_user'), code: 'undefined-macro', at: { marker: 'trusted_user' } },
  {
    what: 'a macro reference loop',
    text: yaml`
      - macro: a
        condition: ka.verb = get
      - macro: a
        condition: ka.verb = list or a
    `,
    code: 'macro-cycle',
    at: { marker: 'a\n', nth: 2 },
    item: { type: 'macro', name: 'a' },
  },
  { what: 'an append to a missing rule', text: `- rule: nope\n  condition: and x\n  append: true\n`, code: 'no-previous-rule', at: '1:3' },
  { what: 'a too recent required_engine_version', text: `- required_engine_version: 1.2.0\n${good}`, code: 'engine-version', at: '1:28' },
  { what: 'an unparseable required_engine_version', text: `- required_engine_version: latest\n`, code: 'bad-engine-version', at: '1:28' },
  {
    what: 'a required plugin Kestrel does not have',
    text: `- required_plugin_versions:\n    - name: cloudtrail\n      version: 0.1.0\n${good}`,
    code: 'plugin-requirement',
    at: '2:7',
    message: /must load one of: cloudtrail \(>= 0\.1\.0\)/,
  },
  { what: 'required_plugin_versions that is not a sequence', text: `- required_plugin_versions: json\n`, code: 'not-sequence', at: '1:29' },
  { what: 'a required plugin version that is not semver', text: `- required_plugin_versions:\n    - name: json\n      version: new\n`, code: 'plugin-version', at: '2:7' },
  {
    what: 'list items that do not read as values',
    text: `- list: l\n  items: [ok, "(oops"]\n${k8sRule('broken', 'ka.verb in (l)')}`,
    code: 'list-item-syntax',
    at: { marker: '(oops' },
    item: { type: 'list', name: 'l' },
  },
  { what: 'exceptions that are not a sequence', text: k8sRule('broken', 'ka.verb = get', '  exceptions: {name: x}\n'), code: 'bad-exception', at: { marker: '{name: x}' } },
];

describe('malformed rules files', () => {
  it(`has at least 25 cases (${cases.length})`, () => expect(cases.length).toBeGreaterThanOrEqual(25));

  for (const c of cases) {
    it(`reports ${c.what}`, () => {
      const r = load(c.text);
      expect(errorCodes(r)[0], JSON.stringify(r.errors)).toBe(c.code);
      const expected = typeof c.at === 'string' ? `rules.yaml:${c.at}` : posOf('rules.yaml', c.text, c.at.marker, c.at.nth);
      expect(where(r.errors[0])).toBe(expected);
      if (c.item) expect(r.errors[0]!.item).toEqual(c.item);
      if (typeof c.message === 'string') expect(r.errors[0]!.message).toBe(c.message);
      else if (c.message) expect(r.errors[0]!.message).toMatch(c.message);
      expect(r.errors[0]!.falcoCode).toMatch(/^LOAD_ERR_/);
    });
  }

  it('reports every error of a load, and still loads the good items', () => {
    const text =
      good +
      k8sRule('e1', 'ka.verb = (') +
      k8sRule('e2', 'ka.nope = 1') +
      k8sRule('e3', 'missing_macro') +
      k8sRule('e4', 'ka.verb = get').replace('WARNING', 'LOUD') +
      '- list: e5\n' +
      k8sRule('good2', 'ka.verb = list');
    const r = load(text);
    expect(errorCodes(r).sort()).toEqual(['bad-priority', 'condition-syntax', 'missing-key', 'undefined-macro', 'unknown-field']);
    expect(r.rules.map((s) => s.name)).toEqual(['good', 'good2']);
  });

  it('reports a path that cannot be read', async () => {
    const r = await loadRules(['/nonexistent/kestrel/rules.yaml']);
    expect(errorCodes(r)).toEqual(['file-read']);
    expect(r.errors[0]!.file).toBe('/nonexistent/kestrel/rules.yaml');
  });
});
