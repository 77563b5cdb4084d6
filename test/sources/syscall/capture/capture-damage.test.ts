// Replay of damaged captures (issue 14, defects 5 and 9b): a capture cut on a chunk boundary, a
// flipped bit in a chunk's type, a missing END chunk and mutants whose CRC was recomputed are each
// reported as a CaptureError naming a byte offset inside the damaged chunk, after the alerts found
// before the damage; version-1 files (CRC over the payload only) are still read, and their header
// damage is found by the field checks.
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../../src/engine/alert.js';
import type { RuleSet } from '../../../../src/engine/ruleset.js';
import { loadRulesFromText } from '../../../../src/index.js';
import { CaptureError } from '../../../../src/sources/syscall/capture/reader.js';
import { CAPTURE_VERSION, ChunkType } from '../../../../src/sources/syscall/capture/format.js';
import { CLI, haveCli, KestrelProcess } from '../../../cli/kestrel-process.js';
import { replayAlerts, tmpFile } from './capture-helpers.js';
import { chunksOf, cutsOnChunkBoundaries, reencode, resealedMutants, typeBitFlips, writeFullCapture, type Mutant } from './damage.js';

const RULES = `
- rule: shadow read
  desc: x
  condition: evt.type in (open,openat) and evt.is_open_read=true and fd.name=/etc/shadow
  output: shadow read by %proc.name user=%user.name container=%container.id cname=%container.name
  priority: WARNING
`;

let ruleset: RuleSet;
let intact: Buffer;
let intactAlerts: Alert[];
let dir: string;

beforeAll(async () => {
  const r = loadRulesFromText([{ name: 'test.yaml', content: RULES }]);
  expect(r.errors).toEqual([]);
  ruleset = r.ruleset;
  const file = tmpFile('intact.kcap');
  dir = file.slice(0, file.lastIndexOf('/'));
  writeFullCapture(file);
  intact = readFileSync(file);
  const replay = await replayAlerts(file, ruleset);
  expect(replay.error).toBeUndefined();
  intactAlerts = replay.alerts;
  expect(intactAlerts.map((a) => a.rule)).toEqual(['shadow read', 'shadow read']);
});

let n = 0;
async function replayMutant(m: Mutant) {
  const file = `${dir}/m${n++}.kcap`;
  writeFileSync(file, m.bytes);
  return replayAlerts(file, ruleset);
}

/** The replay ended with a CaptureError naming an offset inside the damaged chunk; alerts before it kept. */
async function expectReported(m: Mutant, opts: { alertsArePrefix: boolean }): Promise<void> {
  const r = await replayMutant(m);
  expect(r.error, m.name).toBeInstanceOf(CaptureError);
  const offset = (r.error as CaptureError).offset;
  expect(r.error!.message, m.name).toMatch(new RegExp(` at byte offset ${offset}$`));
  expect(offset, m.name).toBeGreaterThanOrEqual(m.chunk.at);
  expect(offset, m.name).toBeLessThanOrEqual(m.chunk.end);
  if (opts.alertsArePrefix) expect(r.alerts, m.name).toEqual(intactAlerts.slice(0, r.alerts.length));
}

describe('damaged captures', () => {
  it('the intact capture holds every chunk type and is written as format version 2', () => {
    expect(chunksOf(intact).map((c) => c.type)).toEqual([1, 2, 3, 5, 4, 6, 3, 7]);
    expect(intact.readUInt16LE(8)).toBe(CAPTURE_VERSION);
    expect(CAPTURE_VERSION).toBe(2);
  });

  it('cut on any chunk boundary: "cut short" at the end offset, after every alert before the cut', async () => {
    const cuts = cutsOnChunkBoundaries(intact);
    expect(cuts).toHaveLength(7);
    for (const m of cuts) {
      const r = await replayMutant(m);
      expect(r.error?.message, m.name).toBe(`capture cut short: the file ends without its END chunk at byte offset ${m.bytes.length}`);
      expect(r.alerts, m.name).toEqual(intactAlerts.slice(0, r.alerts.length));
    }
    // the END chunk alone missing: every alert was found first
    const lastCut = cuts.at(-1)!;
    expect((await replayMutant(lastCut)).alerts).toEqual(intactAlerts);
  });

  it('a file cut inside the zero padding of a chunk, or with padding not zero, is reported at that chunk (found by the fuzz test)', async () => {
    const padded = chunksOf(intact).find((c) => c.len % 8 !== 0)!;
    const payloadEnd = padded.at + 16 + padded.len;
    const cut = await replayMutant({ name: 'cut in padding', bytes: intact.subarray(0, payloadEnd + 1), chunk: padded });
    expect(cut.error?.message).toBe(`truncated chunk padding (1 of ${padded.end - payloadEnd} bytes) at byte offset ${padded.at}`);
    const dirty = Buffer.from(intact);
    dirty[payloadEnd] = 1;
    expect((await replayMutant({ name: 'padding not zero', bytes: dirty, chunk: padded })).error?.message).toBe(`bad chunk padding (not zero) at byte offset ${padded.at}`);
  });

  it('any bit of any chunk type flipped is a checksum mismatch at that chunk (version 2 CRCs cover the header)', async () => {
    const flips = typeBitFlips(intact);
    expect(flips).toHaveLength(8 * 32);
    for (const m of flips) {
      const r = await replayMutant(m);
      expect(r.error?.message, m.name).toBe(`corrupt chunk (checksum mismatch) at byte offset ${m.chunk.at}`);
      expect(r.alerts, m.name).toEqual(intactAlerts.slice(0, r.alerts.length));
    }
  });

  it('a version-1 capture replays to the same alerts; any type bit flipped in it is still reported at that chunk', async () => {
    const v1 = reencode(intact, 1);
    const file = `${dir}/v1.kcap`;
    writeFileSync(file, v1);
    const r = await replayAlerts(file, ruleset);
    expect(r.error).toBeUndefined();
    expect(r.alerts).toEqual(intactAlerts);
    for (const m of typeBitFlips(v1)) await expectReported(m, { alertsArePrefix: true });
  });

  it('mutants with recomputed CRCs (retyped chunks, altered payload bytes) end, if at all, with an offset inside the chunk', async () => {
    let reported = 0;
    const mutants = [...resealedMutants(intact, 2), ...resealedMutants(reencode(intact, 1), 1)];
    for (const m of mutants) {
      const r = await replayMutant(m);
      if (r.error === undefined) continue; // a harmless change (a pid, a byte of a path): replayed
      reported++;
      expect(r.error, `${m.name}: ${r.error.message}`).toBeInstanceOf(CaptureError);
      const offset = (r.error as CaptureError).offset;
      expect(offset, m.name).toBeGreaterThanOrEqual(m.chunk.at);
      expect(offset, m.name).toBeLessThanOrEqual(m.chunk.end);
    }
    // every retyped chunk at least is refused (and most altered bytes)
    expect(reported).toBeGreaterThan(mutants.filter((m) => m.name.includes('retyped')).length);
  });

  it('a chunk lost, repeated or moved is found by its sequence number, where it happened', async () => {
    const chunks = chunksOf(intact);
    const records = chunks.find((c) => c.type === ChunkType.RECORDS)!;
    const end = chunks.at(-1)!;
    const without = Buffer.concat([intact.subarray(0, records.at), intact.subarray(records.end)]);
    const lost = await replayMutant({ name: 'RECORDS lost', bytes: without, chunk: records });
    expect(lost.error?.message).toBe(`chunk number 3 where chunk 2 belongs (a chunk lost, repeated or moved) at byte offset ${records.at}`);
    const repeated = Buffer.concat([intact.subarray(0, records.end), intact.subarray(records.at, records.end), intact.subarray(records.end)]);
    const rep = await replayMutant({ name: 'RECORDS repeated', bytes: repeated, chunk: records });
    expect(rep.error?.message).toBe(`chunk number 2 where chunk 3 belongs (a chunk lost, repeated or moved) at byte offset ${records.end}`);
    // the repeated chunk was refused before its events: the alerts are those before it
    expect(rep.alerts).toEqual(intactAlerts.slice(0, rep.alerts.length));
    const twice = Buffer.concat([intact, intact.subarray(end.at, end.end)]);
    expect((await replayMutant({ name: 'END twice', bytes: twice, chunk: end })).error?.message).toBe(`data after the END chunk at byte offset ${end.end}`);
  });

  it('forged files (sequence numbers and CRCs recomputed): INFO first, nothing after END, END counting what was read', async () => {
    const chunks = chunksOf(intact);
    const end = chunks.at(-1)!;
    const records = chunks.find((c) => c.type === ChunkType.RECORDS)!;
    // a RECORDS chunk removed: the END chunk counts it
    const without = reencode(Buffer.concat([intact.subarray(0, records.at), intact.subarray(records.end)]), 2);
    const endAt = end.at - (records.end - records.at);
    expect((await replayMutant({ name: 'RECORDS removed', bytes: without, chunk: { ...end, at: endAt, end: endAt + end.end - end.at } })).error?.message).toMatch(
      new RegExp(`^END chunk counts \\d+ record\\(s\\) in 2 batch\\(es\\); the file holds \\d+ in 1 at byte offset ${endAt + 16}$`),
    );
    // a chunk after END
    const twice = reencode(Buffer.concat([intact, intact.subarray(end.at, end.end)]), 2);
    expect((await replayMutant({ name: 'END twice', bytes: twice, chunk: end })).error?.message).toBe(`data after the END chunk at byte offset ${end.end}`);
    // STATE before INFO
    const info = chunks[0]!;
    const swapped = reencode(Buffer.concat([intact.subarray(0, info.at), intact.subarray(chunks[1]!.at, chunks[1]!.end), intact.subarray(info.at, info.end), intact.subarray(chunks[1]!.end)]), 2);
    expect((await replayMutant({ name: 'STATE first', bytes: swapped, chunk: info })).error?.message).toBe(`the first chunk is of type 2, not INFO at byte offset ${info.at}`);
  });
});

describe.skipIf(!haveCli)(`kestrel replay of a damaged capture (${CLI})`, () => {
  it('a capture without its END chunk: every alert printed, the offset on stderr, exit status 1', async () => {
    const rules = tmpFile('rules.yaml');
    writeFileSync(rules, RULES);
    const cut = cutsOnChunkBoundaries(intact).at(-1)!;
    const file = `${dir}/cli-no-end.kcap`;
    writeFileSync(file, cut.bytes);
    const p = new KestrelProcess(['replay', '-r', rules, '--json', file]);
    expect(await p.exited).toBe(1);
    expect(p.stdoutLines().map((l) => (JSON.parse(l) as Alert).rule)).toEqual(['shadow read', 'shadow read']);
    expect(p.stderr).toContain(`cannot read ${file}: capture cut short: the file ends without its END chunk at byte offset ${cut.bytes.length}`);
  });
});
