// Constant folding: parts of a condition that cannot depend on the event are decided at compile
// time, so they cost nothing per event, and a rule that can never match is known as such.
import { beforeEach, describe, expect, it } from 'vitest';
import { parseCondition } from '../../src/condition/parse.js';
import { compileCondition } from '../../src/engine/compile-rule.js';
import { ev, extractions } from './fixtures/source.js';
import { src } from './fixtures/helpers.js';

function compiled(cond: string) {
  return compileCondition(parseCondition(cond), src);
}

beforeEach(() => extractions.clear());

describe('constant folding', () => {
  it.each([
    ['proc.name in ()', false],
    ['proc.name intersects ()', false],
    ['fd.name pmatch ()', false],
    ['proc.name startswith anyof ()', false],
    ['not proc.name in ()', true],
    ['not not proc.name in ()', false],
    ['proc.name in () and proc.pid = 1', false],
    ['proc.pid = 1 and (proc.name in () or proc.pid in ())', false],
    ['proc.name in () or not proc.pid in ()', true],
    ['x.unbound = a', false],
    ['x.unbound exists', false],
    ['not x.unbound exists', true],
    ['tolower(x.unbound) = a', false],
    ['proc.name = val(x.unbound)', false],
  ] as const)('%s is the constant %s', (cond, value) => {
    const c = compiled(cond);
    expect(c.constant).toBe(value);
    expect(c.predicate(ev('open', { 'proc.name': 'a', 'proc.pid': 1 }))).toBe(value);
  });

  it('does not fold `in ()` on a list field: an empty list is in any set', () => {
    const c = compiled('ka.groups in ()');
    expect(c.constant).toBeUndefined();
    expect(c.predicate(ev('open', { 'ka.groups': [] }))).toBe(true);
    expect(c.predicate(ev('open', { 'ka.groups': ['a'] }))).toBe(false);
  });

  it('drops a constant from a junction: the other checks are all that run', () => {
    const c = compiled('proc.name in () or proc.pid = 1 or x.unbound = y');
    expect(c.constant).toBeUndefined();
    expect(c.predicate(ev('open', { 'proc.name': 'a', 'proc.pid': 1 }))).toBe(true);
    expect(extractions.get('proc.name')).toBeUndefined();
    expect(extractions.get('proc.pid')).toBe(1);
  });

  it('flattens nested junctions and short-circuits left to right', () => {
    const c = compiled('proc.name = a and (proc.pid = 1 and (fd.name = x and user.uid = 0))');
    expect(c.predicate(ev('open', { 'proc.name': 'b' }))).toBe(false);
    expect([...extractions.keys()]).toEqual(['proc.name']);
    expect(c.predicate(ev('open', { 'proc.name': 'a', 'proc.pid': 1, 'fd.name': 'x', 'user.uid': 0 }))).toBe(true);
  });

  it('removes double negation', () => {
    const c = compiled('not not not proc.name = a');
    expect(c.predicate(ev('open', { 'proc.name': 'a' }))).toBe(false);
    expect(c.predicate(ev('open', { 'proc.name': 'b' }))).toBe(true);
  });
});

describe("libsinsp's warnings about constant values", () => {
  const warnings = (cond: string) => compileCondition(parseCondition(cond), src).warnings.map((w) => [w.code, w.pos?.column]);

  it('suggests a simpler operator for a regex without special characters inside', () => {
    expect(warnings('proc.name regex ".*bash"')).toEqual([['regex-simplifiable', 17]]);
    expect(warnings('proc.name regex "^bash$"')).toEqual([['regex-simplifiable', 17]]);
    expect(warnings('proc.name regex "ba(sh|zsh)"')).toEqual([]);
  });

  it('flags a field name used as a constant (a forgotten val())', () => {
    expect(warnings('proc.name = proc.pname')).toEqual([['field-as-value', 13]]);
    expect(warnings('proc.name in (bash, proc.pname)')).toEqual([['field-as-value', 21]]);
    expect(warnings('fd.name = evt.arg.path')).toEqual([['field-as-value', 11]]);
    expect(warnings('proc.name in (k8s.gcr.io, bash, "10.0.0.1")')).toEqual([]);
  });

  it('flags a transformer call used as a constant', () => {
    expect(warnings('proc.name = "tolower(proc.pname)"')).toEqual([['transformer-as-value', 13]]);
  });
});
