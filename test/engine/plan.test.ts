// Per-type plans (plan.ts): a subtree several rules share is computed once per event and never
// carried over to the next one; evt.type checks are settled by the type; a condition that throws
// is counted against its rule and the next rules still run; the generated code holds no rule text.
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCondition } from '../../src/condition/parse.js';
import { compileCondition } from '../../src/engine/compile-rule.js';
import { generateChunk, type Tree } from '../../src/engine/codegen.js';
import { conditionTrees } from '../../src/engine/plan.js';
import { foldEventType } from '../../src/engine/fold.js';
import { RuleSet, type CompiledRule } from '../../src/engine/ruleset.js';
import { ev, extractions, fixtureFields, type FxEvent, EVENT_TYPES } from './fixtures/source.js';
import { rule, src } from './fixtures/helpers.js';
import type { EventSource } from '../../src/engine/event-source.js';

beforeEach(() => extractions.clear());

function ruleset(rules: CompiledRule<FxEvent>[], options = {}, source: EventSource<FxEvent> = src) {
  return new RuleSet(rules, new Map([['fixture', source]]), { hostname: 'h', ...options }).forSource<FxEvent>('fixture')!;
}

describe('shared subtrees', () => {
  const rules = [
    rule('r1', 'evt.type = open and proc.name in (cat, vi) and fd.name startswith /etc'),
    rule('r2', 'evt.type = open and proc.name in (cat, vi) and user.uid = 0'),
    rule('r3', 'evt.type = open and not proc.name in (cat, vi) and proc.pname = sh'),
  ];

  it('are computed once per event, whichever rules need them', () => {
    const rs = ruleset(rules, { ruleMatching: 'all' });
    expect(rs.evaluate(ev('open', { 'proc.name': 'bash', 'proc.pname': 'init' }))).toEqual([]);
    expect(extractions.get('proc.name')).toBe(1); // three rules ask; one extraction
    expect(extractions.get('proc.pname')).toBe(1);
  });

  it('are computed again for the next event, even when it is the same object changed', () => {
    const rs = ruleset(rules, { ruleMatching: 'all' });
    const e = ev('open', { 'proc.name': 'bash', 'proc.pname': 'sh', 'fd.name': '/etc/x', 'user.uid': 0 });
    expect(rs.evaluate(e).map((a) => a.rule)).toEqual(['r3']);
    e.f['proc.name'] = 'vi';
    expect(rs.evaluate(e).map((a) => a.rule)).toEqual(['r1', 'r2']);
    e.f['fd.name'] = '/tmp/x';
    expect(rs.evaluate(e).map((a) => a.rule)).toEqual(['r2']);
    e.f['proc.name'] = 'bash';
    expect(rs.match(e)?.name).toBe('r3');
    extractions.clear();
    for (const name of ['vi', 'bash', 'cat', 'sh']) {
      e.f['proc.name'] = name;
      rs.match(e);
    }
    expect(extractions.get('proc.name')).toBe(4); // once per event, no alert formatting
  });

  it('give the results of the rules evaluated one by one, first match or all', () => {
    const conds = [
      'proc.name = a and (fd.name startswith /etc or fd.name startswith /usr)',
      'not (proc.name = a and (fd.name startswith /etc or fd.name startswith /usr)) and user.uid = 0',
      '(fd.name startswith /etc or fd.name startswith /usr) or proc.pname = a',
      'proc.name = a and not (fd.name startswith /etc or fd.name startswith /usr)',
      'evt.type = execve and proc.name = a or evt.type in (open, connect) and user.uid = 0',
    ];
    const compiled = conds.map((c, i) => rule(`c${i}`, c));
    const all = ruleset(compiled, { ruleMatching: 'all' });
    const first = ruleset(compiled);
    const e: FxEvent = ev('open');
    for (const type of ['open', 'execve', 'connect', 'close'] as const) {
      for (const name of ['a', 'b', undefined]) {
        for (const path of ['/etc/x', '/usr/y', '/tmp/z', undefined]) {
          for (const uid of [0, 5]) {
            for (const pname of ['a', 'x']) {
              e.code = EVENT_TYPES.indexOf(type);
              e.f = { 'proc.name': name, 'fd.name': path, 'user.uid': uid, 'proc.pname': pname };
              const want = compiled.filter((r) => r.predicate(e)).map((r) => r.name);
              expect(all.evaluate(e).map((a) => a.rule)).toEqual(want);
              expect(first.match(e)?.name).toBe(want[0]);
            }
          }
        }
      }
    }
  });
});

describe('evt.type checks', () => {
  it('are settled by the event type', () => {
    const tree = conditionTrees.get(compileCondition(parseCondition('(evt.type = open and proc.name = a) or (evt.type != open and proc.name = b)'), src).predicate)!;
    const open = foldEventType(tree, 'open') as Tree<FxEvent>;
    const exec = foldEventType(tree, 'execve') as Tree<FxEvent>;
    expect(open.kind).toBe('scalar');
    expect(exec.kind).toBe('scalar');
    expect(open).not.toBe(exec);
    expect(foldEventType(conditionTrees.get(compileCondition(parseCondition('evt.type = open'), src).predicate)!, 'close')).toBe(false);
    expect(foldEventType(conditionTrees.get(compileCondition(parseCondition('evt.type exists and proc.name = a'), src).predicate)!, 'close')).not.toBe(false);
  });

  it('fold to the same results as evaluating them', () => {
    const rs = ruleset([rule('x', '(evt.type = open and proc.name = a) or (evt.type != open and proc.name = b)')]);
    expect(rs.match(ev('open', { 'proc.name': 'a' }))?.name).toBe('x');
    expect(rs.match(ev('open', { 'proc.name': 'b' }))).toBeUndefined();
    expect(rs.match(ev('execve', { 'proc.name': 'b' }))?.name).toBe('x');
    expect(rs.match(ev('execve', { 'proc.name': 'a' }))).toBeUndefined();
  });
});

describe('conditions that throw', () => {
  const source: EventSource<FxEvent> = {
    name: 'fixture',
    fields: fixtureFields().add({
      name: 'boom.when',
      type: 'CHARBUF',
      desc: 'throws when the event says so',
      bind: () => (e) => {
        if (e.f['boom']) throw new Error('extractor failed');
        return 'ok';
      },
    }),
    eventTypes: EVENT_TYPES,
    typeOf: (e) => e.code,
    timeOf: (e) => e.ts,
  };
  const rules = [
    rule('A', 'proc.name = a and boom.when = ok', {}, source),
    rule('B', 'proc.name = a and boom.when = ok or proc.name = z', {}, source),
    rule('C', 'proc.name = a', {}, source),
  ];

  it('count against each rule that evaluates them; the rules after still run', () => {
    const failed: string[] = [];
    const rs = ruleset(rules, { onEvaluationError: (r: CompiledRule) => failed.push(r.name) }, source);
    expect(rs.evaluate(ev('open', { 'proc.name': 'a', boom: 'yes' })).map((a) => a.rule)).toEqual(['C']);
    expect(failed).toEqual(['A', 'B']);
    expect(rs.evaluationErrors).toBe(2);
    // nothing half-computed is left behind for the next event
    expect(rs.evaluate(ev('open', { 'proc.name': 'a' })).map((a) => a.rule)).toEqual(['A']);
    expect(rs.evaluationErrors).toBe(2);
  });

  it('in rule_matching=all, every other rule still gets its say', () => {
    const rs = ruleset(rules, { ruleMatching: 'all' }, source);
    expect(rs.evaluate(ev('open', { 'proc.name': 'a', boom: 'yes' })).map((a) => a.rule)).toEqual(['C']);
    expect(rs.evaluate(ev('open', { 'proc.name': 'a' })).map((a) => a.rule)).toEqual(['A', 'B', 'C']);
    expect(rs.evaluationErrors).toBe(2);
  });
});

describe('large plans', () => {
  // enough rules that one function would be too big for V8 to optimize: the plan is cut in chunks
  const many = Array.from({ length: 400 }, (_, i) =>
    rule(`big${i}`, `evt.type = open and proc.name in (cat, vi) and (fd.name startswith /etc/${i} or fd.name contains "/x${i}/" or proc.cmdline contains "--flag-${i}")`),
  );

  it('are cut in chunks that share their subtrees through stamped slots', () => {
    const rs = ruleset(many, { ruleMatching: 'all' });
    const plan = (rs as unknown as { plans: Array<{ chunks: unknown[]; memo: Int32Array }> }).plans[EVENT_TYPES.indexOf('open')]!;
    expect(plan.chunks.length).toBeGreaterThan(1);
    expect(plan.memo.length).toBeGreaterThan(0);
    const e = ev('open', { 'proc.name': 'bash', 'fd.name': '/etc/7/x', 'proc.cmdline': 'x --flag-399' });
    expect(rs.evaluate(e)).toEqual([]);
    expect(extractions.get('proc.name')).toBe(1); // the shared check, across every chunk
    e.f['proc.name'] = 'vi';
    expect(rs.evaluate(e).map((a) => a.rule)).toEqual(many.filter((r) => r.predicate(e)).map((r) => r.name));
    expect(rs.evaluate(e).map((a) => a.rule)).toContain('big399');
  });

  it('start over with empty slots when the stamps wrap around', () => {
    const rs = ruleset(many);
    const internals = rs as unknown as { stamp: number };
    const e = ev('open', { 'proc.name': 'vi', 'fd.name': '/etc/3/x' });
    internals.stamp = 0x3ffffff0 - 6;
    for (let k = 0; k < 8; k++) {
      e.f['proc.name'] = k % 2 === 0 ? 'vi' : 'bash';
      expect(rs.match(e)?.name).toBe(k % 2 === 0 ? 'big3' : undefined);
    }
    expect(internals.stamp).toBeLessThan(100);
  });
});

describe('generated plan code', () => {
  const hostile = ['"); throw new Error("pwned"); ("', "'); globalThis.pwned = 1; ('", '`${globalThis.pwned = 1}`', '*/ globalThis.pwned = 1; /*', '__proto__'];

  it('keeps every rule-derived value out of the source', () => {
    const trees = hostile.flatMap((h) => {
      const q = JSON.stringify(h);
      return [`proc.name = ${q} and fd.name startswith ${q}`, `proc.name = ${q} and proc.cmdline contains ${q}`, `ka.uri.param[${q}] = x`].map(
        (c) => conditionTrees.get(compileCondition(parseCondition(c), src).predicate)!,
      );
    });
    // every kind of slot: a local memo, a shared memo, a kept value
    const first = trees[0]! as Tree<FxEvent> & { kind: 'and'; children: Tree<FxEvent>[] };
    const chunk = generateChunk(
      trees.map((cond, index) => ({ index, cond })),
      {
        memoOf: (t) => (t === first.children[0] ? { local: 0 } : t === first.children[1] ? { shared: 0 } : undefined),
        locals: 1,
        valueOf: (leaf) => (leaf.field === 'proc.name' ? 0 : undefined),
        values: 1,
      },
      new Int32Array(1),
      new Int32Array(1),
    );
    const text = chunk.toString();
    for (const h of hostile) expect(text).not.toContain(h);
    expect(text).toMatch(/^function chunk\(e, from, q, q1\) \{ let v, t, m0 = 0, f0 = U; switch \(from\) \{ [\w\s().,!=&|?:<>;[\]]* \} return -1; \}$/);
    expect(text).toContain('M[0]');
    expect(chunk(ev('open', { 'proc.name': hostile[0], 'fd.name': hostile[0] }), 0, 2, 3)).toBe(0);
    expect(chunk(ev('open', { 'proc.name': 'x' }), 0, 4, 5)).toBe(-1);
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
  });
});
