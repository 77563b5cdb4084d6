// Fuzzing capture replay: an intact capture (every chunk type) altered at random (bytes flipped
// or set, bytes inserted or deleted, the file cut, chunks duplicated), with its CRCs left as they
// are or recomputed. Replay always ends: intact, or with a CaptureError naming a byte offset in
// the file, never another exception; when the CRCs were left alone, the alerts before the damage
// are those of the intact capture. The heap returns near its baseline.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/alert.js';
import type { RuleSet } from '../../src/engine/ruleset.js';
import { loadRulesFromText } from '../../src/index.js';
import { CaptureError } from '../../src/sources/syscall/capture/reader.js';
import { replayAlerts } from '../sources/syscall/capture/capture-helpers.js';
import { chunksOf, reencode, writeFullCapture } from '../sources/syscall/capture/damage.js';
import { fuzzRuns, fuzzTimeout, heapAfterGc } from './fuzz-support.js';

const RULES = `
- rule: shadow read
  desc: x
  condition: evt.type in (open,openat) and evt.is_open_read=true and fd.name=/etc/shadow
  output: shadow read by %proc.name user=%user.name container=%container.id
  priority: WARNING
`;

type Edit =
  | { op: 'flip'; at: number; mask: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; len: number }
  | { op: 'cut'; at: number }
  | { op: 'duplicate-chunk'; index: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('duplicate-chunk' as const), index: fc.nat() }),
);

function applyEdit(b: Buffer, e: Edit): Buffer {
  const at = b.length === 0 ? 0 : ('at' in e ? e.at : 0) % b.length;
  switch (e.op) {
    case 'flip': {
      const out = Buffer.from(b);
      out[at] ^= e.mask;
      return out;
    }
    case 'set': {
      const out = Buffer.from(b);
      out[at] = e.byte;
      return out;
    }
    case 'insert':
      return Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + e.len)]);
    case 'cut':
      return b.subarray(0, at);
    case 'duplicate-chunk': {
      const chunks = chunksOf(b);
      if (chunks.length === 0) return b;
      const c = chunks[e.index % chunks.length]!;
      const end = Math.min(c.end, b.length);
      return Buffer.concat([b.subarray(0, end), b.subarray(c.at, end), b.subarray(end)]);
    }
  }
}

let ruleset: RuleSet;
let intact: Buffer;
let intactAlerts: Alert[];
let dir: string;
beforeAll(async () => {
  const loaded = loadRulesFromText([{ name: 'fuzz.yaml', content: RULES }]);
  expect(loaded.errors).toEqual([]);
  ruleset = loaded.ruleset;
  dir = mkdtempSync(join(tmpdir(), 'kestrel-capture-fuzz-'));
  writeFullCapture(join(dir, 'intact.kcap'));
  intact = readFileSync(join(dir, 'intact.kcap'));
  const r = await replayAlerts(join(dir, 'intact.kcap'), ruleset);
  expect(r.error).toBeUndefined();
  intactAlerts = r.alerts;
  expect(intactAlerts).toHaveLength(2);
});

describe('capture replay fuzzing', () => {
  const runs = fuzzRuns(1000);
  it(`${runs} damaged captures: each replay ends intact or with a CaptureError at an offset in the file; alerts before the damage kept`, async () => {
    const baseline = heapAfterGc();
    let n = 0;
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean(), async (edits, reseal) => {
        let bytes = edits.reduce(applyEdit, intact);
        if (reseal) bytes = reencode(bytes, 2);
        const file = join(dir, `m${n++ % 16}.kcap`);
        writeFileSync(file, bytes);
        const r = await replayAlerts(file, ruleset);
        if (!r.error) return;
        reported++;
        expect(r.error, r.error.stack).toBeInstanceOf(CaptureError);
        const offset = (r.error as CaptureError).offset;
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThanOrEqual(bytes.length);
        expect(r.error.message).toMatch(new RegExp(` at byte offset ${offset}$`));
        if (!reseal) expect(r.alerts).toEqual(intactAlerts.slice(0, r.alerts.length));
      }),
      { numRuns: runs },
    );
    expect(reported).toBeGreaterThan(runs / 2);
    const grown = heapAfterGc() - baseline;
    expect(grown, `heap grew by ${Math.round(grown / 1e6)} MB`).toBeLessThan(32 * 1024 * 1024);
  }, fuzzTimeout(runs, 20));
});
