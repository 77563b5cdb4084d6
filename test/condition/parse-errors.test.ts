import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, parseCondition } from '../../src/condition/parse.js';

const CHECK_START = ['"not"', '"("', 'transformer', 'field', 'macro name'];
const AFTER_CHECK = ['"and"', '"or"', 'end of condition'];
const STRING_VALUE = ['value', '"val("', 'transformer', 'quoted string'];
const ESCAPES_DQ = 'an escape sequence (\\b \\f \\n \\r \\t \\\\ \\/ \\" or \\xHH)';

function failure(text: string): ConditionSyntaxError {
  try {
    parseCondition(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConditionSyntaxError);
    return err as ConditionSyntaxError;
  }
  throw new Error(`accepted: ${JSON.stringify(text)}`);
}

interface Case {
  name: string;
  text: string;
  at: [line: number, column: number];
  expected: string[];
  found: string | null;
  message?: RegExp;
}

const cases: Case[] = [
  { name: 'empty condition', text: '', at: [1, 1], expected: CHECK_START, found: null, message: /^empty condition: expected/ },
  { name: 'blank-only condition', text: '   \n  ', at: [2, 3], expected: CHECK_START, found: null, message: /^empty condition/ },
  { name: 'missing value', text: 'proc.name =', at: [1, 12], expected: STRING_VALUE, found: null },
  { name: 'missing value after a word operator', text: 'proc.name contains ', at: [1, 20], expected: STRING_VALUE, found: null },
  { name: 'missing value on line 3', text: 'spawned_process and\n  proc.name in (a, b)\n  and fd.name ==', at: [3, 17], expected: STRING_VALUE, found: null },
  { name: 'unclosed parenthesis', text: '(a and b', at: [1, 9], expected: ['"and"', '"or"', '")"'], found: null },
  { name: 'unclosed parenthesis over lines', text: '(proc.name = a\n  and (b or c)\n', at: [3, 1], expected: ['"and"', '"or"', '")"'], found: null },
  { name: 'unclosed list', text: 'evt.type in (open, close', at: [1, 25], expected: ['","', '")"'], found: null },
  { name: 'unclosed double quote', text: 'proc.name = "abc', at: [1, 17], expected: ['closing " of the string opened at 1:13'], found: null },
  { name: 'unclosed single quote', text: "proc.name = 'abc", at: [1, 17], expected: ["closing ' of the string opened at 1:13"], found: null },
  { name: '"and" at the end', text: 'a and', at: [1, 6], expected: ['whitespace', '"("'], found: null },
  { name: '"and" and a blank at the end', text: 'a and ', at: [1, 7], expected: CHECK_START, found: null },
  { name: '"not" and a blank at the end', text: 'not ', at: [1, 5], expected: CHECK_START, found: null },
  { name: 'operator without field', text: '= foo', at: [1, 1], expected: CHECK_START, found: '=' },
  { name: 'empty list item', text: 'proc.name in (a,,b)', at: [1, 17], expected: ['quoted string', 'value'], found: ',' },
  { name: 'trailing comma in list', text: 'proc.name in (a,)', at: [1, 17], expected: ['quoted string', 'value'], found: ')' },
  { name: 'list of a lone comma', text: 'proc.name in (,)', at: [1, 15], expected: ['quoted string', 'value', '")"'], found: ',' },
  { name: 'libsinsp smoke test: ( 1 ,, , b)', text: 'a.g in ( 1 ,, , b)', at: [1, 13], expected: ['quoted string', 'value'], found: ',' },
  { name: 'quoted string after a list operator', text: 'evt.type in "open"', at: [1, 13], expected: ['"("', '"val("', 'transformer', 'list name'], found: '"' },
  { name: 'list operator without value', text: 'p.x intersects', at: [1, 15], expected: ['"("', '"val("', 'transformer', 'list name'], found: null },
  {
    name: 'transformer with a blank before "("',
    text: 'tolower (proc.name) = x',
    at: [1, 9],
    expected: AFTER_CHECK,
    found: '(',
    message: /no blank is allowed between "tolower" and "\("/,
  },
  { name: 'unknown transformer', text: 'lower(proc.name) = x', at: [1, 6], expected: AFTER_CHECK, found: '(' },
  { name: 'transformer without arguments', text: 'tolower() = x', at: [1, 9], expected: ['number', 'quoted string', '"("', 'transformer', 'field'], found: ')' },
  { name: 'val() on the left', text: 'val(proc.name) = x', at: [1, 4], expected: AFTER_CHECK, found: '(' },
  { name: 'val() of a transformer', text: 'proc.name = val(tolower(proc.pname))', at: [1, 17], expected: ['field'], found: 'tolower' },
  { name: 'unclosed val()', text: 'proc.name = val(proc.pname', at: [1, 27], expected: ['"["', '")"'], found: null },
  { name: 'transformer inside a value list', text: 'proc.name in (b64(x.y))', at: [1, 18], expected: ['","', '")"'], found: '(' },
  { name: 'trailing comma in a transformer list', text: 'join("-", (fd.name,)) = x', at: [1, 20], expected: ['field', 'transformer', 'quoted string', 'number'], found: ')' },
  { name: 'unknown operator', text: 'proc.name like foo', at: [1, 11], expected: ['operator'], found: 'like' },
  { name: 'exists with a value', text: 'proc.name exists foo', at: [1, 18], expected: AFTER_CHECK, found: 'foo' },
  { name: 'trailing garbage', text: 'proc.name = a )', at: [1, 15], expected: AFTER_CHECK, found: ')' },
  { name: 'extra closing parenthesis', text: '(a))', at: [1, 4], expected: AFTER_CHECK, found: ')' },
  { name: 'libsinsp smoke test: /var/lo);g', text: 'fd.name=/var/lo);g/httpd.log', at: [1, 16], expected: AFTER_CHECK, found: ')' },
  { name: 'two macros without a keyword', text: 'a not b', at: [1, 3], expected: AFTER_CHECK, found: 'not' },
  { name: '"or" glued to a word', text: 'a orb', at: [1, 5], expected: ['whitespace', '"("'], found: 'b' },
  { name: '"and" glued to "not"', text: 'a andnot b', at: [1, 6], expected: ['whitespace', '"("'], found: 'not' },
  { name: 'comment-like text', text: '#a and b', at: [1, 1], expected: CHECK_START, found: '#a' },
  { name: 'word operator glued to its value', text: 'proc.cmdline contains(x)', at: [1, 22], expected: ['whitespace after "contains"'], found: '(' },
  { name: 'word operator at the end', text: 'proc.name startswith', at: [1, 21], expected: ['whitespace after "startswith"'], found: null },
  { name: 'unsupported escape', text: 'proc.name = "a\\qb"', at: [1, 15], expected: [ESCAPES_DQ], found: '\\q' },
  { name: "escaped double quote in a '-string", text: "proc.name = 'a\\\"b'", at: [1, 15], expected: [ESCAPES_DQ.replace('\\"', "\\'")], found: '\\"' },
  { name: 'short \\x escape', text: 'x.y = "\\x4"', at: [1, 8], expected: [ESCAPES_DQ], found: '\\x4' },
  { name: 'word after a numeric operator', text: 'proc.pid > abc', at: [1, 12], expected: ['"val("', 'transformer', 'number'], found: 'abc' },
  { name: 'quoted number after a numeric operator', text: 'proc.pid > "1"', at: [1, 12], expected: ['"val("', 'transformer', 'number'], found: '"' },
  { name: 'macro compared with a value', text: 'macro > 12', at: [1, 7], expected: AFTER_CHECK, found: '>' },
  { name: 'chained comparison', text: 'a.b = b = 1', at: [1, 9], expected: AFTER_CHECK, found: '=' },
  { name: 'blank before a field argument', text: 'proc.aname [2] = x', at: [1, 12], expected: ['operator'], found: '[' },
  { name: 'empty field argument', text: 'evt.arg[] = x', at: [1, 9], expected: ['quoted string', 'field argument'], found: ']' },
  { name: 'blanks inside a field argument', text: 'test.str[   test   ] = testval', at: [1, 10], expected: ['quoted string', 'field argument'], found: ' ' },
  { name: 'unclosed field argument', text: 'evt.arg[0 = x', at: [1, 10], expected: ['"]"'], found: ' ' },
  { name: 'field name ending in a dot', text: 'a.b.', at: [1, 4], expected: ['"["', 'operator'], found: '.' },
  { name: 'or( takes only the parenthesis (libsinsp)', text: 'a or(b) and c', at: [1, 9], expected: ['"or"', 'end of condition'], found: 'and' },
  { name: 'malformed list after a modifier', text: 'proc.name = anyof (a,,b)', at: [1, 22], expected: ['quoted string', 'value'], found: ',' },
  { name: 'parenthesised value on line 3', text: 'proc.name = a\n\tand\n\tproc.pname = (b)', at: [3, 15], expected: STRING_VALUE, found: '(' },
];

describe('malformed conditions', () => {
  it.each(cases)('$name: $text', ({ text, at, expected, found, message }) => {
    const err = failure(text);
    expect([err.line, err.column]).toEqual(at);
    // the same expectations; their order follows which grammar branch got furthest
    expect([...err.expected].sort()).toEqual([...expected].sort());
    expect(err.found).toBe(found);
    expect(err.message.endsWith(` at ${at[0]}:${at[1]}`)).toBe(true);
    if (message) expect(err.message).toMatch(message);
  });

  it('keeps the offset consistent with line and column', () => {
    for (const { text } of cases) {
      const err = failure(text);
      const before = text.slice(0, err.offset).split('\n');
      expect([before.length, before[before.length - 1]!.length + 1]).toEqual([err.line, err.column]);
    }
  });

  it('writes a readable message naming what was expected and what was found', () => {
    expect(failure('evt.type = open and (proc.name = a or').message).toBe(
      'expected whitespace or "(" but found end of condition at 1:38',
    );
    expect(failure('(a and b').message).toBe('expected "and", "or" or ")" but found end of condition at 1:9');
    expect(failure('proc.name in (a,,b)').message).toBe('expected quoted string or value but found "," at 1:17');
    expect(failure('a.b =\tx\ty').message).toBe('expected "and", "or" or end of condition but found "y" at 1:9');
    // a form feed is no blank for libsinsp outside "not": shown escaped
    expect(failure('a.b = x \f').message).toBe('expected "and", "or" or end of condition but found "\\f" at 1:9');
    expect(failure('a\n  and b\n  foo').message).toBe('expected "and", "or" or end of condition but found "foo" at 3:3');
    expect(failure('proc.name = "a\\qb"').message).toBe(
      'expected an escape sequence (\\b \\f \\n \\r \\t \\\\ \\/ \\" or \\xHH) but found "\\q" at 1:15',
    );
  });

  it('reports absurd nesting as a syntax error instead of crashing', () => {
    const err = failure(`${'('.repeat(100_000)}a${')'.repeat(100_000)}`);
    expect(err.message).toBe('condition is nested too deeply at 1:1');
    expect(parseCondition(`${'('.repeat(500)}a${')'.repeat(500)}`)).toMatchObject({ kind: 'identifier', name: 'a' });
  });

  it('is an Error with its own name', () => {
    const err = failure('a b');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ConditionSyntaxError');
    expect(err.reason).toBe('expected "and", "or" or end of condition but found "b"');
  });
});
