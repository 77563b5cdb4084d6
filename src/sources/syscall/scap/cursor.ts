// A bounds-checked reader over one block body (the metadata blocks of a scap file: process, fd,
// interface and user lists). Reading past the body throws a ScapFormatError naming the byte
// offset in the file, which is how a corrupt entry length surfaces.
import { BLOCK_HEADER_SIZE, ScapFormatError } from './blocks.js';

export class Cursor {
  pos = 0;
  private readonly dv: DataView;

  constructor(
    readonly body: Buffer,
    /** File offset of the block (its header's first byte). */
    readonly blockOffset: number,
    readonly what: string,
  ) {
    this.dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }

  get remaining(): number {
    return this.body.length - this.pos;
  }

  /** File offset of the cursor. */
  get fileOffset(): number {
    return this.blockOffset + BLOCK_HEADER_SIZE + this.pos;
  }

  fail(reason: string, at = this.pos): never {
    throw new ScapFormatError(this.blockOffset + BLOCK_HEADER_SIZE + at, `bad ${this.what} block: ${reason}`);
  }

  private need(n: number, field: string): number {
    if (this.pos + n > this.body.length) this.fail(`${field} runs past the end of the block`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(field: string): number {
    return this.dv.getUint8(this.need(1, field));
  }

  u16(field: string): number {
    return this.dv.getUint16(this.need(2, field), true);
  }

  u32(field: string): number {
    return this.dv.getUint32(this.need(4, field), true);
  }

  /** u64 as a number (ids, sizes: below 2^53 in practice). */
  u64(field: string): number {
    const at = this.need(8, field);
    return this.dv.getUint32(at, true) + this.dv.getUint32(at + 4, true) * 0x100000000;
  }

  i64(field: string): number {
    return Number(this.dv.getBigInt64(this.need(8, field), true));
  }

  big(field: string): bigint {
    return this.dv.getBigUint64(this.need(8, field), true);
  }

  bytes(n: number, field: string): Buffer {
    const at = this.need(n, field);
    return this.body.subarray(at, at + n);
  }

  /** A u16-length-prefixed string (not NUL-terminated on file), at most `max` bytes. */
  str(field: string, max: number): string {
    const len = this.u16(`${field} length`);
    if (len > max) this.fail(`${field} length ${len} exceeds ${max}`, this.pos - 2);
    return this.bytes(len, field).toString('utf8');
  }

  /** A u16-length-prefixed list of NUL-separated strings. */
  list(field: string, max: number): string[] {
    const len = this.u16(`${field} length`);
    if (len > max) this.fail(`${field} length ${len} exceeds ${max}`, this.pos - 2);
    return splitNul(this.bytes(len, field));
  }

  skip(n: number, field: string): void {
    this.need(n, field);
  }
}

/** NUL-separated strings (a trailing NUL ends the last one, it does not start another). */
export function splitNul(b: Uint8Array): string[] {
  if (b.length === 0) return [];
  const s = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
