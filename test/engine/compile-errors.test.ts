// Conditions libsinsp refuses to compile: each gives a CompileError with a code and the position of
// the offending node, which the loader turns into file:line:column.
import { describe, expect, it } from 'vitest';
import { parseCondition } from '../../src/condition/parse.js';
import { compileCondition } from '../../src/engine/compile-rule.js';
import { CompileError } from '../../src/engine/errors.js';
import type { Expr } from '../../src/condition/ast.js';
import { src } from './fixtures/helpers.js';

function error(condition: string | Expr): CompileError {
  const ast = typeof condition === 'string' ? parseCondition(condition) : condition;
  try {
    compileCondition(ast, src);
  } catch (e) {
    if (e instanceof CompileError) return e;
    throw e;
  }
  throw new Error(`compiled without error: ${String(condition)}`);
}

type Case = [condition: string, code: CompileError['code'], message: RegExp, column: number];

const cases: Case[] = [
  ['proc.nosuch = x', 'unknown-field', /nonexistent field proc\.nosuch/, 1],
  ['proc.name = a and foo.bar exists', 'unknown-field', /nonexistent field foo\.bar/, 19],
  ['evt.arg = x', 'field-argument', /requires an argument/, 1],
  ['proc.name[1] = x', 'field-argument', /does not support an argument/, 1],
  ['proc.aname[x] = y', 'field-argument', /numeric index/, 1],
  ['out.only = x', 'field-argument', /only be used in outputs/, 1],
  ['proc.pid contains 1', 'operator-type', /'contains' operator not supported for numeric filters/, 1],
  ['proc.pid glob 1', 'operator-type', /not supported for numeric filters/, 1],
  ['fd.is_server < 1', 'operator-type', /'<' operator not supported/, 1],
  ['fd.sip contains 10', 'operator-type', /not supported for ip address and network filters/, 1],
  ['fd.snet startswith 10', 'operator-type', /not supported for ip address and network filters/, 1],
  ['proc.name bcontains 00', 'operator-type', /'bcontains' operator not supported for string filters/, 1],
  ['evt.buffer glob x', 'operator-type', /not supported for buffer filters/, 1],
  ['evt.buffer icontains x', 'operator-type', /not supported for buffer filters/, 1],
  ['ka.groups = a', 'operator-type', /'=' operator not supported list filters/, 1],
  ['ka.groups contains a', 'operator-type', /not supported list filters/, 1],
  ['ka.pids intersects (1)', 'operator-type', /list filters are not supported for type 'INT64'/, 1],
  ['proc.pid = abc', 'bad-value', /abc is not a valid number/, 12],
  ['proc.pid in (1, 2, x3)', 'bad-value', /x3 is not a valid number/, 20],
  ['proc.pid > 1.5', 'bad-value', /1\.5 is not a valid number/, 12],
  ['fd.is_server = yes', 'bad-value', /unrecognized boolean value yes/, 16],
  ['fd.sip = 300.1.1.1', 'bad-value', /unrecognized IPv4 address/, 10],
  ['fd.sip = "::ffff:1.2.3.4"', 'bad-value', /unrecognized IPv4 address/, 10],
  ['fd.sip = "fe80::zz"', 'bad-value', /unrecognized IPv6 address/, 10],
  ['fd.snet = 10.0.0.0', 'bad-value', /unrecognized IP network/, 11],
  ['fd.snet = 10.0.0.0/33', 'bad-value', /invalid netmask 33/, 11],
  ['fd.snet = "fd00::/0"', 'bad-value', /invalid v6 netmask/, 11],
  ['fd.sport = no-such-service-xyz', 'bad-value', /unrecognized protocol/, 12],
  ['evt.buffer bcontains XYZW', 'bad-value', /hex strings only/, 22],
  ['evt.buffer bstartswith ABC', 'bad-value', /hex strings only/, 24],
  ['proc.name regex "("', 'bad-regex', /invalid regex pattern/, 17],
  ['proc.name regex "a)|(b"', 'bad-regex', /invalid regex pattern/, 17],
  // RE2 in POSIX mode, as libsinsp compiles `regex`: RE2's own errors for what it refuses
  ['proc.name regex "(?=a)a"', 'bad-regex', /missing argument to repetition operator: `\?`/, 17],
  ['proc.name regex "(?<!a)b"', 'bad-regex', /missing argument to repetition operator: `\?`/, 17],
  ['proc.name regex "(?:a)"', 'bad-regex', /missing argument to repetition operator: `\?`/, 17],
  ['proc.name regex "(?i)abc"', 'bad-regex', /missing argument to repetition operator: `\?`/, 17],
  ['proc.name regex "\\\\d+"', 'bad-regex', /invalid escape sequence: `\\d`/, 17],
  ['proc.name regex "\\\\bword"', 'bad-regex', /invalid escape sequence: `\\b`/, 17],
  ['proc.name regex "\\\\pN"', 'bad-regex', /invalid escape sequence: `\\p`/, 17],
  ['proc.name regex "(a)\\\\1"', 'bad-regex', /invalid escape sequence: `\\1`/, 17],
  ['proc.name regex "a{1001}"', 'bad-regex', /invalid repeat count: `\{1001\}`/, 17],
  ['proc.name regex "[z-a]"', 'bad-regex', /invalid character class range: `z-a`/, 17],
  ['proc.name regex "(.{1000}){1000}"', 'bad-regex', /invalid repeat count/, 17],
  ['fd.name pmatch val(fd.directory)', 'rhs-field', /doesn't support right-hand side fields/, 20],
  ['proc.name regex val(proc.pname)', 'rhs-field', /doesn't support right-hand side fields/, 21],
  ['fd.snet = val(fd.snet)', 'rhs-field', /IPNET' doesn't support right-hand side fields/, 15],
  ['proc.name = val(proc.pid)', 'rhs-field', /has type 'CHARBUF' while the right-hand side field 'proc.pid' has incompatible type 'INT64'/, 17],
  ['fd.name = val(proc.name)', 'rhs-field', /incompatible type/, 15],
  ['ka.groups in val(proc.name)', 'rhs-field', /CHARBUF \(list\)/, 18],
  ['tolower(proc.pid) = 1', 'bad-transformer', /'INT64' is not supported by 'tolower'/, 1],
  ['b64(fd.name) = x', 'bad-transformer', /'FSPATH' is not supported by 'b64'/, 1],
  ['len(proc.pid) = 1', 'bad-transformer', /not supported by 'len'/, 1],
  ['concat(proc.name, ka.groups) = x', 'bad-transformer', /concat\(\) arguments must be strings/, 1],
  ['join(",", proc.name) = x', 'bad-transformer', /second argument must be a list/, 1],
  ['join(ka.groups, ka.groups) = x', 'bad-transformer', /separator\) must be a single value/, 1],
  ['getopt(proc.name, "a") exists', 'bad-transformer', /first argument must be a list/, 1],
  ['len(proc.name) startswith 1', 'operator-type', /not supported for numeric filters/, 1],
  ['some_macro and proc.name = x', 'unresolved-identifier', /unexpected identifier 'some_macro'/, 1],
];

describe('compile errors', () => {
  for (const [cond, code, message, column] of cases) {
    it(`${cond} -> ${code}`, () => {
      const e = error(cond);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.part).toBe('condition');
      expect(e.pos?.column).toBe(column);
      expect(e.pos?.line).toBe(1);
    });
  }

  it('points into the right line of a multi-line condition', () => {
    const e = error('evt.type = open\n  and proc.name = a\n  and proc.pid = abc');
    expect(e.pos).toMatchObject({ line: 3, column: 18 });
  });

  it('rejects a list where one value is expected (the loader must not hand one over)', () => {
    const ast: Expr = {
      kind: 'binary',
      op: '=',
      left: { kind: 'field', field: 'proc.name', pos: { line: 1, column: 1, offset: 0 } },
      right: { kind: 'list', items: [], pos: { line: 1, column: 13, offset: 12 } },
      pos: { line: 1, column: 1, offset: 0 },
    };
    expect(error(ast)).toMatchObject({ code: 'bad-value', pos: { column: 13 } });
  });

  it('compiles every child, so an error after a constant is still reported', () => {
    expect(error('proc.name in () and proc.nosuch = 1').code).toBe('unknown-field');
    expect(error('not ka.groups intersects () or proc.pid = x').code).toBe('bad-value');
  });
});
