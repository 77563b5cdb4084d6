// Conformance with libsinsp's current parser (falcosecurity/libs userspace/libsinsp/filter/parser.cpp,
// list modifiers of libs#2984 / Falco 0.44, field arguments after transformers of libs#2842) on the
// two places where Kestrel differed: `oneof`/`anyof`/`allof` after a string operator, and
// `getopt(...)[x]`. Each row is a condition and whether libsinsp's parser accepts it.
import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, parseCondition } from '../../src/condition/parse.js';
import type { BinaryCheckExpr, TransformerExpr } from '../../src/condition/ast.js';

// libsinsp's s_binary_str_ops: the only operators a list modifier may follow.
const STRING_OPERATORS = ['=', '==', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex'];
const MODIFIERS = ['oneof', 'anyof', 'allof'];

type Row = [condition: string, accepted: boolean, why: string];

const modifierRows: Row[] = [
  ...STRING_OPERATORS.flatMap((op) => MODIFIERS.map((mod): Row => [`proc.name ${op} ${mod} (a, b)`, true, `every string operator takes ${mod}`])),
  // list and numeric operators take no modifier
  ...['in', 'intersects', 'pmatch', '<', '<=', '>', '>='].flatMap((op) =>
    MODIFIERS.map((mod): Row => [`proc.name ${op} ${mod} (a, b)`, false, `${op} takes no modifier`]),
  ),
  ['proc.name exists oneof (a)', false, 'exists takes nothing after it'],
  // blanks: one is required between the operator and the modifier, and between the modifier and '('
  ['proc.name =oneof (a)', false, 'no blank between "=" and the modifier'],
  ['proc.name ==anyof (a)', false, 'no blank between "==" and the modifier'],
  ['proc.name !=allof (a)', false, 'no blank between "!=" and the modifier'],
  ['proc.name = oneof(a)', false, 'no blank between the modifier and "("'],
  ['proc.name startswith anyof(a, b)', false, 'no blank between the modifier and "("'],
  ['proc.name\t=\toneof\t(a)', true, 'tabs are blanks'],
  ['proc.name contains allof\n(curl, wget)', true, 'a line break is a blank'],
  ['proc.name = oneof   (  a ,b  )', true, 'blanks inside the list as in any list'],
  ['proc.name = oneof ()', true, 'an empty list parses (and never matches)'],
  ['proc.name = oneof (a,)', false, 'a trailing comma, as in any list'],
  ['proc.name = oneof (a', false, 'an unterminated list'],
  ['proc.name = anyof ("a b", \'c\')', true, 'quoted items'],
  // what may follow a modifier: a parenthesised list or a list name, nothing else
  ['proc.name startswith oneof my_list', true, 'a list name after the modifier'],
  ['proc.name startswith oneof my_list and proc.pid > 1', true, 'a list name, then the rest of the condition'],
  ['proc.name = oneof "a"', false, 'a quoted string after the modifier'],
  ['proc.name = oneof val(proc.pname)', false, 'a field after the modifier'],
  ['proc.name = oneof tolower(proc.pname)', false, 'a transformer after the modifier'],
  ['proc.name = oneof proc.pname', false, 'a field name is not a list name'],
  // words spelled like modifiers
  ['proc.name = oneof', true, 'without a list the word is a plain value'],
  ['proc.name startswith allof and proc.pid > 1', true, 'a plain value followed by and'],
  ['proc.name in oneof', true, 'a list named oneof after a list operator'],
  ['proc.name in (oneof, anyof)', true, 'list names inside a list'],
  ['proc.name = anyof oneof', true, 'a modifier followed by a list named oneof'],
  ['proc.name = ONEOF (a)', false, 'modifiers are lower case; ONEOF is a value and "(" is left over'],
  ['oneof', true, 'a macro named oneof'],
  ['tolower(proc.name) = oneof (a, b)', true, 'a transformer on the left'],
  ['not proc.name = oneof (a) or proc.name != allof (b, c)', true, 'inside and/or/not'],
];

const fieldArgumentRows: Row[] = [
  ['getopt(proc.args, "nt:")[t] = 5', true, 'a bare argument'],
  ['getopt(proc.args, "nt:")["t"] = 5', true, 'a double-quoted argument'],
  ["getopt(proc.args, 'nt:')['t'] = 5", true, 'a single-quoted argument'],
  ['getopt(proc.args, "nt:")[""] = 5', true, 'an empty quoted argument parses (as test.str[""])'],
  ['getopt(proc.args, "nt:")[] = 5', false, 'an empty bare argument'],
  ['getopt(proc.args, "nt:") [t] = 5', false, 'no blank before "["'],
  ['getopt(proc.args, "nt:")[t = 5', false, 'an unclosed "["'],
  ['getopt(proc.args, "nt:")[a b] = 5', false, 'a blank inside a bare argument'],
  ['getopt(proc.args, "nt:")[t] exists', true, 'with exists'],
  ['getopt(proc.args, "nt:")[t] in (5, 6)', true, 'with a list operator'],
  ['proc.name = getopt(proc.args, "nt:")[t]', true, 'on the right-hand side'],
  ['tolower(getopt(proc.args, "nt:")[t]) = x', true, 'inside another transformer'],
  ['getopt(proc.args, "nt:")[t] startswith anyof (a, b)', true, 'with a list modifier'],
];

function accepts(text: string): boolean {
  try {
    parseCondition(text);
    return true;
  } catch (e) {
    if (e instanceof ConditionSyntaxError) return false;
    throw e;
  }
}

describe('libsinsp parser: list modifiers', () => {
  it.each(modifierRows)('%s -> accepted %s (%s)', (text, accepted) => {
    expect(accepts(text)).toBe(accepted);
  });

  it('records the modifier and its list on the check', () => {
    const e = parseCondition('proc.name startswith anyof (kube-, etcd-)') as BinaryCheckExpr;
    expect(e).toMatchObject({ kind: 'binary', op: 'startswith', modifier: 'anyof', right: { kind: 'list', items: [{ value: 'kube-' }, { value: 'etcd-' }] } });
  });

  it('records a list name after a modifier as an unquoted value for the loader to expand', () => {
    const e = parseCondition('proc.name = allof my_list') as BinaryCheckExpr;
    expect(e).toMatchObject({ modifier: 'allof', right: { kind: 'value', value: 'my_list', quoted: false } });
  });

  it('reads a modifier word with no list after it as a plain value', () => {
    const e = parseCondition('proc.name = oneof') as BinaryCheckExpr;
    expect(e.modifier).toBeUndefined();
    expect(e.right).toMatchObject({ kind: 'value', value: 'oneof' });
  });

  it('says where a blank is missing before the list', () => {
    expect(() => parseCondition('proc.name = oneof(a)')).toThrow(/no blank.*"oneof" and "\("|a blank is required between "oneof" and "\("/);
  });
});

describe('libsinsp parser: a field argument after a transformer', () => {
  it.each(fieldArgumentRows)('%s -> accepted %s (%s)', (text, accepted) => {
    expect(accepts(text)).toBe(accepted);
  });

  it.each([
    ['getopt(proc.args, "nt:")[t] = 5', 't'],
    ['getopt(proc.args, "nt:")["t"] = 5', 't'],
    ['getopt(proc.args, "nt:")[""] = 5', ''],
  ])('%s keeps the argument %j on the transformer', (text, arg) => {
    const e = parseCondition(text) as BinaryCheckExpr;
    expect((e.left as TransformerExpr).arg).toBe(arg);
  });

  it('leaves the argument unset when there are no brackets', () => {
    const e = parseCondition('getopt(proc.args, "nt:") intersects (t)') as BinaryCheckExpr;
    expect((e.left as TransformerExpr).arg).toBeUndefined();
  });
});
