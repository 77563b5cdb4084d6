// The RuleSet: per-type index (an event visits only its type's rules), first match in load order,
// all matches on request, disabled and low-priority rules left out, the kernel filter's type names.
import { PerformanceObserver } from 'node:perf_hooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { RuleSet, type CompiledRule } from '../../src/engine/ruleset.js';
import { compileRule } from '../../src/engine/compile-rule.js';
import { ev, fixtureSource, type FxEvent } from './fixtures/source.js';
import { rule, spec, src } from './fixtures/helpers.js';

/** Counts predicate calls per rule name. */
const calls = new Map<string, number>();

function counted(r: CompiledRule<FxEvent>): CompiledRule<FxEvent> {
  return { ...r, predicate: (e) => (calls.set(r.name, (calls.get(r.name) ?? 0) + 1), r.predicate(e)) };
}

function ruleset(rules: CompiledRule<FxEvent>[], options = {}) {
  return new RuleSet(rules.map(counted), new Map([['fixture', src]]), { hostname: 'node-1', ...options });
}

beforeEach(() => calls.clear());

describe('per-type index', () => {
  const rules = [
    rule('open-a', 'evt.type = open and proc.name = a'),
    rule('exec-any', 'evt.type = execve'),
    rule('not-close', 'evt.type != close and proc.name = never'),
    rule('any-type', 'proc.name = b'),
    rule('open-or-connect', 'evt.type in (open, connect) and proc.name = c'),
  ];

  it('visits only the rules that can match the event type, in load order', () => {
    const rs = ruleset(rules);
    rs.evaluate(ev('execve', {}), 'fixture');
    expect([...calls.keys()]).toEqual(['exec-any']); // exec-any matched first: later rules not tried
    calls.clear();
    rs.evaluate(ev('close', { 'proc.name': 'z' }), 'fixture');
    expect([...calls.keys()]).toEqual(['any-type']);
    calls.clear();
    rs.evaluate(ev('connect', { 'proc.name': 'z' }), 'fixture');
    expect([...calls.keys()]).toEqual(['not-close', 'any-type', 'open-or-connect']);
  });

  it('puts a name shared by several codes in each of their slots', () => {
    const rs = ruleset(rules).forSource<FxEvent>('fixture')!;
    const exit = { code: 1, ts: 0n, f: { 'proc.name': 'a' } }; // the second 'open' code
    expect(rs.rulesForType(1).map((r) => r.name)).toEqual(['open-a', 'not-close', 'any-type', 'open-or-connect']);
    expect(rs.match(exit)?.name).toBe('open-a');
  });

  it('gives a type code outside the table only the rules that match every type', () => {
    const rs = ruleset(rules).forSource<FxEvent>('fixture')!;
    expect(rs.rulesForType(99).map((r) => r.name)).toEqual(['any-type']);
    expect(rs.evaluate({ code: 99, ts: 0n, f: { 'proc.name': 'b' } })).toHaveLength(1);
  });

  it('leaves out rules that can never match', () => {
    const rs = ruleset([rule('never', 'proc.name in ()'), rule('unknown-type', 'evt.type = nosuch')]).forSource<FxEvent>('fixture')!;
    for (let c = 0; c < 12; c++) expect(rs.rulesForType(c)).toEqual([]);
    expect(rs.interestingEventTypes()).toEqual(new Set());
  });

  it('uses one list for sources without event types', () => {
    const plain = fixtureSource({ eventTypes: false });
    const r1 = compileRule(spec('r1', 'proc.name = a'), plain);
    const rs = new RuleSet([r1], new Map([['fixture', plain]])).forSource<FxEvent>('fixture')!;
    expect(rs.match(ev('close', { 'proc.name': 'a' }))?.name).toBe('r1');
    expect(rs.interestingEventTypes()).toBe('all');
  });
});

describe('matching', () => {
  const rules = [rule('first', 'proc.name = x'), rule('second', 'proc.name startswith x'), rule('third', 'proc.name = y')];

  it('returns the first matching rule in load order (rule_matching=first)', () => {
    const rs = ruleset(rules);
    const alerts = rs.evaluate(ev('open', { 'proc.name': 'x' }), 'fixture');
    expect(alerts.map((a) => a.rule)).toEqual(['first']);
    expect(rs.forSource<FxEvent>('fixture')!.match(ev('open', { 'proc.name': 'xy' }))?.name).toBe('second');
  });

  it('returns every matching rule with rule_matching=all', () => {
    const rs = ruleset(rules, { ruleMatching: 'all' });
    expect(rs.evaluate(ev('open', { 'proc.name': 'x' }), 'fixture').map((a) => a.rule)).toEqual(['first', 'second']);
  });

  it('returns one shared frozen empty array when nothing matches', () => {
    const rs = ruleset(rules);
    const a = rs.evaluate(ev('open', { 'proc.name': 'none' }), 'fixture');
    const b = rs.evaluate(ev('close', {}), 'fixture');
    expect(a).toHaveLength(0);
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(rs.evaluate(ev('open'), 'no-such-source')).toBe(a);
  });

  it('does not evaluate disabled rules', () => {
    const rs = ruleset([rule('off', 'proc.name = x', { enabled: false }), rule('on', 'proc.name = x')]);
    expect(rs.evaluate(ev('open', { 'proc.name': 'x' }), 'fixture').map((a) => a.rule)).toEqual(['on']);
    expect(calls.has('off')).toBe(false);
    expect(rs.rules.map((r) => r.name)).toEqual(['off', 'on']);
    expect(rs.forSource('fixture')!.rules.map((r) => r.name)).toEqual(['on']);
  });

  it('does not evaluate rules below the minimum priority', () => {
    const rs = ruleset(
      [rule('debug', 'proc.name = x', { priority: 'Debug' }), rule('notice', 'proc.name = x', { priority: 'Notice' }), rule('crit', 'proc.name = x', { priority: 'Critical' })],
      { minPriority: 'Notice', ruleMatching: 'all' },
    );
    expect(rs.evaluate(ev('open', { 'proc.name': 'x' }), 'fixture').map((a) => a.rule)).toEqual(['notice', 'crit']);
  });

  it('counts a rule that throws on an event, reports it, and goes on with the next rule', () => {
    const seen: string[] = [];
    const rs = new RuleSet(
      [rule('bad', 'proc.name contains x'), rule('good', 'proc.pid = 1')],
      new Map([['fixture', src]]),
      { hostname: 'h', onEvaluationError: (r, e) => seen.push(`${r.name}: ${(e as Error).constructor.name}`) },
    );
    // a source bug: a number where a string field belongs
    const alerts = rs.evaluate(ev('open', { 'proc.name': 42 as never, 'proc.pid': 1 }), 'fixture');
    expect(alerts.map((a) => a.rule)).toEqual(['good']);
    expect(seen).toEqual(['bad: TypeError']);
    expect(rs.forSource('fixture')!.evaluationErrors).toBe(1);
    expect(rs.forSource<FxEvent>('fixture')!.match(ev('open', { 'proc.name': 42 as never, 'proc.pid': 1 }))?.name).toBe('good');
    expect(rs.forSource('fixture')!.evaluationErrors).toBe(2);
  });

  it('is immutable', () => {
    const rs = ruleset(rules);
    expect(Object.isFrozen(rs.rules)).toBe(true);
    expect(Object.isFrozen(rs.forSource('fixture')!.rules)).toBe(true);
  });
});

describe('interesting event types (for the kernel filter)', () => {
  it('is the union of the enabled rules types by name', () => {
    const rs = ruleset([
      rule('a', 'evt.type in (open, openat)'),
      rule('b', 'evt.type = execve'),
      rule('c', 'evt.type = connect', { enabled: false }),
    ]);
    expect(rs.forSource('fixture')!.interestingEventTypes()).toEqual(new Set(['open', 'openat', 'execve']));
  });

  it('is all when any rule matches every type', () => {
    const rs = ruleset([rule('a', 'evt.type = open'), rule('b', 'proc.name = x')]);
    expect(rs.forSource('fixture')!.interestingEventTypes()).toBe('all');
  });
});

describe('no-match path', () => {
  it('allocates nothing per event', async () => {
    const rs = new RuleSet(
      [
        rule('a', 'evt.type in (open, openat) and proc.name in (cat, vi) and fd.name pmatch (/etc, /usr)'),
        rule('b', 'evt.type = open and not proc.pname startswith sh and fd.name glob "/tmp/*.sh"'),
        rule('c', 'proc.cmdline icontains "--JAR" or fd.snet in (10.0.0.0/8) or user.uid < 0'),
        rule('d', 'evt.type = execve and ka.groups intersects (admins) and proc.aname in (sshd)'),
      ],
      new Map([['fixture', src]]),
    ).forSource<FxEvent>('fixture')!;
    const events = [
      ev('open', { 'proc.name': 'bash', 'proc.pname': 'sh', 'fd.name': '/tmp/a.sh', 'proc.cmdline': 'java -x', 'fd.snet': '192.168.0.1', 'user.uid': 5 }),
      ev('execve', { 'ka.groups': ['users'], 'proc.anames': ['bash', 'init'], 'fd.snet': 'fd00::1' }),
      ev('close', { 'proc.cmdline': 'ls' }),
    ];
    const run = (n: number) => {
      let alerts = 0;
      for (let i = 0; i < n; i++) alerts += rs.evaluate(events[i % 3]!).length;
      return alerts;
    };
    expect(run(200_000)).toBe(0); // warm up: optimized code, inline caches
    let gcs = 0;
    const observer = new PerformanceObserver((list) => (gcs += list.getEntries().length));
    observer.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    run(500_000);
    const after = process.memoryUsage().heapUsed;
    await new Promise((r) => setImmediate(r));
    observer.disconnect();
    // Small allocations show as heap growth (8 bytes per event would be 4 MB); large ones force a GC.
    expect(gcs).toBe(0);
    expect((after - before) / 500_000).toBeLessThan(0.5);
  });
});
