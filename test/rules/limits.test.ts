// The loader on large and deep rules input (issue 14, defect 7): each input below once crashed
// the loader (RangeError) or ran for minutes into heap exhaustion; each now ends in a load or in
// an error at a file:line:col naming the limit (src/rules/limits.ts, `rules_limits` in the
// agent config). No timing is asserted: a hang shows as the vitest timeout.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/index.js';
import { DEFAULT_RULES_LIMITS } from '../../src/rules/limits.js';
import { audit, errorCodes, load, posOf, where, yaml } from './helpers.js';

const rule = (condition: string) => yaml`
  - rule: Big
    desc: d
    condition: ${condition}
    output: verb=%ka.verb
    priority: WARNING
    source: k8s_audit
`;

/** Macros m0..m{n-1}, each defined by `body(i)`, and a rule on the last. */
function macroChain(n: number, body: (i: number) => string): string {
  let text = `- macro: m0\n  condition: ka.verb = create\n`;
  for (let i = 1; i < n; i++) text += `- macro: m${i}\n  condition: ${body(i)}\n`;
  return text + rule(`m${n - 1}`);
}

const matches = (r: ReturnType<typeof load>, verb: string, user = 'u') => r.ruleset.forSource('k8s_audit')!.evaluate(audit({ verb, user: { username: user } })).length;

describe('rules loader limits', () => {
  it('refuses a condition of 60,000 and-clauses (once a RangeError in codegen) at the condition', () => {
    const cond = Array.from({ length: 60_000 }, (_, i) => `ka.verb != v${i}`).join(' and ');
    const text = rule(cond);
    const r = load(text);
    expect(errorCodes(r)).toEqual(['condition-too-large']);
    expect(r.errors[0]!.message).toMatch(/condition is \d+ bytes, more than 262144 \(rules_limits.max_condition_bytes\)/);
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'ka.verb != v0'));
  });

  it('refuses a chain of 5,000 macros each nesting the last (once a RangeError in event-type analysis) where nesting passes 1,000', () => {
    const text = macroChain(5000, (i) => `(m${i - 1} and ka.user.name != u${i})`);
    const r = load(text);
    expect(errorCodes(r)).toEqual(['condition-too-large']);
    expect(r.errors[0]!.message).toBe('condition nests deeper than 1000 levels once macros are inlined (rules_limits.max_condition_depth)');
    // the and/or/not level that passes the limit, inside the macro that adds it
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'm1000 and'));
  });

  it('loads and evaluates a condition nested exactly at the depth limit (every pass after the check survives it)', () => {
    const r = load(macroChain(DEFAULT_RULES_LIMITS.maxConditionDepth, (i) => `(m${i - 1} and ka.user.name != u${i})`));
    expect(r.errors).toEqual([]);
    expect(matches(r, 'create')).toBe(1);
    expect(matches(r, 'create', 'u7')).toBe(0);
    expect(matches(r, 'delete')).toBe(0);
  });

  it('refuses macros doubling at each of 40 levels (2^40 nodes, once exponential time and memory) without expanding them', () => {
    const text = macroChain(41, (i) => `(m${i - 1} or m${i - 1})`);
    const r = load(text);
    expect(errorCodes(r)).toEqual(['condition-too-large']);
    expect(r.errors[0]!.message).toBe('condition has more than 200000 nodes once macros and lists are expanded (rules_limits.max_condition_nodes)');
    // the first macro whose expansion passes 200,000 nodes: m17 (2^18 - 1 nodes)
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'm16 or m16'));
  });

  it('loads the doubling macros while they stay under the node limit, and they evaluate', () => {
    const r = load(macroChain(11, (i) => `(m${i - 1} or m${i - 1})`));
    expect(r.errors).toEqual([]);
    expect(matches(r, 'create')).toBe(1);
    expect(matches(r, 'get')).toBe(0);
  });

  it('refuses a list of 150,000 items (once a RangeError expanding it) at the list, and the rule using it', { timeout: 120_000 }, () => {
    const text = `- list: big\n  items: [${Array.from({ length: 150_000 }, (_, i) => `v${i}`).join(', ')}]\n` + rule('ka.verb in (big)');
    const r = load(text);
    expect(errorCodes(r)).toEqual(['list-too-large', 'list-error']);
    expect(r.errors[0]!.message).toBe('list has more than 100000 items once the lists it names are expanded (rules_limits.max_list_items)');
    expect(where(r.errors[0])).toBe('rules.yaml:1:3');
  });

  it('refuses lists that double by naming later lists twice (2^30 items) without building them', () => {
    let text = '';
    for (let i = 0; i < 30; i++) text += `- list: l${i}\n  items: [l${i + 1}, l${i + 1}]\n`;
    text += `- list: l30\n  items: [x]\n` + rule('ka.verb in (l0)');
    const r = load(text);
    expect(errorCodes(r)).toContain('list-too-large');
    expect(r.errors.find((d) => d.code === 'list-too-large')!.message).toMatch(/more than 100000 items/);
    expect(r.ruleset.forSource('k8s_audit')!.rules).toEqual([]);
  });

  it('refuses a rules text over the file limit before parsing it, at file:1:1', () => {
    const big = `- list: big\n  items: [${'x, '.repeat(1_100_000)}x]\n`;
    const r = load({ 'huge.yaml': big, 'ok.yaml': rule('ka.verb = create') });
    expect(r.errors.map((d) => `${where(d)} ${d.code}`)).toEqual(['huge.yaml:1:1 file-too-large']);
    expect(r.errors[0]!.message).toMatch(/rules file is \d+ bytes, more than 2097152 \(rules_limits.max_file_bytes\); not loaded/);
    expect(r.ruleset.forSource('k8s_audit')!.rules.map((x) => x.name)).toEqual(['Big']);
  });

  it('refuses a 47 MB rules file on disk without reading it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-limits-'));
    const file = join(dir, 'huge.yaml');
    writeFileSync(file, `- list: big\n  items: [${'item, '.repeat(8_000_000)}x]\n`);
    const r = await loadRules([file]);
    expect(r.errors.map((d) => `${where(d)} ${d.code}`)).toEqual([`${file}:1:1 file-too-large`]);
  });

  it('takes its limits from the options', () => {
    const deep = load(rule('not (ka.verb = a or not (ka.verb = b and not ka.verb = c))'), { limits: { maxConditionDepth: 4 } });
    expect(errorCodes(deep)).toEqual(['condition-too-large']);
    expect(deep.errors[0]!.message).toMatch(/deeper than 4 levels/);
    const list = load(`- list: l\n  items: [a, b, c]\n` + rule('ka.verb in (l)'), { limits: { maxListItems: 2 } });
    expect(errorCodes(list)).toEqual(['list-too-large', 'list-error']);
    const cond = load(rule('ka.verb in (a, b, c, d, e)'), { limits: { maxConditionNodes: 5 } });
    expect(errorCodes(cond)).toEqual(['condition-too-large']);
    expect(load(rule('ka.verb in (a, b, c)'), { limits: { maxConditionNodes: 5 } }).errors).toEqual([]);
  });

  it('turns a stack overflow past raised limits into an error at the rule, never a crash', () => {
    const text = macroChain(10_000, (i) => `(m${i - 1} and ka.user.name != u${i})`);
    const r = load(text, { limits: { maxFileBytes: 8 << 20, maxConditionDepth: 1_000_000 } });
    expect(errorCodes(r)).toEqual(['condition-too-large']);
    expect(r.errors[0]!.message).toMatch(/too deeply nested to compile/);
    expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, '- rule: Big') .replace(/:1$/, ':3'));
  });
});
