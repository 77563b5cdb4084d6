// Damaged copies of a capture file, made from an intact one: cut on each chunk boundary (the END
// chunk lost), a bit of a chunk's type flipped, the file re-encoded as format version 1 (whose CRC
// covers only the payload), and payload/header mutants whose CRC was recomputed (what a writer bug
// or a deliberate forgery would produce). Also the capture they start from.
import { CHUNK_HEADER_SIZE, FILE_HEADER_SIZE, chunkCrc, padding } from '../../../../src/sources/syscall/capture/format.js';
import { CaptureWriter } from '../../../../src/sources/syscall/capture/writer.js';
import { EVENT_NAMES } from '../../../../src/sources/syscall/record/event-table.js';
import { HDR_SIZE } from '../../../../src/sources/syscall/record/layout.js';
import { buildScenario } from '../../../../src/sources/syscall/scenario/synthetic.js';

export interface Chunk {
  /** Offset of the chunk header. */
  at: number;
  type: number;
  len: number;
  /** Offset just past the chunk (padding included). */
  end: number;
}

export function chunksOf(file: Buffer): Chunk[] {
  const out: Chunk[] = [];
  let at = FILE_HEADER_SIZE;
  while (at + CHUNK_HEADER_SIZE <= file.length) {
    const type = file.readUInt32LE(at);
    const len = file.readUInt32LE(at + 4);
    const end = at + CHUNK_HEADER_SIZE + len + padding(len);
    out.push({ at, type, len, end });
    at = end;
  }
  return out;
}

export interface Mutant {
  name: string;
  bytes: Buffer;
  /** The damaged chunk: a report must name an offset inside it (or its end, for a cut). */
  chunk: Chunk;
}

/**
 * Rewrites `file` as format `version`: the file header's version, each chunk's sequence field
 * (numbered in file order for version 2, zero for version 1) and its CRC.
 */
export function reencode(file: Buffer, version: number): Buffer {
  const out = Buffer.from(file);
  if (out.length < FILE_HEADER_SIZE) return out;
  out.writeUInt16LE(version, 8);
  chunksOf(out).forEach((c, i) => {
    out.writeUInt32LE(version === 1 ? 0 : i, c.at + 12);
    resealChunk(out, c, version);
  });
  return out;
}

function resealChunk(file: Buffer, c: Chunk, version: number): void {
  const header = file.subarray(c.at, c.at + CHUNK_HEADER_SIZE);
  const payload = file.subarray(c.at + CHUNK_HEADER_SIZE, c.at + CHUNK_HEADER_SIZE + Math.min(c.len, file.length));
  header.writeUInt32LE(chunkCrc(version, header, payload), 8);
}

/** The file cut after each complete chunk but the last (END): every cut loses the END chunk. */
export function cutsOnChunkBoundaries(file: Buffer): Mutant[] {
  const chunks = chunksOf(file);
  return chunks.slice(0, -1).map((c, i) => ({
    name: `cut after chunk ${i} (type ${c.type}) at byte ${c.end}`,
    bytes: file.subarray(0, c.end),
    chunk: { ...c, at: c.end },
  }));
}

/** Each bit of each selected chunk's type field flipped, CRC left as written. */
export function typeBitFlips(file: Buffer, select: (c: Chunk, i: number) => boolean = () => true): Mutant[] {
  const out: Mutant[] = [];
  chunksOf(file).forEach((c, i) => {
    if (!select(c, i)) return;
    for (let bit = 0; bit < 32; bit++) {
      const bytes = Buffer.from(file);
      bytes.writeUInt32LE((bytes.readUInt32LE(c.at) ^ (1 << bit)) >>> 0, c.at);
      out.push({ name: `chunk ${i} (type ${c.type}) type bit ${bit} flipped`, bytes, chunk: c });
    }
  });
  return out;
}

/**
 * Mutants with their CRC recomputed (format `version`): each selected chunk's type replaced by
 * every other known type, and payload bytes altered at several places (flipped, zeroed, 0xff).
 */
export function resealedMutants(file: Buffer, version: number, select: (c: Chunk, i: number) => boolean = () => true): Mutant[] {
  const out: Mutant[] = [];
  chunksOf(file).forEach((c, i) => {
    if (!select(c, i)) return;
    const variant = (name: string, change: (b: Buffer) => void) => {
      const bytes = Buffer.from(file);
      change(bytes);
      resealChunk(bytes, c, version);
      out.push({ name: `chunk ${i} (type ${c.type}) ${name}, CRC recomputed`, bytes, chunk: c });
    };
    for (let type = 1; type <= 7; type++) if (type !== c.type) variant(`retyped ${type}`, (b) => b.writeUInt32LE(type, c.at));
    const payloadAt = c.at + CHUNK_HEADER_SIZE;
    const spots = [0, 1, 8, 12, 40, 95, 96, 97, Math.floor(c.len / 2), c.len - 2, c.len - 1].filter((p) => p >= 0 && p < c.len);
    for (const p of new Set(spots)) {
      variant(`payload byte ${p} flipped`, (b) => (b[payloadAt + p] ^= 0xff));
      variant(`payload byte ${p} zeroed`, (b) => (b[payloadAt + p] = 0));
      variant(`payload byte ${p} set to '"'`, (b) => (b[payloadAt + p] = 0x22));
    }
  });
  return out;
}

/** A capture with every chunk type: INFO, STATE, RECORDS, CONTAINER, CGROUP, USERS, RECORDS, END. */
export function writeFullCapture(file: string): void {
  const s = buildScenario(`
    user 0 root
    user 1000 alice
    proc systemd pid=1 exe=/sbin/init
    proc bash pid=100 parent=1 exe=/bin/bash uid=1000
    100 spawn /usr/bin/cat /etc/shadow
    101 openat /etc/shadow O_RDONLY
    101 exit 0
    100 spawn /usr/bin/head /etc/shadow
    102 openat /etc/shadow O_RDONLY
    100 openat /etc/hosts O_RDONLY
  `);
  const w = new CaptureWriter(file, { kestrelVersion: 't', createdAt: '', hostname: 'h', bootEpochNs: '0', kernel: '', arch: '', recordHeaderSize: HDR_SIZE, eventTypes: [...EVENT_NAMES] });
  w.state(s.snapshot);
  const half = Math.ceil(s.list.length / 2);
  w.recordBatch(Buffer.concat(s.list.slice(0, half)), half);
  w.container({ id: 'abababababab', fullId: 'ab'.repeat(32), type: 'docker', lookup: 'ok', name: 'web', image: 'alpine:3', imageRepository: 'alpine', imageTag: '3' });
  w.cgroup(4242n, ['unified=/system.slice/x.scope']);
  w.users('abababababab', { users: new Map([[0, { name: 'root', home: '/root', shell: '/bin/sh' }]]), groups: new Map([[0, 'root']]) });
  w.recordBatch(Buffer.concat(s.list.slice(half)), s.list.length - half);
  w.close({ durationNs: '0' });
}
