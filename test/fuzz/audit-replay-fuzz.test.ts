// Fuzzing audit replay (JSON-lines audit logs, as the log backend writes them): valid events
// interleaved with hostile lines (nesting 20,000 deep, 300 KB strings, hostile values in the
// fields rules read, broken JSON, junk text). Replay never throws, yields every valid event in
// order (each evaluated by a rule), reports each other line with its line number, and the heap
// returns near its baseline.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRulesFromText } from '../../src/index.js';
import { readAuditLog, type BadRecord } from '../../src/sources/k8saudit/audit-log.js';
import type { AuditEvent } from '../../src/sources/k8saudit/event.js';
import type { SourceRuleSet } from '../../src/engine/ruleset.js';
import * as fx from '../sources/k8saudit/fixtures.js';
import { EXEC_RULE, deepJson, fuzzRuns, fuzzTimeout, heapAfterGc, hostileValue } from './fuzz-support.js';


/** A line that is not one valid event: hostile JSON, a valid event cut short, junk text. */
const badLine: fc.Arbitrary<string> = fc.oneof(
  hostileValue,
  fc.double({ min: 0.05, max: 0.95, noNaN: true }).map((cut) => {
    const text = JSON.stringify(fx.execDeckhouse());
    return text.slice(0, Math.floor(text.length * cut));
  }),
  fc.string({ maxLength: 300 }).map((s) => s.replace(/[\r\n\u2028\u2029]/g, ' ')).filter((s) => s.trim() !== '' && !isValidJson(s)),
);

function isValidJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

let rules: SourceRuleSet<AuditEvent>;
let dir: string;
beforeAll(() => {
  const loaded = loadRulesFromText([{ name: 'fuzz.yaml', content: EXEC_RULE }]);
  expect(loaded.errors).toEqual([]);
  rules = loaded.ruleset.forSource<AuditEvent>('k8s_audit')!;
  dir = mkdtempSync(join(tmpdir(), 'kestrel-audit-fuzz-'));
});

let n = 0;
async function replay(lines: string[]): Promise<{ alerted: string[]; bad: BadRecord[] }> {
  const file = join(dir, `log-${n++}.jsonl`);
  writeFileSync(file, lines.join('\n') + '\n');
  const alerted: string[] = [];
  const bad: BadRecord[] = [];
  for await (const e of readAuditLog(file, (b) => bad.push(b))) {
    for (const a of rules.evaluate(e)) alerted.push(String(a.output_fields['ka.auditid']));
  }
  return { alerted, bad };
}

describe('audit replay fuzzing', () => {
  it('junk followed by a line nested 20,000 deep (read as one broken document) is reported, not thrown (found by the fuzz test)', async () => {
    const { alerted, bad } = await replay([';', deepJson(20_000, 'array')]);
    expect(alerted).toEqual([]);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.message).toMatch(/^malformed JSON/);
  });

  it('a log whose first line is damaged is still read line by line: the events after it evaluated, the line reported', async () => {
    const e = fx.execDeckhouse();
    e.auditID = randomUUID();
    const { alerted, bad } = await replay(['{"kind":"Event","apiVersion":"audit.k8s', JSON.stringify(e)]);
    expect(alerted).toEqual([e.auditID]);
    expect(bad.map((b) => b.line)).toEqual([1]);
    expect(bad[0]!.message).toMatch(/^malformed JSON/);
  });

  const runs = fuzzRuns(60);
  it(`${runs} JSON-lines logs mixing valid events and hostile lines: every valid event evaluated in order, every bad line reported by number`, async () => {
    const baseline = heapAfterGc();
    const log = fc.array(fc.oneof(fc.constant<'valid'>('valid'), badLine), { minLength: 1, maxLength: 15 });
    await fc.assert(
      fc.asyncProperty(log, async (items) => {
        const valid: string[] = [];
        const validLines = new Set<number>();
        const lines = items.map((it, i) => {
          if (it !== 'valid') return it;
          const e = fx.execDeckhouse();
          e.auditID = randomUUID();
          valid.push(e.auditID);
          validLines.add(i + 1);
          return JSON.stringify(e);
        });
        const { alerted, bad } = await replay(lines);
        expect(alerted).toEqual(valid);
        // with an event in it the file is read line by line and each bad line is reported; a
        // file without any may be read as one broken document, reported once
        const reported = new Set(bad.map((b) => b.line));
        const emptyList = (line: number) => lines[line - 1]!.trim() === '[]'; // a batch of no events: nothing wrong
        const unreported = lines.map((_l, i) => i + 1).filter((line) => !validLines.has(line) && !reported.has(line) && !emptyList(line));
        if (valid.length > 0) expect(unreported.map((line) => lines[line - 1]!.slice(0, 80))).toEqual([]);
        else if (lines.some((_l, i) => !emptyList(i + 1))) expect(bad.length).toBeGreaterThan(0);
        for (const b of bad) {
          expect(b.line, b.message).toBeGreaterThanOrEqual(1);
          expect(b.line, b.message).toBeLessThanOrEqual(lines.length + 1); // + 1: the end of the file
          expect(validLines.has(b.line), `a valid line reported bad: ${b.line}: ${b.message}`).toBe(false);
        }
      }),
      { numRuns: runs },
    );
    const grown = heapAfterGc() - baseline;
    expect(grown, `heap grew by ${Math.round(grown / 1e6)} MB`).toBeLessThan(48 * 1024 * 1024);
  }, fuzzTimeout(runs, 150));
});
