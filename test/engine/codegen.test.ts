// The generated predicates: rule text never becomes code, and the generated function agrees with
// the semantics the operator tests check through it.
import { describe, expect, it } from 'vitest';
import { m, pred } from './fixtures/helpers.js';
import { generate, type Tree } from '../../src/engine/codegen.js';

const hostile = [
  '"); throw new Error("pwned"); ("',
  "'); globalThis.pwned = 1; ('",
  '`${globalThis.pwned = 1}`',
  '*/ globalThis.pwned = 1; /*',
  '\\u0027); globalThis.pwned = 1; //',
  '__proto__',
  'constructor',
];

describe('generated predicates', () => {
  it('keep every rule-derived value out of the generated source', () => {
    for (const h of hostile) {
      const q = JSON.stringify(h);
      const conditions = [
        `proc.name = ${q}`,
        `proc.name in (${q}, other)`,
        `proc.cmdline contains ${q}`,
        `proc.cmdline startswith ${q} or proc.cmdline endswith ${q}`,
        `ka.uri.param[${q}] = x`,
        `fd.name glob ${q}`,
      ];
      for (const c of conditions) {
        const p = pred(c);
        expect(p.toString()).not.toContain(h);
        expect(p.toString()).toMatch(/^function condition\(e\) \{ let v; return [\w\s().,!=&|?:<>;[\]]*; \}$/);
        expect(() => p({ code: 0, ts: 0n, f: { 'proc.name': h, 'proc.cmdline': h, 'fd.name': h } })).not.toThrow();
      }
    }
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
  });

  it('match hostile values as plain data', () => {
    for (const h of hostile) {
      const q = JSON.stringify(h);
      expect(m(`proc.name = ${q}`, { 'proc.name': h })).toBe(true);
      expect(m(`proc.name in (${q})`, { 'proc.name': h })).toBe(true);
      expect(m(`proc.name in (${q})`, { 'proc.name': 'x' })).toBe(false);
      expect(m(`ka.uri.param[${q}] = ok`, { [`param:${h}`]: 'ok' })).toBe(true);
    }
  });

  it('short-circuit like the condition reads, with nested not/and/or', () => {
    const p = pred('not (proc.name = a and (proc.pid = 1 or not fd.name startswith /tmp)) or user.uid = 0');
    const e = (f: Record<string, unknown>) => ({ code: 0, ts: 0n, f: f as never });
    expect(p(e({ 'proc.name': 'a', 'proc.pid': 1, 'user.uid': 5 }))).toBe(false);
    expect(p(e({ 'proc.name': 'a', 'proc.pid': 2, 'fd.name': '/tmp/x', 'user.uid': 5 }))).toBe(true);
    expect(p(e({ 'proc.name': 'a', 'proc.pid': 2, 'fd.name': '/etc', 'user.uid': 0 }))).toBe(true);
    expect(p(e({ 'proc.name': 'b' }))).toBe(true);
  });
});

describe('generated predicates for very large conditions', () => {
  it('take 100,000 checks (200,000 values: past what spread arguments fit on the stack)', () => {
    const n = 100_000;
    const leaves: Tree<{ v: string }>[] = Array.from({ length: n }, (_, i) => ({
      kind: 'scalar',
      get: (e: { v: string }) => e.v,
      test: () => false,
      ne: true,
      fast: { op: '!==', k: `v${i}` },
      key: `k${i}`,
    }));
    const p = generate<{ v: string }>({ kind: 'and', children: leaves });
    expect(p({ v: 'other' })).toBe(true);
    expect(p({ v: `v${n - 1}` })).toBe(false); // the last check reads a value held in the K array
  });
});
