// Damaged scap files end with a clean error: a CaptureError naming the byte offset, after every
// event before the damage was read. Real damage to the fixtures: cut at many points (plain and
// gzip-compressed), bits flipped in block lengths, trailers, the section header magic and the
// compressed stream.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CaptureError } from '../../../../src/sources/syscall/capture/reader.js';
import { KestrelProcess, haveCli } from '../../../cli/kestrel-process.js';
import { fixture, haveShared, readUntilError, rows } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-scap-corrupt-'));
let serial = 0;
function write(bytes: Uint8Array, ext = '.scap'): string {
  const path = join(dir, `f${serial++}${ext}`);
  writeFileSync(path, bytes);
  return path;
}

/** Offsets of the blocks of an uncompressed scap file. */
function blockOffsets(b: Buffer): number[] {
  const out: number[] = [];
  for (let o = 0; o + 8 <= b.length; o += b.readUInt32LE(o + 4)) out.push(o);
  return out;
}

describe.skipIf(!haveShared)('damaged scap files', () => {
  const gz = haveShared ? readFileSync(fixture('curl_google.scap')) : Buffer.alloc(0);
  const plain = haveShared ? gunzipSync(gz) : Buffer.alloc(0);
  const offsets = haveShared ? blockOffsets(plain) : [];

  it('a file cut inside a block stops at that block, every event before it read', async () => {
    const full = (await rows(write(plain))).rows;
    let cuts = 0;
    for (const cut of [5, 20, 27, 100, 2000, 20000, 54000, 60001, 90000, 120003, plain.length - 1]) {
      const start = offsets.filter((o) => o < cut).pop()!;
      if (offsets.includes(cut)) continue;
      const r = await readUntilError(write(plain.subarray(0, cut)));
      expect(r.error, `cut at ${cut}`).toBeInstanceOf(CaptureError);
      const e = r.error as CaptureError;
      expect(e.offset, `cut at ${cut}`).toBe(start);
      expect(e.message).toMatch(/file cut short: it ends inside .* at byte offset \d+$/);
      // the events of the complete blocks before the cut
      const before = start === 0 ? [] : (await rows(write(plain.subarray(0, start)))).rows;
      expect(r.n).toBe(before.length);
      expect(before).toEqual(full.slice(0, before.length));
      cuts++;
    }
    expect(cuts).toBeGreaterThan(8);
  });

  it('a compressed file cut anywhere ends with a gzip or cut-short error, never another exception', async () => {
    let checked = 0;
    for (let cut = 10; cut < gz.length; cut += Math.floor(gz.length / 9)) {
      const r = await readUntilError(write(gz.subarray(0, cut)));
      expect(r.error, `gzip cut at ${cut}`).toBeInstanceOf(CaptureError);
      expect((r.error as CaptureError).message).toMatch(/(gzip data is corrupt or cut short|file cut short).*\(byte offsets count of the uncompressed data\) at byte offset \d+$/);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });

  it('a flipped bit in a block length or trailer stops at that block', async () => {
    let checked = 0;
    for (const i of [1, 2, 3, 5, 8, 13, 40, 200, 900, offsets.length - 1]) {
      const at = offsets[i]!;
      const len = plain.readUInt32LE(at + 4);
      for (const [field, bit] of [
        ['length', 2],
        ['length', 9],
        ['length', 30],
        ['trailer', 0],
        ['trailer', 17],
      ] as const) {
        const bad = Buffer.from(plain);
        const pos = field === 'length' ? at + 4 : at + len - 4;
        bad.writeUInt32LE((bad.readUInt32LE(pos) ^ (1 << bit)) >>> 0, pos);
        const r = await readUntilError(write(bad));
        expect(r.error, `${field} bit ${bit} of block ${i}`).toBeInstanceOf(CaptureError);
        expect((r.error as CaptureError).offset, `${field} bit ${bit} of block ${i}`).toBe(at);
        checked++;
      }
    }
    expect(checked).toBe(50);
  });

  it('damage inside a block names the field and its offset: a process list string length, an event length, a param length', async () => {
    const plList = offsets.find((o) => plain.readUInt32LE(o) === 0x211)!; // process list v5
    const bad1 = Buffer.from(plain);
    // first entry: tid, pid, ptid (24 bytes), then comm's u16 length
    bad1.writeUInt16LE(0xfff0, plList + 8 + 24);
    const e1 = (await readUntilError(write(bad1))).error as CaptureError;
    expect(e1).toBeInstanceOf(CaptureError);
    expect(e1.message).toMatch(/bad process list \(v5\) block: comm length 65520 exceeds 1024 at byte offset \d+$/);
    expect(e1.offset).toBe(plList + 8 + 24);

    const firstEvent = offsets.find((o) => plain.readUInt32LE(o) === 0x204)!;
    const bad2 = Buffer.from(plain);
    bad2.writeUInt32LE(plain.readUInt32LE(firstEvent + 8 + 2 + 16) + 64, firstEvent + 8 + 2 + 16); // ppm_evt_hdr.len
    const e2 = (await readUntilError(write(bad2))).error as CaptureError;
    expect(e2.message).toMatch(/bad event block: event length \d+ does not fit its block of \d+ bytes/);
    expect(e2.offset).toBe(firstEvent + 8 + 2 + 16);

    // a version-1 open exit whose first param length no longer adds up
    const openExit = offsets.find((o) => plain.readUInt32LE(o) === 0x204 && plain.readUInt16LE(o + 8 + 22) === 3)!;
    const bad3 = Buffer.from(plain);
    bad3.writeUInt16LE(plain.readUInt16LE(openExit + 8 + 24) + 1, openExit + 8 + 24);
    const r3 = await readUntilError(write(bad3));
    expect((r3.error as CaptureError).message).toMatch(/bad event block: the param lengths of a version-1 event do not add up/);
    expect((r3.error as CaptureError).offset).toBe(openExit + 8 + 24);
  });

  it('a bad section header magic or a first block that is no section header is refused at its offset', async () => {
    for (const bit of [0, 7, 20, 31]) {
      const bad = Buffer.from(plain);
      bad.writeUInt32LE((bad.readUInt32LE(8) ^ (1 << bit)) >>> 0, 8);
      const r = await readUntilError(write(bad));
      expect(r.error).toBeInstanceOf(CaptureError);
      expect((r.error as CaptureError).offset).toBe(8);
      expect((r.error as CaptureError).message).toMatch(/bad section header: (bad byte-order magic|big-endian)/);
    }
    const noHeader = await readUntilError(write(plain.subarray(offsets[1]!)));
    expect((noHeader.error as CaptureError).message).toMatch(/not a scap file: the first block is of type 0x201, not a section header at byte offset 0/);
  });

  it('flipped bits in the compressed stream end with a CaptureError', async () => {
    let checked = 0;
    for (let pos = 40; pos < gz.length; pos += Math.floor(gz.length / 12)) {
      for (const bit of [0, 5]) {
        const bad = Buffer.from(gz);
        bad[pos] = bad[pos]! ^ (1 << bit);
        const r = await readUntilError(write(bad));
        expect(r.error, `byte ${pos} bit ${bit}`).toBeInstanceOf(CaptureError);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(24);
  });

  it('an unknown block type and an unknown event type are skipped and counted, not fatal', async () => {
    const bad = Buffer.from(plain);
    const userList = offsets.find((o) => plain.readUInt32LE(o) === 0x206)!;
    bad.writeUInt32LE(0x7777, userList);
    // an open exit event made a type newer than the table (v1 event block: type at 2 + 20)
    const full = await rows(write(plain));
    const firstOpen = offsets.find((o) => plain.readUInt32LE(o) === 0x204 && plain.readUInt16LE(o + 8 + 22) === 3)!;
    bad.writeUInt16LE(430, firstOpen + 8 + 22); // beyond every table
    const r = await rows(write(bad));
    expect(r.replay.stats.unknownBlocks).toBe(1);
    expect(r.replay.stats.unknownBlocksByType.get(0x7777)).toBe(1);
    expect(r.replay.stats.unknownTypes).toBe(1);
    expect(r.rows.length).toBe(full.rows.length - 1);
    expect(r.replay.summary()).toContain('1 of an unknown event type');
    expect(r.replay.summary()).toContain('1 unknown block(s) (0x7777 1)');
  });

  it.skipIf(!haveCli)('kestrel replay prints the alerts found before the damage, then the offset, and exits 1', async () => {
    const cat = gunzipSync(readFileSync(fixture('cat_write.scap')));
    const catOffsets = blockOffsets(cat);
    // cut inside the block after the /dev/null open (its exit is the 8th Kestrel record)
    const isOpenExit = (o: number) => cat.readUInt32LE(o) === 0x204 && cat.readUInt16LE(o + 8 + 22) === 3; // PPME_SYSCALL_OPEN_X
    const devNullOpen = catOffsets.find((o) => isOpenExit(o) && cat.subarray(o, o + cat.readUInt32LE(o + 4)).includes('/dev/null\0'))!;
    const next = catOffsets[catOffsets.indexOf(devNullOpen) + 1]!;
    const cutFile = write(gzipSync(cat.subarray(0, next + 10)), '.scap.gz');
    const rules = write(Buffer.from('- rule: open_from_cat\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: open (file=%fd.name)\n  priority: WARNING\n'), '.yaml');
    const k = new KestrelProcess(['replay', '-r', rules, cutFile]);
    expect(await k.exited).toBe(1);
    const out = k.stdoutLines();
    expect(out).toHaveLength(4);
    expect(out[3]).toContain('open (file=/dev/null)');
    expect(k.stderr).toContain(`cannot read ${cutFile}: file cut short: it ends inside a block of`);
    expect(k.stderr).toContain(`at byte offset ${next}`);
    expect(k.stderr).toMatch(/scap: \d+ event\(s\) in \d+ block\(s\)/);
  });
});
