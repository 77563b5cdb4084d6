// Expected alerts against the alerts a case produced. Both sides are written out the same way (one
// line per rule with its count, then the expected output fields as the alerts have them), so a
// case passes when the texts are equal and a failure shows as a line diff of the two.
import type { Alert } from '../engine/alert.js';
import type { ExpectedAlert } from './spec.js';

const NOT_IN_OUTPUT = '(not in the output)';

/** An output field's value as text (null: the field has no value, Falco's <NA>). */
function shown(v: unknown): string {
  if (v === undefined) return NOT_IN_OUTPUT;
  if (v === null) return 'null';
  if (Array.isArray(v)) return JSON.stringify(v.map((x) => (x === null ? null : String(x))));
  return JSON.stringify(String(v));
}

function expectedLines(expect: readonly ExpectedAlert[]): string[] {
  const out: string[] = [];
  for (const e of expect) {
    out.push(`${e.rule} ×${e.count}`);
    if (e.priority !== undefined) out.push(`  priority: ${e.priority}`);
    for (const [k, v] of Object.entries(e.fields)) out.push(`  ${k}: ${v === null ? 'null' : JSON.stringify(v)}`);
  }
  return out;
}

/** The alerts, grouped by rule: expected rules first (in their order), then the others as they came. */
function actualLines(expect: readonly ExpectedAlert[], alerts: readonly Alert[]): string[] {
  const byRule = new Map<string, Alert[]>();
  for (const e of expect) byRule.set(e.rule, []);
  for (const a of alerts) {
    const list = byRule.get(a.rule);
    if (list) list.push(a);
    else byRule.set(a.rule, [a]);
  }
  const out: string[] = [];
  for (const [rule, list] of byRule) {
    if (list.length === 0) continue;
    out.push(`${rule} ×${list.length}`);
    const e = expect.find((x) => x.rule === rule);
    if (!e) continue;
    if (e.priority !== undefined) out.push(`  priority: ${distinct(list.map((a) => a.priority))}`);
    for (const k of Object.keys(e.fields)) out.push(`  ${k}: ${distinct(list.map((a) => shown(a.output_fields[k])))}`);
  }
  return out;
}

/** One value when all alerts agree, else each alert's value in order. */
function distinct(values: string[]): string {
  return new Set(values).size === 1 ? values[0]! : `[${values.join(', ')}]`;
}

export interface Verdict {
  pass: boolean;
  /** The line diff, `- ` expected only, `+ ` produced only, `  ` both; empty when passing. */
  diff: string[];
}

export function judge(expect: readonly ExpectedAlert[], alerts: readonly Alert[]): Verdict {
  const want = expectedLines(expect);
  const got = actualLines(expect, alerts);
  if (want.length === got.length && want.every((l, i) => l === got[i])) return { pass: true, diff: [] };
  const diff = lineDiff(want.length === 0 ? ['(no alerts)'] : want, got.length === 0 ? ['(no alerts)'] : got);
  return { pass: false, diff };
}

/** A longest-common-subsequence line diff (the lists are a few lines long). */
export function lineDiff(a: readonly string[], b: readonly string[]): string[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${a[i++]}`);
    else out.push(`+ ${b[j++]}`);
  }
  return out;
}
