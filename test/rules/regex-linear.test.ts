// `regex` runs on RE2 (linear time, POSIX syntax, whole value), as libsinsp's does: a pattern that
// backtracking engines take exponential time on evaluates at once, and what RE2 refuses is a load
// error at the value's file:line:col with RE2's message.
import { describe, expect, it } from 'vitest';
import { audit, load, posOf, where, yaml } from './helpers.js';

const rule = (condition: string) => yaml`
  - rule: Odd user agent
    desc: d
    condition: ${condition}
    output: agent=%ka.useragent
    priority: WARNING
    source: k8s_audit
`;

describe('regex operator (RE2)', () => {
  // With a backtracking engine `(a+)+$` on 30 'a' and a '!' takes 2^30 steps (46 s measured);
  // RE2 decides it in one pass. The vitest timeout is the only clock here.
  it('evaluates a catastrophic-backtracking pattern on a hostile user agent promptly', { timeout: 10_000 }, () => {
    const r = load(rule('ka.useragent regex "(a+)+$"'));
    expect(r.errors).toEqual([]);
    const rs = r.ruleset.forSource('k8s_audit')!;
    expect(rs.evaluate(audit({ userAgent: 'a'.repeat(30) + '!' }))).toHaveLength(0);
    expect(rs.evaluate(audit({ userAgent: 'a'.repeat(5000) + '!' }))).toHaveLength(0);
    expect(rs.evaluate(audit({ userAgent: 'a'.repeat(30) })).map((a) => a.rule)).toEqual(['Odd user agent']);
  });

  it('matches the whole value, ^ and $ also at line breaks (RE2 POSIX mode, ANCHOR_BOTH)', () => {
    const rs = load(rule('ka.useragent regex "kubectl/v1\\\\.[0-9]+.*"')).ruleset.forSource('k8s_audit')!;
    expect(rs.evaluate(audit({ userAgent: 'kubectl/v1.29.3 (linux/amd64)' }))).toHaveLength(1);
    expect(rs.evaluate(audit({ userAgent: 'x kubectl/v1.29.3' }))).toHaveLength(0);
    const ml = load(rule('ka.useragent regex "a$\\nb"')).ruleset.forSource('k8s_audit')!;
    expect(ml.evaluate(audit({ userAgent: 'a\nb' }))).toHaveLength(1);
  });

  it('reports a lookahead RE2 refuses as a load error at the value, with RE2 message', () => {
    const text = rule('ka.useragent regex "(?=curl)c.*"');
    const r = load(text);
    expect(r.errors.map((d) => d.code)).toEqual(['bad-regex']);
    expect(r.errors[0]!.message).toMatch(/invalid regex pattern: error parsing regexp: missing argument to repetition operator: `\?`/);
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, '"(?=curl)'));
  });

  it('reports a backreference as a load error', () => {
    const r = load(rule('ka.useragent regex "(a)\\\\1"'));
    expect(r.errors[0]?.message).toMatch(/invalid escape sequence: `\\1`/);
  });

  it('refuses a pattern whose program exceeds RE2 memory budget', () => {
    const big = Array.from({ length: 100 }, (_, i) => `${i}[a-z]{1000}`).join('|');
    const r = load(rule(`ka.useragent regex "${big}"`));
    expect(r.errors[0]?.message).toMatch(/pattern too large - compile failed/);
  });
});
