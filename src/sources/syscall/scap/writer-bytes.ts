// A growable little-endian byte buffer for building scap blocks and events (libscap writes its
// savefiles field by field with scap_dump_write; this is the same, into memory first so a
// block's length is known before its header is written).

const utf8 = new TextEncoder();

export class ByteSink {
  buf: Buffer;
  len = 0;

  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  reset(): this {
    this.len = 0;
    return this;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16LE(v & 0xffff, this.len);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
    return this;
  }
  i32(v: number): this {
    this.room(4);
    this.buf.writeInt32LE(v | 0, this.len);
    this.len += 4;
    return this;
  }
  u64(v: bigint | number): this {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), this.len);
    this.len += 8;
    return this;
  }
  i64(v: bigint | number): this {
    this.room(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)), this.len);
    this.len += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  zeros(n: number): this {
    this.room(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }
  /** u16 length then the bytes, no NUL (libscap's on-disk strings in metadata blocks). */
  lenString(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }
  /** Overwrites a u32 written earlier at `at`. */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, at);
  }
  patchU16(at: number, v: number): void {
    this.buf.writeUInt16LE(v & 0xffff, at);
  }
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

export function utf8Bytes(s: string): Uint8Array {
  return utf8.encode(s);
}
