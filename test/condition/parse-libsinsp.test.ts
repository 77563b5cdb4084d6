// Conformance with libsinsp: the inputs its own parser unit tests accept and reject
// (falcosecurity/libs userspace/libsinsp/test/filter_parser.ut.cpp) must be accepted and rejected here.
import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, parseCondition } from '../../src/condition/parse.js';

const accepted = [
  // smoke tests
  '  a', '(a)', 'a and b', 'a and b and c', 'a and b and(c)', '(a)and(b)and(c)', '(a and b)', 'a or b', 'a or b or c',
  'a or b or(c)', '(a)or(b)or(c)', '(a or b)', '(a.a exists and b)', '(a.a exists) and (b)', 'a.a exists and b',
  'a.a=1 or b.b=2 and c', 'not (a)', 'not(a)', 'not (not (a))', 'not (a.b=1)', 'not (a.a exists)', 'not a',
  'a.b = 1 and not a', 'not not a', '(not not a)', 'not not(a)', 'not(not(a))', 'not(a)and(not(b))', 'not a.b=1',
  'not a.a exists', 'a.b = bla', "a.b = 'bla'", 'a.b = not', 'a.b contains bla', "a.b icontains 'bla'",
  "a.g in (1, 'a', b)", 'fd.name=*.log', "a.g in (1, 'a', b.c)", 'a.b = a.a', 'a and notb', 'a or notb',
  'notz and a and b', 'macro and not_macro', 'macro and not not_macro', 'macro and not(not_macro)',
  '((macro) and (not_macro))', 'macro and and_macro', '((macro) and (and_macro))', 'macro and or_macro',
  '((macro) and (or_macro))', 'evt.arg[0] contains /bin', 'evt.arg[a] contains /bin',
  // strings
  'test.str = testval', 'test.str = 0a!@#456:/\\.;!$%^&*[]{}|', 'test.str = ""', "test.str = ''",
  'test.str = "0a!@#456:/.; !$%^&*[]{}|"', 'test.str = "test value"', "test.str = 'test value'",
  'test.str[0a!@#456:/\\.;!$%^&*(){}|] = testval', 'test.str[aaaa1] = a', 'test.str[1234] = a',
  'test.str[+0.25e+10] = a', 'test.str[""] = empty', "test.str['a aa'] = a", 'test.str["test \\"with\\"escaping"] = a',
  'test.str = "escape double quote \\" "', "test.str = 'escape single quote \\' '",
  "test.str = 'multiple escape single quote \\' \\\\''", "test.str = 'mixed \"'", 'test.str = "mixed \'"',
  // numbers
  'test.num > 1000', 'test.num < +1', 'test.num >= -1', 'test.num <= 0x12345', 'test.num <= 0XaB00AB', 'test.num > 1.2',
  'test.num < -1.2', 'test.num > -0.1222e+10', 'test.str = !0.1222e+10', 'test.str = 0xAAA.1', 'test.str = 0aaaaa',
  'test.str = a',
  // lists
  'test.list in ()', 'test.list in (a)', "test.list in ('single-quoted')", 'test.list in ("double-quoted")',
  'test.list in (0a!@#456:/\\.;!$%^&*[]{}|)', 'test.list in (0a!@#456:/\\.;!$%^&*[]{}|, value)',
  'test.list in (value, "value", \'value\')', 'test.list intersects (value)', 'test.list pmatch (value)',
  // operators
  'test.op exists and macro', 'test.op exists', 'test.op = value', 'test.op =value', 'test.op == value',
  'test.op ==value', 'test.op != value', 'test.op !=value', 'test.op glob value', 'test.op iglob value',
  'test.op contains value', 'test.op icontains value', 'test.op bcontains 48545450', 'test.op startswith value',
  'test.op bstartswith 12ab001fc5', 'test.op endswith value', 'test.op > 1', 'test.op >1', 'test.op < 1', 'test.op <1',
  'test.op >= 1', 'test.op >=1', 'test.op <= 1', 'test.op <=1', 'test.op in ()', 'test.op in()',
  'test.op intersects ()', 'test.op intersects()', 'test.op pmatch ()', 'test.op pmatch()', 'test.op existsand macro',
  // left-hand transformers
  'tolower(test.field) exists', 'toupper(test.field) exists', 'b64(test.field) exists', 'b64(test.field) = value',
  'b64(test.field) == value', 'b64(test.field) != value', 'b64(test.field) glob value', '(b64(test.field) exists)',
  "b64(test.field) exists and b64(test.field) contains 'a'", "not b64(test.field) exists or b64(test.field) contains 'a'",
  "not (b64(test.field) exists or b64(test.field) contains 'a')", 'b64(toupper(test.field)) exists',
  'b64( test.field) exists', 'b64(test.field ) exists', 'b64(test.field)  exists', 'b64(b64( test.field)) exists',
  'b64(b64(test.field) ) exists',
  // right-hand transformers
  'some.field = test.field', 'some.field = val(test.field)', 'some.field = tolower(test.field)',
  'some.field glob val(test.field)', 'some.field iglob b64(test.field)', 'some.field bcontains val(test.field)',
  'some.field bstartswith b64(test.field)', 'some.field > val(test.field)', 'some.field <= b64(test.field)',
  'some.field in val(test.field)', 'some.field intersects b64(test.field)', 'some.field pmatch val(test.field)',
  'some.field = b64(test.field) or (some.field contains b64(test.field))', 'some.field = b64( b64(test.field))',
  'tolower(some.field) = b64(test.field) or tolower(other.field) = tolower(anoter.field)',
  'some.field = b64 and(some_macro)', 'some.field = b64 or(some_macro)', "some.field = 'some_fake_transformer(some_macro)'",
  // transformer lists
  'join("-", (fd.name, fd.directory)) = /tmp/test', 'join(",", (proc.name, proc.pid)) = "myproc,123"',
  "join('-->', (fd.name, fd.directory)) = /tmp/test", 'join("-", (fd.name)) = /tmp/test',
  'join("-", (toupper(fd.name), b64(fd.directory))) = /tmp/test', 'join("-", ("aaa", "bbb")) = aaa-bbb',
  'join("-", (proc.pid, 123)) contains 123', 'join("-", (fd.name, fd.directory)) in (a, b, c)',
  'not join("-", (fd.name, fd.directory)) = /tmp', 'evt.type = tolower(join("-", (fd.name, fd.directory)))',
  'len(join("-", (fd.name, fd.directory))) > 5', 'join("-", ( fd.name , fd.directory )) = /tmp',
  'join( "-", (fd.name, fd.directory)) = /tmp', 'join("-" , (fd.name, fd.directory)) = /tmp', 'join("-", ()) = /tmp',
];

const rejected = [
  // smoke tests
  'a andb', 'aand b', 'a and b and', 'a and b or', 'a and b not', 'and a', 'or a', 'a or b and', 'a or b or', 'a or b not',
  'a not b and', 'a not b or', 'a not b not', 'a orb', 'aor b', 'a and or b', 'a andor b', 'a not b', 'a notb', 'anot b',
  'a andnot b', 'a andnotb', '(a)andnot(b)', 'a ornot b', 'a ornotb', '(a)ornot(b)', 'evt.arg[] contains /bin',
  'a.b = b = 1', '(a.b = 1', 'a.a invalidoperator xxx', 'macro > 12', 'a.g in ( 1 ,, , b)', '#a and b; a and b',
  '#a and b; # ; ; a and b', 'fd.name=/var/lo);g/httpd.log',
  // strings
  'test.str = a,', 'test.str = a=', 'test.str = a(\'")', "test.str = '", 'test.str = "', 'test.str = \'"', 'test.str = "\'',
  'test.str = missing start quote', "test.str = 'missing end quote", 'test.str = "broken escape double quote""',
  "test.str = 'broken escape single quote''", 'test.str = "mixed \\\'"', "test.str = 'mixed \\\"'",
  'test.str[0a!@#456:/\\.;!$%^&*[]{}] = testval', 'test.str[] = testval', 'test.str[[] = testval', 'test.str[]] = testval',
  "test.str['''] = a", 'test.str[aaa"] = a', 'test.str[   test   ] = testval', 'test.str[ = testval', 'test.str] = testval',
  // numbers
  'test.num > !0.1222e+10', 'test.num < 0xAAA.1', 'test.num >= 0aaaaa', 'test.num <= a',
  // lists
  'test.list in (', 'test.list in )', 'test.list in (value,)', 'test.list in (value,,)', 'test.list in (,)',
  'test.list in (,   ,)', 'test.list > (value)', 'test.list = (value)', 'test.list < (value)', 'test.list startswith (value)',
  'test.list bstartswith (value)', 'test.list contains (value)', 'test.list icontains (value)',
  // operators
  'test.op ExIsTs', 'test.op exists something', 'test.op ===', 'test.op === value', 'test.op !==', 'test.op !== value',
  'test.op startswithvalue', 'test.op bstartswithvalue', 'test.op endswithvalue', 'test.op containsvalue',
  'test.op icontainsvalue', 'test.op bcontainsvalue', 'test.op globvalue', 'test.op iglobvalue', 'test.op >', 'test.op <',
  'test.op >=', 'test.op <=', 'test.op in', 'test.op intersects', 'test.op pmatch',
  // left-hand transformers
  'val(test.field) exists', 'val(val(test.field)) exists', 'val(b64(test.field)) exists', 'b64(val(test.field)) exists',
  'b64(test.field [1]) exists', 'some_fake_transformer(test.field) exists', 'some_fake_transformer (test.field) exists',
  'some.fake.transformer(test.field) exists', 'b64 (test.field) exists', 'b64,(test.field) exists',
  'b64(testfield)) exists', 'b64(test_field)) exists', 'b64(b64)) exists', 'b64\n(test.field) exists',
  'b64(test.field exists', 'test.field) exists', 'b64(b64(test.field exists', 'b64(b64(test.field) exists',
  'b64(test.field)) exists', '(test.field) exists', '(test.field exists', 'a(test.field) exists', 'aaaa(test.field) exists',
  'a(b(test.field)) exists',
  // right-hand transformers
  'some.field = b64and(some_macro)', 'some.field = b64or(some_macro)', 'some.field = val(test.field [1])',
  'some.field = some_fake_transformer(test.field)', 'some.field = some_fake_transformer (test.field)',
  'some.field = some.fake.transformer(test.field)', 'some.field = val(val(test.field))',
  'some.field = val(toupper(test.field))', 'some.field = b64(val(test.field))', 'some.field = b64 (test.field)',
  'some.field = b64,(test.field)', 'some.field = (b64(test.field))', 'some.field = (b64(test.field)',
  'some.field = (b64(test.field', 'some.field = b64(test.field))', 'some.field = b64(testfield))',
  'some.field = b64(test_field))', 'some.field = b64(b64))', 'some.field = ((b64(test.field)))',
  'some.field = b64\n(test.field)', 'some.field = b64(test.field', 'some.field = test.field)',
  'some.field = b64(b64(test.field', 'some.field = b64(b64(test.field)', 'some.field = (test.field)',
  'some.field = (test.field', 'some.field = a(test.field)', 'some.field = aaaa(test.field)',
  'some.field = a(b(test.field))', 'some.field in (b64(test.field))', 'some.field in (a, b64(test.field))',
  'some.field in (a, b, b64(test.field))',
  // transformer lists
  'join("-", (fd.name, fd.directory) = /tmp', 'join("-", fd.name, fd.directory)) = /tmp', 'join("-", (,)) = /tmp',
  'join("-", (,fd.name)) = /tmp', 'join("-", (fd.name,)) = /tmp', 'join("-", (fd.name,,fd.directory)) = /tmp',
  'join("-", ((fd.name))) = /tmp', 'join("-", (macro)) = /tmp', 'join("-", (barestring)) = /tmp',
];

describe('libsinsp parser conformance', () => {
  it.each(accepted)('accepts %s, also padded and with spaces as newlines or tabs', (text) => {
    const padded = ` ${text} `;
    for (const variant of [text, padded, padded.replaceAll(' ', '\n'), padded.replaceAll(' ', '\t')]) {
      expect(() => parseCondition(variant), JSON.stringify(variant)).not.toThrow();
    }
  });

  it('accepts the legacy "\\ " escape as written (libsinsp tests it without the blank variants)', () => {
    expect(() => parseCondition('test.str = "bad escape \\ " ')).not.toThrow();
    expect(() => parseCondition('test.str = "bad escape \\\n"')).toThrow(ConditionSyntaxError);
  });

  it.each(rejected)('rejects %s', (text) => {
    expect(() => parseCondition(text)).toThrow(ConditionSyntaxError);
  });
});
