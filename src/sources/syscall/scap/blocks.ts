// Block framing of libscap savefiles (userspace/libscap/scap_savefile.h and
// engine/savefile/scap_savefile.c in falcosecurity/libs), plain or gzip-compressed as libscap
// reads them. A file is a section header block, metadata blocks (machine, processes, fds,
// interfaces, users), then event blocks. Every block is
//   u32 block_type, u32 block_total_length, body, padding to 4 bytes, u32 block_total_length
// and the repeated length is checked here (libscap checks it for metadata blocks only), so a
// flipped bit in a length or a cut file stops the reader at the block's offset.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

export const BLOCK_HEADER_SIZE = 8;
const TRAILER_SIZE = 4;

export const BT = {
  SHB: 0x0a0d0d0a,
  MI: 0x201,
  MI_INT: 0x8002abcd,
  PL_V1: 0x202,
  PL_V1_INT: 0x8000abcd,
  PL_V2: 0x207,
  PL_V2_INT: 0x8013abcd,
  PL_V3: 0x209,
  PL_V3_INT: 0x8014abcd,
  PL_V4: 0x210,
  PL_V5: 0x211,
  PL_V6: 0x212,
  PL_V7: 0x213,
  PL_V8: 0x214,
  PL_V9: 0x215,
  FDL: 0x203,
  FDL_INT: 0x8001abcd,
  FDL_V2: 0x218,
  EV: 0x204,
  EV_INT: 0x8010abcd,
  EV_V2: 0x216,
  EV_V2_LARGE: 0x221,
  EVF: 0x208,
  EVF_V2: 0x217,
  EVF_V2_LARGE: 0x222,
  IL: 0x205,
  IL_INT: 0x8011abcd,
  IL_V2: 0x219,
  UL: 0x206,
  UL_INT: 0x8012abcd,
  UL_V2: 0x220,
} as const;

export const SHB_MAGIC = 0x1a2b3c4d;
/** The major version of the block format this reader knows (libscap's CURRENT_MAJOR_VERSION). */
export const SCAP_MAJOR_VERSION = 1;
/** Non-large event blocks hold at most this many bytes after the header (libscap's READER_BUF_SIZE). */
export const MAX_EVENT_BLOCK = 65536;
/** Largest block accepted at all: a corrupt length must not make the reader buffer gigabytes. */
export const MAX_BLOCK = 64 * 1024 * 1024;

/** Bad data in a scap file; `offset` is the byte offset (in the uncompressed data) where it starts. */
export class ScapFormatError extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

/** Whether the first bytes are a scap section header block (plain, either byte order). */
export function looksLikeScapBlock(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const magic = dv.getUint32(8, true);
  return dv.getUint32(0, true) === BT.SHB && (magic === SHB_MAGIC || magic === 0x4d3c2b1a);
}

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * The blocks of a file, one at a time from a reusable buffer, read in place: nothing is
 * allocated per block.
 */
export class BlockReader {
  private buf = Buffer.allocUnsafe(1 << 20);
  private start = 0;
  private end = 0;
  /** File offset (uncompressed) of buf[0]. */
  private base = 0;
  private source: AsyncIterator<Buffer> | undefined;
  private eof = false;
  /** The block returned by the last next(). */
  type = 0;
  /** Offset of the block's first byte. */
  offset = 0;
  /** Where the block's body (after the header, before the trailer, padding included) is in `buf`. */
  bodyAt = 0;
  bodySize = 0;
  readonly compressed: boolean;

  constructor(
    private readonly file: string,
    compressed: boolean,
  ) {
    this.compressed = compressed;
  }

  /** The buffer the current block is in (valid until the next fill()). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** The current block's body as its own view (metadata blocks; event blocks are read in place). */
  get body(): Buffer {
    return this.buf.subarray(this.bodyAt, this.bodyAt + this.bodySize);
  }

  /** Offset just past the last complete block returned. */
  get position(): number {
    return this.base + this.start;
  }

  get done(): boolean {
    return this.eof && this.start === this.end;
  }

  /**
   * Moves to the next complete block (type, offset, bodyAt/bodySize) and returns true; false when
   * more data must be read first (fill()) or the file is done (done). Throws ScapFormatError.
   */
  next(): boolean {
    const avail = this.end - this.start;
    if (avail < BLOCK_HEADER_SIZE) return this.needMore(avail);
    const at = this.start;
    const type = this.buf.readUInt32LE(at);
    const len = this.buf.readUInt32LE(at + 4);
    const offset = this.base + at;
    if (len < BLOCK_HEADER_SIZE + TRAILER_SIZE || len % 4 !== 0 || len > MAX_BLOCK) {
      throw new ScapFormatError(offset, `bad block length ${len} (block type 0x${type.toString(16)})`);
    }
    if (avail < len) {
      if (len > this.buf.length) this.grow(len);
      return this.needMore(avail);
    }
    const trailer = this.buf.readUInt32LE(at + len - TRAILER_SIZE);
    if (trailer !== len) throw new ScapFormatError(offset, `block length ${len} does not match its trailer ${trailer} (block type 0x${type.toString(16)})`);
    this.type = type;
    this.offset = offset;
    this.bodyAt = at + BLOCK_HEADER_SIZE;
    this.bodySize = len - BLOCK_HEADER_SIZE - TRAILER_SIZE;
    this.start = at + len;
    return true;
  }

  private needMore(avail: number): boolean {
    if (this.eof && avail > 0) {
      const what = avail < BLOCK_HEADER_SIZE ? `${avail} byte(s) of a block header` : `a block of ${this.buf.readUInt32LE(this.start + 4)} bytes with ${avail} present`;
      throw new ScapFormatError(this.base + this.start, `file cut short: it ends inside ${what}`);
    }
    return false;
  }

  private grow(size: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(size, this.buf.length * 2));
    this.buf.copy(bigger, 0, this.start, this.end);
    this.base += this.start;
    this.end -= this.start;
    this.start = 0;
    this.buf = bigger;
  }

  /** Reads more of the file into the buffer; sets done at the end. */
  async fill(): Promise<void> {
    if (this.eof) return;
    if (!this.source) this.source = this.open();
    let r: IteratorResult<Buffer>;
    try {
      r = await this.source.next();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code?.startsWith('Z_') || e.code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
        throw new ScapFormatError(this.base + this.end, `gzip data is corrupt or cut short (${e.message})`);
      }
      throw err;
    }
    if (r.done) {
      this.eof = true;
      return;
    }
    const chunk = r.value;
    if (this.start > 0 && this.end + chunk.length > this.buf.length) {
      // move the unread bytes to the front
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end + chunk.length > this.buf.length) this.grow(this.end + chunk.length);
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  private open(): AsyncIterator<Buffer> {
    const raw = createReadStream(this.file, { highWaterMark: 256 * 1024 });
    const stream = this.compressed ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw;
    if (this.compressed) raw.on('error', (err) => stream.destroy(err));
    return (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** Stops reading (closes the file). */
  async close(): Promise<void> {
    this.eof = true;
    await this.source?.return?.();
  }
}
