// Lists and macros, with Falco's semantics: list names expand inside value lists (names that
// name no list stay literal, quoted names never expand), lists nest, macros inline (nested),
// a macro sees only earlier macros, undefined macros and reference loops are errors.
import { describe, expect, it } from 'vitest';
import { audit, errorCodes, fired, k8sRule, load, posOf, where, yaml } from './helpers.js';

const user = (name: string) => audit({ verb: 'get', user: { username: name } });

describe('lists', () => {
  it('expands a list named inside a value list', () => {
    const r = load(yaml`
      - list: admins
        items: [alice, bob]
      ${k8sRule('admin', 'ka.user.name in (admins)')}
    `);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('alice'))).toEqual(['admin']);
    expect(fired(r, user('bob'))).toEqual(['admin']);
    expect(fired(r, user('admins'))).toEqual([]);
  });

  it('expands a list named right after a list modifier or a list operator, as Falco substitutes it', () => {
    const r = load(yaml`
      - list: system_prefixes
        items: ["system:", kube-]
      - list: oneof
        items: [carol]
      ${k8sRule('prefixed', 'ka.user.name startswith anyof system_prefixes')}
      ${k8sRule('named oneof', 'ka.user.name = anyof oneof')}
      ${k8sRule('in a name', 'ka.user.name in oneof')}
    `);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('system:kubelet'))).toEqual(['prefixed']);
    expect(fired(r, user('kube-proxy'))).toEqual(['prefixed']);
    expect(fired(r, user('carol'))).toEqual(['named oneof', 'in a name']);
    expect(fired(r, user('system_prefixes'))).toEqual([]);
  });

  it('refuses a list modifier followed by a name that names no list, at the name', () => {
    const text = yaml`
      ${k8sRule('typo', 'ka.user.name startswith anyof sytem_prefixes')}
    `;
    const r = load(text);
    expect(r.errors.map((e) => [where(e), e.message])).toEqual([
      [posOf('rules.yaml', text, 'sytem_prefixes'), expect.stringMatching(/list modifier 'anyof' needs a list of values, and 'sytem_prefixes' is not a list/)],
    ]);
  });

  it('keeps a name that names no list as a literal string, and mixes names and literals', () => {
    const r = load(yaml`
      - list: admins
        items: [alice]
      ${k8sRule('mixed', 'ka.user.name in (admins, carol, "dave")')}
    `);
    expect(r.errors).toEqual([]);
    for (const u of ['alice', 'carol', 'dave']) expect(fired(r, user(u))).toEqual(['mixed']);
    expect(fired(r, user('admins'))).toEqual([]);
  });

  it('never expands a quoted name', () => {
    const r = load(yaml`
      - list: admins
        items: [alice]
      ${k8sRule('quoted', 'ka.user.name in ("admins", \'admins\')')}
    `);
    expect(fired(r, user('admins'))).toEqual(['quoted']);
    expect(fired(r, user('alice'))).toEqual([]);
  });

  it('expands a list named in another list defined after it (nested lists)', () => {
    const r = load(yaml`
      - list: humans
        items: [alice]
      - list: everyone
        items: [humans, robot]
      ${k8sRule('any', 'ka.user.name in (everyone)')}
    `);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('alice'))).toEqual(['any']);
    expect(fired(r, user('robot'))).toEqual(['any']);
    expect(fired(r, user('humans'))).toEqual([]);
    expect(r.warnings).toEqual([]); // humans counts as used
  });

  it('expands one level of nesting per list, as Falco substitutes lists in definition order', () => {
    // c <- b <- a, each defined after the previous: a's items are b's items as written, so `c`
    // inside them is left as a literal (Falco: c's substitution pass ran before a's).
    const r = load(yaml`
      - list: c
        items: [carol]
      - list: b
        items: [c, bob]
      - list: a
        items: [b, alice]
      ${k8sRule('a', 'ka.user.name in (a)')}
    `);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('alice'))).toEqual(['a']);
    expect(fired(r, user('bob'))).toEqual(['a']);
    expect(fired(r, user('c'))).toEqual(['a']);
    expect(fired(r, user('carol'))).toEqual([]);
  });

  it('expands a name in a list that refers to a list defined later (Falco substitutes it in a later pass)', () => {
    const r = load(yaml`
      - list: early
        items: [late, alice]
      - list: late
        items: [zed]
      ${k8sRule('early', 'ka.user.name in (early)')}
    `);
    expect(fired(r, user('zed'))).toEqual(['early']);
    expect(fired(r, user('late'))).toEqual([]);
  });

  it('reads list items as condition values: spaces get quotes, explicit quotes and escapes are honoured, numbers stay text', () => {
    const r = load(yaml`
      - list: odd
        items: ["bob smith", '"sh -c \\"x\\""', 8080, '"(systemd)"']
      ${k8sRule('odd', 'ka.user.name in (odd)')}
    `);
    expect(r.errors).toEqual([]);
    for (const u of ['bob smith', 'sh -c "x"', '8080', '(systemd)']) expect(fired(r, user(u))).toEqual(['odd']);
    expect(fired(r, user('bob'))).toEqual([]);
    expect(fired(r, user('"(systemd)"'))).toEqual([]);
  });

  it('does not loop on lists that name each other or themselves: a name not expanded stays literal', () => {
    const r = load(yaml`
      - list: a
        items: [alice]
      - list: b
        items: [a, bob]
      - list: a
        items: [b, a, carol]
      ${k8sRule('r', 'ka.user.name in (a)')}
    `);
    expect(r.errors).toEqual([]);
    // As Falco computes it: the lists hold their last definitions, b = [b, a, carol, bob] (a's
    // items), a = [a, bob] + [b, a, carol] + [carol]; in the condition `a` expands once, then
    // `b` (defined after a) once more; names met again stay literal.
    for (const u of ['a', 'b', 'bob', 'carol']) expect(fired(r, user(u))).toEqual(['r']);
    expect(fired(r, user('alice'))).toEqual([]);
  });

  it('treats an empty list as no values', () => {
    const r = load(yaml`
      - list: nobody
        items: []
      ${k8sRule('empty', 'ka.user.name in (nobody, alice)')}
    `);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('alice'))).toEqual(['empty']);
    expect(fired(r, user('nobody'))).toEqual([]);
  });

  it('replaces a list redefined later, keeps appends in order', () => {
    const r = load([
      yaml`
        - list: admins
          items: [alice]
        ${k8sRule('admin', 'ka.user.name in (admins)')}
      `,
      yaml`
        - list: admins
          items: [bob]
        - list: admins
          items: [carol]
          override:
            items: append
        - list: admins
          items: [dave]
          append: true
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('alice'))).toEqual([]);
    for (const u of ['bob', 'carol', 'dave']) expect(fired(r, user(u))).toEqual(['admin']);
    expect(r.warnings.map((w) => w.code)).toEqual(['deprecated-item']); // append: true
  });

  it('expands lists inside macros and exceptions', () => {
    const r = load(yaml`
      - list: admins
        items: [alice]
      - macro: is_admin
        condition: ka.user.name in (admins)
      ${k8sRule('r', 'is_admin or ka.user.name = bob', '  exceptions:\n    - name: ex\n      fields: ka.user.name\n      values: [admins]\n')}
    `);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('bob'))).toEqual(['r']);
    expect(fired(r, user('alice'))).toEqual([]); // excepted through the list
  });
});

describe('macros', () => {
  it('inlines macros, nested, in rules', () => {
    const r = load(yaml`
      - macro: is_get
        condition: ka.verb = get
      - macro: alice_gets
        condition: is_get and ka.user.name = alice
      ${k8sRule('r', 'alice_gets and not ka.target.resource = secrets')}
    `);
    expect(r.errors).toEqual([]);
    expect(fired(r, audit({ verb: 'get', user: { username: 'alice' }, objectRef: { resource: 'pods' } }))).toEqual(['r']);
    expect(fired(r, audit({ verb: 'list', user: { username: 'alice' }, objectRef: { resource: 'pods' } }))).toEqual([]);
    expect(fired(r, audit({ verb: 'get', user: { username: 'alice' }, objectRef: { resource: 'secrets' } }))).toEqual([]);
  });

  it('lets a rule use a macro defined after it, and a later definition replace a macro', () => {
    const r = load([
      yaml`
        ${k8sRule('r', 'is_alice')}
        - macro: is_alice
          condition: ka.user.name = alice
      `,
      yaml`
        - macro: is_alice
          condition: ka.user.name = alicia
      `,
    ]);
    expect(r.errors).toEqual([]);
    expect(fired(r, user('alicia'))).toEqual(['r']);
    expect(fired(r, user('alice'))).toEqual([]);
  });

  it('appends to a macro condition with a space (override append and legacy append)', () => {
    const r = load(yaml`
      - macro: m
        condition: ka.user.name = a
      - macro: m
        condition: or ka.user.name = b
        override:
          condition: append
      - macro: m
        condition: or ka.user.name = c
        append: true
      ${k8sRule('r', 'm')}
    `);
    expect(r.errors).toEqual([]);
    for (const u of ['a', 'b', 'c']) expect(fired(r, user(u))).toEqual(['r']);
    expect(fired(r, user('d'))).toEqual([]);
  });

  it('reports a macro that refers to a macro defined after it (Falco: a macro sees only earlier macros)', () => {
    const text = yaml`
      - macro: first
        condition: second and ka.verb = get
      - macro: second
        condition: ka.user.name = a
      ${k8sRule('r', 'first')}
    `;
    const r = load(text);
    expect(errorCodes(r)).toEqual(['undefined-macro', 'macro-error']);
    expect(r.errors[0]!.message).toBe("Undefined macro 'second' used in filter.");
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'second and'));
    expect(r.errors[0]!.item).toEqual({ type: 'macro', name: 'first' });
    expect(r.errors[1]!.item).toEqual({ type: 'rule', name: 'r' });
  });

  it('reports a reference loop naming the cycle', () => {
    const text = yaml`
      - macro: a
        condition: ka.verb = get
      - macro: b
        condition: a and ka.user.name = x
      - macro: a
        condition: b or ka.verb = list
      ${k8sRule('r', 'a')}
    `;
    const r = load(text);
    expect(r.errors[0]!.code).toBe('macro-cycle');
    expect(r.errors[0]!.message).toBe("reference loop in macro 'a': a -> b -> a");
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'a and ka.user'));
    expect(r.rules).toEqual([]);
  });

  it('reports a macro that refers to itself', () => {
    const text = yaml`
      - macro: m
        condition: ka.verb = get
      - macro: m
        condition: m and ka.user.name = x
      ${k8sRule('r', 'm')}
    `;
    const r = load(text);
    expect(r.errors[0]!.code).toBe('macro-cycle');
    expect(r.errors[0]!.message).toBe("reference loop in macro 'm': m -> m");
  });

  it('reports every undefined macro of a rule at its place', () => {
    const text = yaml`
      ${k8sRule('r', 'nope1 and (ka.verb = get or nope2)')}
    `;
    const r = load(text);
    expect(errorCodes(r)).toEqual(['undefined-macro', 'undefined-macro']);
    expect(r.errors.map(where)).toEqual([posOf('rules.yaml', text, 'nope1'), posOf('rules.yaml', text, 'nope2')]);
    expect(r.errors.map((d) => d.item?.name)).toEqual(['r', 'r']);
  });
});
