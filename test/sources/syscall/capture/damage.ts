// Damaged copies of a capture file, made from an intact one: cut on each chunk boundary (the END
// chunk lost), a bit of a chunk's type flipped, the file re-encoded as format version 1 (whose CRC
// covers only the payload), and payload/header mutants whose CRC was recomputed (what a writer bug
// or a deliberate forgery would produce).
import { CHUNK_HEADER_SIZE, FILE_HEADER_SIZE, chunkCrc, padding } from '../../../../src/sources/syscall/capture/format.js';

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

/** Rewrites every chunk CRC of `file` for format `version` (the file header's version too). */
export function reencode(file: Buffer, version: number): Buffer {
  const out = Buffer.from(file);
  out.writeUInt16LE(version, 8);
  for (const c of chunksOf(out)) resealChunk(out, c, version);
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
