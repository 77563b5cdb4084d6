// Conformance with libsinsp: the inputs its own parser unit tests accept and reject
// (falcosecurity/libs userspace/libsinsp/test/filter_parser.ut.cpp) must be accepted and rejected here.
import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, parseCondition } from '../../src/condition/parse.js';
import type { Expr, FieldOperand, ListExpr, TransformerListExpr, ValueExpr } from '../../src/condition/ast.js';

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

// libsinsp's pos_visitor (filter_parser.ut.cpp position_* tests): each node's kind, then its
// 0-based offset, line and column, in visiting order.
function positions(text: string): string {
  let out = '';
  const at = (kind: string, p: { offset: number; line: number; column: number }) => (out += `${kind}${p.offset} ${p.line} ${p.column}`);
  const visit = (n: Expr | FieldOperand | ValueExpr | ListExpr | TransformerListExpr): void => {
    at(n.kind === 'transformer_list' ? 'transformer_list' : n.kind, n.pos);
    if (n.kind === 'and' || n.kind === 'or') n.children.forEach(visit);
    else if (n.kind === 'not') visit(n.child);
    else if (n.kind === 'unary') visit(n.left);
    else if (n.kind === 'binary') {
      visit(n.left);
      visit(n.right);
    } else if (n.kind === 'transformer') n.args.forEach(visit);
  };
  visit(parseCondition(text));
  return out;
}

describe('libsinsp parser conformance: node positions', () => {
  it.each([
    ['proc.name exists', 'unary0 1 1field0 1 1'],
    ['proc.name=nginx', 'binary0 1 1field0 1 1value10 1 11'],
    ['proc.aname[3]=nginx', 'binary0 1 1field0 1 1value14 1 15'],
    ['proc.name =nginx', 'binary0 1 1field0 1 1value11 1 12'],
    ['proc.name= nginx', 'binary0 1 1field0 1 1value11 1 12'],
    ['proc.name = nginx', 'binary0 1 1field0 1 1value12 1 13'],
    ['proc.name in (nginx, apache)', 'binary0 1 1field0 1 1list13 1 14'],
    ['proc.name in ( nginx, apache)', 'binary0 1 1field0 1 1list13 1 14'],
    ['not proc.name=nginx', 'not0 1 1binary4 1 5field4 1 5value14 1 15'],
    ['proc.name=nginx or proc.name=apache', 'or0 1 1binary0 1 1field0 1 1value10 1 11binary19 1 20field19 1 20value29 1 30'],
    ['(proc.name=nginx or proc.name=apache)', 'or1 1 2binary1 1 2field1 1 2value11 1 12binary20 1 21field20 1 21value30 1 31'],
    ['proc.name=nginx and proc.name=apache', 'and0 1 1binary0 1 1field0 1 1value10 1 11binary20 1 21field20 1 21value30 1 31'],
    ['(proc.name=nginx and proc.name=apache)', 'and1 1 2binary1 1 2field1 1 2value11 1 12binary21 1 22field21 1 22value31 1 32'],
    [
      '(proc.aname[2]=nginx and evt.type in (connect,accept)) or (not fd.name exists) or (proc.name=apache and evt.type=switch)',
      'or0 1 1and1 1 2binary1 1 2field1 1 2value15 1 16binary25 1 26field25 1 26list37 1 38not59 1 60unary63 1 64field63 1 64' +
        'and83 1 84binary83 1 84field83 1 84value93 1 94binary104 1 105field104 1 105value113 1 114',
    ],
    [
      '\n(proc.aname[2]=nginx\n     and evt.type in (connect,accept))\n   or (not fd.name exists)\n   or (proc.name=apache\n       and evt.type=switch)',
      'or0 1 1and2 2 2binary2 2 2field2 2 2value16 2 16binary31 3 10field31 3 10list43 3 22not68 4 8unary72 4 12field72 4 12' +
        'and95 5 8binary95 5 8field95 5 8value105 5 18binary123 6 12field123 6 12value132 6 21',
    ],
    // libsinsp keeps val(...) as a transformer node ("transformer55 1 56field59 1 60"); Kestrel's AST
    // holds the compared field itself, at the same place as libsinsp's inner field
    [
      'b64(evt.name) exists and tolower(toupper(evt.type)) in val(some.field) or proc.name=b64(tolower(some.field))',
      'or0 1 1and0 1 1unary0 1 1transformer0 1 1field4 1 5binary25 1 26transformer25 1 26transformer33 1 34field41 1 42' +
        'field59 1 60binary74 1 75field74 1 75transformer84 1 85transformer88 1 89field96 1 97',
    ],
  ])('%j -> %s', (text, expected) => {
    expect(positions(text)).toBe(expected);
  });

  it('places a transformer list inside its transformer (position_transformer_list)', () => {
    const p = positions('join("-", (fd.name, fd.directory)) = value');
    expect(p).toContain('transformer0 1 1');
    expect(p).toContain('transformer_list');
  });
});
