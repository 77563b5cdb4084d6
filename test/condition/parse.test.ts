import { describe, expect, it } from 'vitest';
import type { ValueExpr } from '../../src/condition/ast.js';
import { parseCondition } from '../../src/condition/parse.js';
import { leftOf, rightOf, show } from './parse-print.js';

const tree = (text: string) => show(parseCondition(text));

describe('boolean structure (libsinsp precedence: or < and < not)', () => {
  it.each([
    ['a or b and c', '(or a (and b c))'],
    ['a and b or c', '(or (and a b) c)'],
    ['not a and b', '(and (not a) b)'],
    ['not a or b', '(or (not a) b)'],
    ['a and not b and c', '(and a (not b) c)'],
    ['a or b or c', '(or a b c)'],
    ['a and b and c', '(and a b c)'],
    ['a.a=1 or b.b=2 and c', '(or (= a.a 1) (and (= b.b 2) c))'],
    ['not a.b = 1', '(not (= a.b 1))'],
    ['not a.a exists', '(not (exists a.a))'],
  ])('%s', (text, expected) => {
    expect(tree(text)).toBe(expected);
  });

  it('groups with parentheses and keeps parenthesised groups as their own nodes', () => {
    expect(tree('(a or b) and c')).toBe('(and (or a b) c)');
    expect(tree('not (a or b)')).toBe('(not (or a b))');
    expect(tree('(a or b) or c')).toBe('(or (or a b) c)');
    expect(tree('a or (b or c)')).toBe('(or a (or b c))');
    expect(tree('((a))')).toBe('a');
    expect(tree('(a.a exists and b)')).toBe('(and (exists a.a) b)');
  });

  it('accepts "(" right after and/or/not, as libsinsp does', () => {
    expect(tree('a and b and(c)')).toBe('(and a b c)');
    expect(tree('(a)and(b)and(c)')).toBe('(and a b c)');
    expect(tree('(a)or(b)or(c)')).toBe('(or a b c)');
    expect(tree('not(a)')).toBe('(not a)');
    expect(tree('not(a)and(not(b))')).toBe('(and (not a) (not b))');
    expect(tree('a and(b) or c')).toBe('(or (and a b) c)');
  });

  it('cancels an even number of nots like libsinsp (no double-negation nodes)', () => {
    expect(tree('not not a')).toBe('a');
    expect(tree('not not not a')).toBe('(not a)');
    expect(tree('not not(a)')).toBe('a');
    // only the nots of one run cancel; a parenthesised not is a separate negation
    expect(tree('not(not(a))')).toBe('(not (not a))');
    expect(tree('not (not (a))')).toBe('(not (not a))');
    // libsinsp's own test case: expr_multi_negation
    expect(tree('not not not not not(not not(not not_macro))')).toBe('(not (not not_macro))');
  });

  it('reads bare identifiers in condition position as macro references', () => {
    const e = parseCondition('spawned_process and container');
    expect(show(e)).toBe('(and spawned_process container)');
    expect(e.kind === 'and' && e.children.map((c) => c.kind)).toEqual(['identifier', 'identifier']);
  });
});

describe('keyword boundaries', () => {
  it.each([
    ['notx and a and b', '(and notx a b)'],
    ['a and notb', '(and a notb)'],
    ['a or notb', '(or a notb)'],
    ['macro and not_macro', '(and macro not_macro)'],
    ['macro and not not_macro', '(and macro (not not_macro))'],
    ['macro and and_macro', '(and macro and_macro)'],
    ['macro and or_macro', '(and macro or_macro)'],
    ['a and andy', '(and a andy)'],
    ['ornament or origin', '(or ornament origin)'],
    ['nota.b exists', '(exists nota.b)'],
    ['andx.y = 1', '(= andx.y 1)'],
  ])('%s', (text, expected) => {
    expect(tree(text)).toBe(expected);
  });

  it('treats keywords in value position as plain values', () => {
    expect(tree('a.b = not')).toBe('(= a.b not)');
    expect(tree('a.b = and')).toBe('(= a.b and)');
    expect(tree('a.b = or or c')).toBe('(or (= a.b or) c)');
    expect(tree('a.b in (and, or, not)')).toBe('(in a.b [and, or, not])');
  });

  it('lets "and"/"or" follow a token without a blank where libsinsp does', () => {
    expect(tree('a.b > 5or c')).toBe('(or (> a.b 5) c)');
    expect(tree('a.b exists and(c)')).toBe('(and (exists a.b) c)');
    expect(tree('test.op existsand macro')).toBe('(and (exists test.op) macro)');
    expect(tree('a.b = "x"and c')).toBe('(and (= a.b "x") c)');
  });

  it('reads a lone keyword where a check is expected as an identifier, exactly as libsinsp', () => {
    // libsinsp's identifier regex does not exclude keywords; the loader then reports the unknown macro.
    expect(tree('not')).toBe('not');
    expect(tree('a and and')).toBe('(and a and)');
    expect(tree('a and not')).toBe('(and a not)');
  });
});

describe('whitespace', () => {
  const conditions = [
    'a and b and c',
    'not (a or b)',
    'evt.type in (open, openat) and fd.name startswith /etc',
    'proc.aname[2] = nginx or not fd.name exists',
    'tolower(proc.name) = bash and proc.pname = val(proc.name)',
    'join("-", (fd.name, fd.directory)) exists',
  ];

  it.each(conditions)('accepts %s with spaces turned into newlines, tabs, CR and padding', (text) => {
    const expected = tree(text);
    expect(tree(` ${text} `)).toBe(expected);
    expect(tree(`\n${text.replaceAll(' ', '\n')}\n`)).toBe(expected);
    expect(tree(`\t${text.replaceAll(' ', '\t')}\t`)).toBe(expected);
    expect(tree(text.replaceAll(' ', ' \r\n  \t'))).toBe(expected);
  });

  it('allows blanks anywhere between tokens, none inside them', () => {
    expect(tree('(\n  a\n  and\n  b\n)')).toBe('(and a b)');
    expect(tree('x.y   =   z')).toBe('(= x.y z)');
    expect(tree('x.y in (\n  a ,\n  "b c"\n,c\n)')).toBe('(in x.y [a, "b c", c])');
    expect(tree('b64( b64( x.y ) ) exists')).toBe('(exists b64(b64(x.y)))');
    expect(tree('x.y = val( z.w )')).toBe('(= x.y z.w)');
  });

  it('counts backspace as a blank (libsinsp lex_blank) and \\v/\\f only after "not"', () => {
    expect(tree('a\band\bb')).toBe('(and a b)');
    expect(tree('not\fa')).toBe('(not a)');
    expect(tree('not\va')).toBe('(not a)');
    expect(() => parseCondition('a\fand b')).toThrow();
  });

  it('needs no blank around symbolic operators', () => {
    expect(tree('a.b=c')).toBe('(= a.b c)');
    expect(tree('a.b==c')).toBe('(== a.b c)');
    expect(tree('a.b!=c')).toBe('(!= a.b c)');
    expect(tree('a.b<1')).toBe('(< a.b 1)');
    expect(tree('a.b<=1')).toBe('(<= a.b 1)');
    expect(tree('a.b>1')).toBe('(> a.b 1)');
    expect(tree('a.b>=1')).toBe('(>= a.b 1)');
    expect(tree('a.b in(x)')).toBe('(in a.b [x])');
    expect(tree('a.b intersects()')).toBe('(intersects a.b [])');
    expect(tree('a.b pmatch(/x)')).toBe('(pmatch a.b [/x])');
  });
});

describe('operators', () => {
  it.each(['contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex'])(
    'word operator %s takes a string value',
    (op) => {
      expect(tree(`x.y ${op} abc`)).toBe(`(${op} x.y abc)`);
      expect(tree(`x.y ${op} "a b"`)).toBe(`(${op} x.y "a b")`);
      expect(tree(`x.y ${op}\nabc`)).toBe(`(${op} x.y abc)`);
    },
  );

  it.each(['=', '==', '!='])('%s takes a string value', (op) => {
    expect(tree(`x.y ${op} abc`)).toBe(`(${op} x.y abc)`);
    expect(tree(`x.y ${op} 'a b'`)).toBe(`(${op} x.y "a b")`);
  });

  it.each(['<', '<=', '>', '>='])('%s takes a number', (op) => {
    expect(tree(`x.y ${op} 10`)).toBe(`(${op} x.y 10)`);
    expect(tree(`x.y ${op} 0x1F`)).toBe(`(${op} x.y 0x1F)`);
  });

  it.each(['in', 'intersects', 'pmatch'])('%s takes a list, a list name or a field', (op) => {
    expect(tree(`x.y ${op} (a, b)`)).toBe(`(${op} x.y [a, b])`);
    expect(tree(`x.y ${op} my_list`)).toBe(`(${op} x.y my_list)`);
    expect(tree(`x.y ${op} val(z.w)`)).toBe(`(${op} x.y z.w)`);
  });

  it('parses exists as a unary check', () => {
    const e = parseCondition('k8s.pod.name exists');
    expect(e.kind).toBe('unary');
    expect(show(e)).toBe('(exists k8s.pod.name)');
  });

  it('reads a list name after a list operator, even without a blank (libsinsp: "in" needs none)', () => {
    const r = rightOf(parseCondition('evt.type in open')) as ValueExpr;
    expect(r).toMatchObject({ kind: 'value', value: 'open', quoted: false });
    expect(tree('evt.type inopen')).toBe('(in evt.type open)');
  });

  describe('list modifiers oneof/anyof/allof (Falco 0.44, string operators only)', () => {
    it.each([
      ['proc.name startswith anyof (kube-, etcd-)', '(startswith:anyof proc.name [kube-, etcd-])'],
      ['proc.name != allof (sshd, sudo, su)', '(!=:allof proc.name [sshd, sudo, su])'],
      ['proc.name = anyof (sshd)', '(=:anyof proc.name [sshd])'],
      ['proc.cmdline contains allof (curl, bash)', '(contains:allof proc.cmdline [curl, bash])'],
      ['proc.name glob oneof ("*.sh *", "python *")', '(glob:oneof proc.name ["*.sh *", "python *"])'],
      ['proc.name regex anyof ("^py.*$")', '(regex:anyof proc.name ["^py.*$"])'],
      ['tolower(proc.name) endswith anyof (a)', '(endswith:anyof tolower(proc.name) [a])'],
    ])('%s', (text, expected) => {
      expect(tree(text)).toBe(expected);
    });

    it('keeps the words as plain values when no list follows', () => {
      expect(tree('proc.name = anyof')).toBe('(= proc.name anyof)');
      expect(tree('proc.name = allof and x.y exists')).toBe('(and (= proc.name allof) (exists x.y))');
      expect(tree('proc.name = oneofx')).toBe('(= proc.name oneofx)');
    });

    it('rejects them after numeric and list operators', () => {
      expect(() => parseCondition('fd.num >= oneof (1, 2)')).toThrow(/expected "val\(", transformer or number/);
      expect(() => parseCondition('proc.name in anyof (a)')).toThrow(/but found "\(" at 1:20/);
    });
  });
});

describe('values', () => {
  const value = (text: string) => rightOf(parseCondition(text)) as ValueExpr;

  it('accepts libsinsp bare values: anything but blanks, quotes, parentheses, "=" and ","', () => {
    for (const v of ['/tmp/*.log', '127.0.0.1', '10.0.0.0/8', '*', '<', '>', '<NA>', '-1', 'a:b', 'C:\\x', '[]{}|', 'x]y']) {
      expect(value(`x.y = ${v}`)).toMatchObject({ value: v, quoted: false });
    }
    expect(value('test.str = 0a!@#456:/\\.;!$%^&*[]{}|').value).toBe('0a!@#456:/\\.;!$%^&*[]{}|');
    expect(value('x.y = héllo').value).toBe('héllo');
  });

  it('keeps numbers as text, decimal and hexadecimal, for the compiler to convert', () => {
    for (const v of ['1000', '+1', '-1', '1.2', '-1.2', '-0.1222e+10', '0x12345', '0XaB00AB', '1.']) {
      expect(value(`x.n > ${v}`)).toMatchObject({ value: v, quoted: false });
    }
    // with a string operator numbers are just bare strings
    expect(value('x.s = 0xAAA.1').value).toBe('0xAAA.1');
  });

  it('unquotes double- and single-quoted strings and marks them quoted', () => {
    expect(value('x.y = "a b"')).toMatchObject({ value: 'a b', quoted: true });
    expect(value("x.y = 'a b'")).toMatchObject({ value: 'a b', quoted: true });
    expect(value('x.y = ""')).toMatchObject({ value: '', quoted: true });
    expect(value("x.y = ''")).toMatchObject({ value: '', quoted: true });
    expect(value('x.y = "(systemd)"').value).toBe('(systemd)');
    expect(value('x.y = "a, b = c"').value).toBe('a, b = c');
    expect(value("x.y = \"mixed '\"").value).toBe("mixed '");
    expect(value("x.y = 'mixed \"'").value).toBe('mixed "');
    expect(value('x.y = "multi\nline"').value).toBe('multi\nline');
  });

  it("applies libsinsp's escapes", () => {
    expect(value('x.y = "a\\"b"').value).toBe('a"b');
    expect(value("x.y = 'it\\'s'").value).toBe("it's");
    expect(value('x.y = "\\b\\f\\n\\r\\t"').value).toBe('\b\f\n\r\t');
    expect(value('x.y = "C:\\\\dir\\/x"').value).toBe('C:\\dir/x');
    // "\ " is a legacy escape that yields a backslash (falco_rules.yaml relies on it)
    expect(value('x.y = "\\ "').value).toBe('\\');
    // a quote right after a backslash never ends the string, even after an escaped backslash
    expect(value('x.y = "a\\\\" or b"').value).toBe('a\\" or b');
  });

  it('decodes \\xHH byte escapes, keeping the bytes when they are not UTF-8', () => {
    expect(value('x.y = "\\x41\\x42"')).toMatchObject({ value: 'AB' });
    expect(value('x.y = "\\x41\\x42"').bytes).toBeUndefined();
    expect(value('x.y = "caf\\xc3\\xa9"').value).toBe('café');
    const v = value('x.y = "/tmp/\\xff"');
    expect(v.bytes).toEqual(Uint8Array.from([0x2f, 0x74, 0x6d, 0x70, 0x2f, 0xff]));
    expect(v.value).toBe('/tmp/\ufffd');
  });

  it('parses lists with bare, quoted and numeric items, list names and the empty list', () => {
    const list = rightOf(parseCondition('x.y in (a, "b c", 3, my_list, \'d\')'));
    expect(show(list)).toBe('[a, "b c", 3, my_list, "d"]');
    expect(list.kind === 'list' && list.items.map((i) => i.quoted)).toEqual([false, true, false, false, true]);
    expect(tree('x.y in ()')).toBe('(in x.y [])');
    expect(tree('x.y in (  )')).toBe('(in x.y [])');
    expect(tree('x.y in (single)')).toBe('(in x.y [single])');
    expect(tree('x.y pmatch (/var/run, /var/spool)')).toBe('(pmatch x.y [/var/run, /var/spool])');
  });

  it('reads a field-looking bare value as a string, not a field (libsinsp)', () => {
    expect(value('some.field = test.field')).toMatchObject({ kind: 'value', value: 'test.field', quoted: false });
  });

  it('reads val(field) as a field on the right-hand side', () => {
    expect(rightOf(parseCondition('proc.name = val(proc.pname)'))).toMatchObject({ kind: 'field', field: 'proc.pname' });
    expect(tree('proc.name = val(proc.aname[2])')).toBe('(= proc.name proc.aname[2])');
    expect(tree('x.n > val(y.n)')).toBe('(> x.n y.n)');
    expect(tree('x.y in val(y.z)')).toBe('(in x.y y.z)');
  });
});

describe('fields', () => {
  it.each([
    ['proc.aname[2] = nginx', 'proc.aname[2]'],
    ['evt.arg[0] contains /bin', 'evt.arg[0]'],
    ['evt.arg[a] contains /bin', 'evt.arg[a]'],
    ['ka.uri.param[command] exists', 'ka.uri.param[command]'],
    ['jevt.value[/user/username] = x', 'jevt.value[/user/username]'],
    ['container.mount.dest[/var/run/docker.sock] exists', 'container.mount.dest[/var/run/docker.sock]'],
    ['test.str[+0.25e+10] = a', 'test.str[+0.25e+10]'],
    ['test.str[0a!@#456:/\\.;!$%^&*(){}|] = a', 'test.str[0a!@#456:/\\.;!$%^&*(){}|]'],
    ['k8s.ns.name = x', 'k8s.ns.name'],
    ['proc.is_exe_upper_layer = true', 'proc.is_exe_upper_layer'],
    ['ka.req.pod.containers.image.repository exists', 'ka.req.pod.containers.image.repository'],
  ])('%s', (text, field) => {
    expect(show(leftOf(parseCondition(text)))).toBe(field);
  });

  it('unquotes quoted arguments and tells [""] from no argument', () => {
    expect(leftOf(parseCondition('test.str["a b"] = x'))).toMatchObject({ field: 'test.str', arg: 'a b' });
    expect(leftOf(parseCondition("test.str['a]b'] = x"))).toMatchObject({ arg: 'a]b' });
    expect(leftOf(parseCondition('test.str["test \\"with\\"escaping"] = a'))).toMatchObject({ arg: 'test "with"escaping' });
    expect(leftOf(parseCondition('test.str[""] = x'))).toMatchObject({ arg: '' });
    expect('arg' in leftOf(parseCondition('test.str = x'))).toBe(false);
  });
});

describe('transformers', () => {
  it.each(['tolower', 'toupper', 'b64', 'basename', 'len'])('%s on the left', (name) => {
    const e = parseCondition(`${name}(proc.name) = x`);
    expect(leftOf(e)).toMatchObject({ kind: 'transformer', name, args: [{ kind: 'field', field: 'proc.name' }] });
  });

  it('nests, and works on both sides and with every operator kind', () => {
    expect(tree('b64(toupper(test.field)) exists')).toBe('(exists b64(toupper(test.field)))');
    expect(tree('tolower(some.field) = b64(test.field)')).toBe('(= tolower(some.field) b64(test.field))');
    expect(tree('len(proc.args) > 3')).toBe('(> len(proc.args) 3)');
    expect(tree('x.n >= len(y.s)')).toBe('(>= x.n len(y.s))');
    expect(tree('proc.name in tolower(proc.pname)')).toBe('(in proc.name tolower(proc.pname))');
    expect(tree('basename(proc.exepath) = tolower(proc.aname[1])')).toBe(
      '(= basename(proc.exepath) tolower(proc.aname[1]))',
    );
  });

  it('takes several arguments: join, concat, getopt (literals, fields, transformer lists)', () => {
    expect(tree('join(",", proc.args) contains x')).toBe('(contains join(",", proc.args) x)');
    expect(tree('join("-", (fd.name, fd.directory)) = /tmp/test')).toBe('(= join("-", {fd.name, fd.directory}) /tmp/test)');
    expect(tree('join("-", (tolower(fd.name), "lit", 123)) = x')).toBe('(= join("-", {tolower(fd.name), "lit", 123}) x)');
    expect(tree('join("-", ()) = x')).toBe('(= join("-", {}) x)');
    expect(tree('concat(fd.rip, ":", fd.rport) in ("8.8.8.8:53")')).toBe(
      '(in concat(fd.rip, ":", fd.rport) ["8.8.8.8:53"])',
    );
    expect(tree('getopt(proc.args, "nt:") intersects (n, t)')).toBe('(intersects getopt(proc.args, "nt:") [n, t])');
    expect(tree('toupper(join("-", (fd.name, fd.directory))) = VALUE')).toBe(
      '(= toupper(join("-", {fd.name, fd.directory})) VALUE)',
    );
    expect(tree('evt.type = b64(join("-", (fd.name, fd.directory)))')).toBe(
      '(= evt.type b64(join("-", {fd.name, fd.directory})))',
    );
  });

  it('keeps transformer-looking words as values when no "(" follows directly', () => {
    expect(tree('some.field = b64 and(some_macro)')).toBe('(and (= some.field b64) some_macro)');
    expect(tree('some.field = "some_fake_transformer(some_macro)"')).toBe(
      '(= some.field "some_fake_transformer(some_macro)")',
    );
    expect(tree('tolower and len')).toBe('(and tolower len)');
  });
});

describe('positions', () => {
  it('gives every node its 1-based line/column and 0-based offset', () => {
    const e = parseCondition('proc.name in (nginx, "apache")');
    expect(e.pos).toEqual({ line: 1, column: 1, offset: 0 });
    if (e.kind !== 'binary' || e.right.kind !== 'list') throw new Error('shape');
    expect(e.left.pos).toEqual({ line: 1, column: 1, offset: 0 });
    expect(e.right.pos).toEqual({ line: 1, column: 14, offset: 13 });
    expect(e.right.items.map((i) => i.pos.offset)).toEqual([14, 21]);
  });

  it('places and/or at their first operand, not at the first operand of a not; the outermost or at the start, blanks included (libsinsp)', () => {
    const e = parseCondition('  (a and b) or not c');
    expect(e.pos).toEqual({ line: 1, column: 1, offset: 0 });
    if (e.kind !== 'or') throw new Error('shape');
    expect(e.children[0]!.pos).toEqual({ line: 1, column: 4, offset: 3 }); // the inner and, after "("
    expect(e.children[1]).toMatchObject({ kind: 'not', pos: { line: 1, column: 16, offset: 15 } });
  });

  it('counts lines across a multi-line condition (libsinsp position_complex_multiline)', () => {
    const text = '\n(proc.aname[2]=nginx\n     and evt.type in (connect,accept))\n   or (not fd.name exists)\n   or (proc.name=apache\n       and evt.type=switch)';
    const e = parseCondition(text);
    if (e.kind !== 'or') throw new Error('shape');
    const [first, second, third] = e.children;
    expect(e.pos).toEqual({ line: 1, column: 1, offset: 0 }); // libsinsp: or0 1 1
    expect(first!.pos).toEqual({ line: 2, column: 2, offset: 2 });
    if (first!.kind !== 'and') throw new Error('shape');
    expect(first!.children[1]!.pos).toEqual({ line: 3, column: 10, offset: 31 });
    const list = rightOf(first!.children[1]!);
    expect(list.pos).toEqual({ line: 3, column: 22, offset: 43 });
    expect(second).toMatchObject({ kind: 'not', pos: { line: 4, column: 8, offset: 68 } });
    expect(third!.pos).toEqual({ line: 5, column: 8, offset: 95 });
    if (third!.kind !== 'and') throw new Error('shape');
    expect(rightOf(third!.children[1]!).pos).toEqual({ line: 6, column: 21, offset: 132 });
  });

  it('positions transformer arguments and val() fields', () => {
    const e = parseCondition('b64(evt.name) exists and tolower(toupper(evt.type)) in val(some.field)');
    if (e.kind !== 'and') throw new Error('shape');
    const [u, b] = e.children;
    expect(leftOf(u!).pos.offset).toBe(0);
    const inner = leftOf(u!);
    expect(inner.kind === 'transformer' && inner.args[0]!.pos.offset).toBe(4);
    expect(b!.pos.offset).toBe(25);
    const t = leftOf(b!);
    expect(t.kind === 'transformer' && t.args[0]!.pos.offset).toBe(33);
    expect(rightOf(b!).pos.offset).toBe(59);
  });
});
