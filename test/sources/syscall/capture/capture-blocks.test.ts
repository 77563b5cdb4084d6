// The capture reader reads the file in large blocks rather than chunk by chunk: chunks that
// straddle a block boundary, and chunks larger than a block, must come back whole, in order, with
// every record (the END chunk's counts are checked by the reader), and damage past the first
// block must still be reported at its byte offset.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import { writeScenarioCapture } from '../../../../src/sources/syscall/testing/scenario-capture.js';
import { buildScenario } from '../../../../src/sources/syscall/scenario/synthetic.js';
import { tmpFile } from './capture-helpers.js';

/** The reader's block size (capture/reader.ts). */
const BLOCK = 1 << 20;

// long paths: a capture of several blocks from few records (building a scenario is slow)
const pathOf = (i: number) => `/var/lib/${'d'.repeat(200)}/file-${i}`;

/** A scenario of `n` opens by one shell, each of a distinct path (so each event is recognisable). */
function opens(n: number): string {
  const lines = ['user 0 root', 'proc bash pid=100 exe=/bin/bash uid=0'];
  for (let i = 0; i < n; i++) lines.push(`100 openat ${pathOf(i)} O_RDONLY`);
  return lines.join('\n');
}

async function readAll(file: string): Promise<{ names: string[]; events: number; end: boolean; error?: Error }> {
  const replay = readCapture(file);
  const names: string[] = [];
  let events = 0;
  try {
    for await (const e of replay.events()) {
      events++;
      if (e.spec.name === 'openat' && e.fd) names.push(e.fd.name);
    }
  } catch (err) {
    return { names, events, end: replay.end !== undefined, error: err as Error };
  }
  return { names, events, end: replay.end !== undefined };
}

describe('capture reader, block-wise reading', () => {
  for (const batchRecords of [7, 20_000]) {
    it(`reads a capture of several MiB whole and in order (chunks of ${batchRecords} records${batchRecords > 1000 ? ': chunks larger than a block' : ': chunks across block boundaries'})`, async () => {
      const file = tmpFile('big.kcap');
      const n = 8_000;
      writeScenarioCapture(file, buildScenario(opens(n)), { batchRecords });
      expect(statSync(file).size).toBeGreaterThan(2 * BLOCK);
      const r = await readAll(file);
      expect(r.error).toBeUndefined();
      expect(r.end).toBe(true);
      expect(r.names.length).toBe(n);
      expect(r.names[0]).toBe(pathOf(0));
      expect(r.names[n - 1]).toBe(pathOf(n - 1));
      expect(r.names.every((name, i) => name === pathOf(i))).toBe(true);
    });
  }

  it('names the offset of a damaged chunk beyond the first block, after every event before it', async () => {
    const file = tmpFile('damaged.kcap');
    writeScenarioCapture(file, buildScenario(opens(8_000)), { batchRecords: 7 });
    const bytes = readFileSync(file);
    // the first chunk header at or after 1.5 MiB: walk the chunks from the file header
    let pos = 16;
    let before = 0;
    while (pos < 1.5 * BLOCK) {
      const len = bytes.readUInt32LE(pos + 4);
      if (bytes.readUInt32LE(pos) === 3) before++;
      pos += 16 + len + ((8 - (len % 8)) % 8);
    }
    bytes[pos + 16 + 3] ^= 0xff; // a payload byte of that chunk
    writeFileSync(file, bytes);
    const r = await readAll(file);
    expect(r.error?.message).toBe(`corrupt chunk (checksum mismatch) at byte offset ${pos}`);
    // every record of the RECORDS chunks before the damaged one was delivered, 7 to a chunk
    expect(before).toBeGreaterThan(100);
    expect(r.events).toBe(before * 7);
    expect(r.end).toBe(false);
  });
});
