// Property-based tests of the rules loader: rules files built from random lists, macros and rules
// (names drawn from a small pool, so that items refer to, override and loop through each other),
// with random conditions, exceptions and keys, then serialised as YAML and, for some, damaged
// byte-wise. Whatever the input, loading ends with a result (never an exception), every error
// names its file:line:col, and the rules that loaded evaluate an event without throwing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRulesFromText } from '../../src/index.js';
import { audit } from '../rules/helpers.js';
import { fuzzParams, fuzzTimeout } from './fuzz-budget.js';

// per property (two here): with the parser fuzz, about 15 s of npm test
const BUDGET_MS = 5000;

const NAME = fc.constantFrom('m0', 'm1', 'm2', 'l0', 'l1', 'r0', 'r1', 'm0', 'l0', 'r0', 'weird name', 'm0 and', '');
const FIELD = fc.constantFrom('ka.verb', 'ka.user.name', 'ka.target.resource', 'ka.req.pod.containers.privileged', 'ka.uri.param[x]', 'jevt.value[/a/b]', 'ka.nosuch', 'proc.name', 'tolower(ka.verb)', 'ka.useragent');
const OP = fc.constantFrom('=', '!=', 'in', 'intersects', 'contains', 'startswith', 'glob', 'regex', 'pmatch', '<', 'exists', 'in oneof', 'bcontains');
const VALUE = fc.oneof(fc.constantFrom('create', '"(a+)+$"', '(l0)', '(m0, "x")', '(l0, l1)', 'val(ka.verb)', '"(?=x)"', '"[z-a]"', '1', 'true', '<NA>', '(', '""'), fc.string({ maxLength: 8 }));

const CONDITION: fc.Arbitrary<string> = fc.letrec((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(FIELD, OP, VALUE).map(([f, o, v]) => (o === 'exists' ? `${f} exists` : `${f} ${o} ${v}`)),
    NAME,
    fc.tuple(tie('cond'), fc.constantFrom(' and ', ' or ', ' '), tie('cond')).map(([a, op, b]) => `${a}${op}${b}`),
    tie('cond').map((c) => `not (${c})`),
    tie('cond').map((c) => `(${c})`),
    fc.string({ maxLength: 20 }),
  ) as fc.Arbitrary<string>,
})).cond;

const EXCEPTION = fc.record(
  { name: NAME, fields: fc.oneof(fc.array(FIELD, { maxLength: 3 }), FIELD), comps: fc.oneof(fc.array(OP, { maxLength: 3 }), OP), values: fc.array(fc.oneof(fc.array(VALUE, { maxLength: 3 }), VALUE), { maxLength: 3 }) },
  { requiredKeys: ['name'] },
);

/** Mostly false: an append needs an earlier item of the name. */
const RARELY = fc.constantFrom(false, false, false, true);

const RULE_KEYS = {
  rule: NAME,
  desc: fc.oneof({ weight: 4, arbitrary: fc.constant('d') }, fc.string({ maxLength: 10 })),
  condition: CONDITION,
  output: fc.oneof(fc.constantFrom('%ka.verb by %ka.user.name', '%json.obj', '%nosuch.field', '%', 'plain'), fc.string({ maxLength: 10 })),
  priority: fc.constantFrom('WARNING', 'INFO', 'critical', 'WARNING', 'bogus'),
  source: fc.constantFrom('k8s_audit', 'k8s_audit', 'syscall', 'nosuch'),
  enabled: fc.boolean(),
  exceptions: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, fc.array(EXCEPTION, { maxLength: 2 })),
  append: RARELY,
  tags: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 2 }),
};

const ITEM = fc.oneof(
  fc.record({ list: NAME, items: fc.array(fc.oneof(VALUE, NAME), { maxLength: 6 }), append: RARELY }, { requiredKeys: ['list', 'items'] }),
  fc.record({ macro: NAME, condition: CONDITION, append: RARELY, override: fc.constant({ condition: 'append' }) }, { requiredKeys: ['macro', 'condition'] }),
  // rules with every key Falco requires, and rules missing some
  { weight: 4, arbitrary: fc.record(RULE_KEYS, { requiredKeys: ['rule', 'desc', 'condition', 'output', 'priority', 'source'] }) },
  fc.record(RULE_KEYS, { requiredKeys: ['rule'] }),
  { weight: 1, arbitrary: fc.oneof(fc.record({ required_engine_version: fc.oneof(fc.constantFrom('0.31.0', '99.0.0', 'x'), fc.integer()) }), fc.anything({ maxDepth: 3 })) },
);

/** Items of the right shape with sound names: what varies is the conditions, lists and exceptions. */
const WELL_FORMED_ITEM = fc.oneof(
  fc.record({ list: fc.constantFrom('l0', 'l1'), items: fc.array(fc.oneof(VALUE, fc.constantFrom('l0', 'l1')), { maxLength: 6 }) }),
  fc.record({ macro: fc.constantFrom('m0', 'm1', 'm2'), condition: CONDITION }),
  {
    weight: 2,
    arbitrary: fc.record({
      rule: fc.constantFrom('r0', 'r1', 'r2'),
      desc: fc.constant('d'),
      condition: CONDITION,
      output: fc.constantFrom('%ka.verb by %ka.user.name', '%json.obj', 'plain %ka.req.pod.containers.image'),
      priority: fc.constantFrom('WARNING', 'INFO'),
      source: fc.constant('k8s_audit'),
      exceptions: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, fc.array(EXCEPTION, { maxLength: 2 })),
    }),
  },
);

/** A rules text: YAML of random items, sometimes with a few bytes changed, dropped or duplicated. */
const rulesText = (item: fc.Arbitrary<unknown>) => fc
  .tuple(
    fc.array(item, { maxLength: 12 }),
    // a quarter of the texts damaged: a YAML error rejects the whole file, as in Falco
    fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('drop', 'dup', 'insert'), fc.constantFrom('"', "'", ':', '-', '\n', ' ', '[', '{', '&a', '*a', '!!binary', '#', '\t', '%')), { minLength: 1, maxLength: 2 }),
    ),
  )
  .map(([items, edits]) => {
    let text = stringify(items);
    for (const [n, kind, s] of edits) {
      const i = text.length === 0 ? 0 : n % text.length;
      text = kind === 'drop' ? text.slice(0, i) + text.slice(i + 1) : kind === 'dup' ? text.slice(0, i) + text.slice(i, i + 20) + text.slice(i) : text.slice(0, i) + s + text.slice(i);
    }
    return text;
  });

const EVENT = audit({ verb: 'create', user: { username: 'u' }, userAgent: 'a'.repeat(30) + '!', objectRef: { resource: 'pods' } });

function loadsCleanly(texts: string[]): boolean {
  const r = loadRulesFromText(texts.map((content, i) => ({ name: `f${i}.yaml`, content })), { ruleMatching: 'all', hostname: 'h' });
  for (const d of r.errors) {
    expect(d.file, `${d.code}: ${d.message}`).toMatch(/^f[01]\.yaml$/);
    expect(d.line, `${d.code}: ${d.message}`).toBeGreaterThanOrEqual(1);
    expect(d.column, `${d.code}: ${d.message}`).toBeGreaterThanOrEqual(1);
  }
  const rules = r.ruleset.forSource('k8s_audit');
  rules?.evaluate(EVENT); // a rule that throws is counted (evaluationErrors), never thrown
  return (rules?.rules.length ?? 0) > 0;
}

describe('rules loader (fuzz)', () => {
  for (const [what, item, minLoaded] of [
    ['any items, some files damaged', ITEM, 0],
    ['well-formed items with random conditions, lists and exceptions', WELL_FORMED_ITEM, 1],
  ] as const) {
    it(`ends every load with a result whose errors name file:line:col, and the loaded rules evaluate (${what})`, { timeout: fuzzTimeout(BUDGET_MS) }, () => {
      let runs = 0;
      let loadedSome = 0;
      fc.assert(
        fc.property(fc.array(rulesText(item), { minLength: 1, maxLength: 2 }), (texts) => {
          runs++;
          if (loadsCleanly(texts)) loadedSome++;
        }),
        fuzzParams(1000, BUDGET_MS),
      );
      expect(runs).toBeGreaterThan(20);
      // the inputs reach the compiler and the evaluator, not only the YAML checks
      expect(loadedSome).toBeGreaterThanOrEqual(minLoaded ? Math.ceil(runs / 20) : 0);
    });
  }
});
