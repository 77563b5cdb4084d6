// An on-disk queue for one output (the HTTP output's `spool`): every alert is appended to a
// segment file and fsync'd before the process could lose it, delivered in order, and what was
// not delivered when the process stops (or dies) is delivered after the next start.
//
// Layout of the directory:
//   <first-seq, 20 digits>.seg  records: u32 length, u32 crc32(payload), payload (UTF-8)
//   ack                         u64: every record with a lower sequence number was delivered
// A record's sequence number is its segment's first one plus its index there. A torn or corrupt
// tail (a crash mid-write) ends a segment's replay and is reported. The bound counts the bytes of
// undelivered records; a segment is deleted once everything in it was delivered.
// Delivery is at least once across a crash (a record delivered after the last ack fsync is sent
// again); across a clean stop (SIGTERM drain) it is exactly once.
import { closeSync, constants, existsSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { MemoryQueue, type AlertQueue } from './queue.js';

const HEADER = 8;
// A segment whose name is taken (a commit that failed, closeSync's "-final" at abort) gets a
// suffix; such a segment may repeat records another one holds, so replay skips sequence numbers
// it already has.
const SEGMENT_NAME = /^(\d{20})(-[0-9a-z]+)?\.seg$/;

interface Segment {
  first: bigint;
  count: number;
  file: string;
}

export interface SpoolReport {
  /** Undelivered records found at open. */
  replayed: number;
  /** Bytes discarded at the end of segments (torn writes, corruption). */
  discardedBytes: number;
  problems: string[];
}

export class Spool implements AlertQueue {
  readonly durable = true;
  /** Undelivered lines, in order; the first has sequence number headSeq. */
  private readonly lines = new MemoryQueue(Number.MAX_SAFE_INTEGER);
  private headSeq: bigint;
  private nextSeq: bigint;
  private pendingBytes = 0;
  /** Framed records pushed and not yet written to the active segment. */
  private unwritten: Buffer[] = [];
  private segments: Segment[];
  private active: { seg: Segment; handle: FileHandle; bytes: number } | undefined;
  /** Sequence number of the next record to be written to a segment. */
  private writtenSeq: bigint;
  /** Records being written by the commit in progress. */
  private inFlight: Buffer[] = [];
  private ackedOnDisk: bigint;
  private committing: Promise<void> | undefined;
  private commitAgain = false;
  private closed = false;
  readonly report: SpoolReport;

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private readonly onError: (err: Error) => void,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ack = readAck(dir);
    this.ackedOnDisk = ack;
    this.headSeq = ack;
    this.nextSeq = ack;
    this.report = { replayed: 0, discardedBytes: 0, problems: [] };
    this.segments = this.load(ack);
    this.writtenSeq = this.nextSeq;
    this.report.replayed = this.lines.length;
  }

  /** Opens (creating it when needed) the spool in `dir` and loads what it holds undelivered. */
  static open(dir: string, maxBytes: number, onError: (err: Error) => void): Spool {
    return new Spool(dir, maxBytes, Math.max(1 << 20, Math.floor(maxBytes / 16)), onError);
  }

  private load(ack: bigint): Segment[] {
    const names = readdirSync(this.dir)
      .map((n) => SEGMENT_NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[0], first: BigInt(m[1]!) }))
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.name < b.name ? -1 : 1));
    const segments: Segment[] = [];
    for (const { name, first } of names) {
      const file = join(this.dir, name);
      const data = readFileSync(file);
      let off = 0;
      let count = 0;
      const seen = this.nextSeq;
      while (off + HEADER <= data.length) {
        const len = data.readUInt32LE(off);
        const end = off + HEADER + len;
        if (end > data.length || crc32(data.subarray(off + HEADER, end)) !== data.readUInt32LE(off + 4)) break;
        const seq = first + BigInt(count);
        if (seq >= ack && seq >= seen) {
          if (this.lines.length === 0) this.headSeq = seq;
          this.lines.push(data.toString('utf8', off + HEADER, end));
          this.pendingBytes += end - off;
        }
        count++;
        off = end;
      }
      if (off < data.length) {
        this.report.discardedBytes += data.length - off;
        this.report.problems.push(`${file}: ${data.length - off} bytes after record ${count} are torn or corrupt and were discarded`);
      }
      segments.push({ first, count, file });
      if (first + BigInt(count) > this.nextSeq) this.nextSeq = first + BigInt(count);
    }
    if (this.lines.length === 0) this.headSeq = this.nextSeq;
    return segments;
  }

  get length(): number {
    return this.lines.length;
  }

  /** Bytes of undelivered records (what the bound applies to). */
  get bytes(): number {
    return this.pendingBytes;
  }

  push(line: string): boolean {
    if (this.closed) return false;
    const payload = Buffer.from(line, 'utf8');
    if (this.pendingBytes + HEADER + payload.length > this.maxBytes) return false;
    const header = Buffer.allocUnsafe(HEADER);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    this.unwritten.push(header, payload);
    this.lines.push(line);
    this.pendingBytes += HEADER + payload.length;
    this.nextSeq++;
    this.scheduleCommit();
    return true;
  }

  peek(max: number): string[] {
    return this.lines.peek(max);
  }

  shift(n: number): void {
    const gone = this.lines.peek(n);
    for (const line of gone) this.pendingBytes -= HEADER + Buffer.byteLength(line, 'utf8');
    this.lines.shift(gone.length);
    this.headSeq += BigInt(gone.length);
    if (gone.length > 0) this.scheduleCommit();
  }

  /** Resolves once everything pushed so far is written and fsync'd (and the ack with it). */
  flushToDisk(): Promise<void> {
    this.scheduleCommit();
    return this.committing ?? Promise.resolve();
  }

  private scheduleCommit(): void {
    if (this.committing) {
      this.commitAgain = true;
      return;
    }
    this.committing = (async () => {
      // Alerts pushed in the same turn of the event loop share one write and one fsync.
      await new Promise((r) => setImmediate(r));
      do {
        this.commitAgain = false;
        try {
          await this.commitOnce();
        } catch (err) {
          this.onError(err as Error);
          break;
        }
      } while (this.commitAgain);
      this.committing = undefined;
    })();
  }

  private async commitOnce(): Promise<void> {
    if (this.unwritten.length > 0) {
      const chunks = this.unwritten;
      this.unwritten = [];
      const count = chunks.length / 2;
      this.inFlight = chunks;
      const buf = Buffer.concat(chunks);
      let seg: NonNullable<Spool['active']> | undefined;
      try {
        seg = await this.activeSegment();
        await seg.handle.write(buf, 0, buf.length, null);
        await seg.handle.datasync();
      } catch (err) {
        // Keep the records for the next commit, into a new segment that keeps their sequence
        // numbers (what reached the old one is a torn tail or repeated records: replay skips both).
        this.unwritten = [...chunks, ...this.unwritten];
        this.inFlight = [];
        if (seg) {
          await seg.handle.close().catch(() => {});
          this.active = undefined;
        }
        throw err;
      }
      seg.bytes += buf.length;
      seg.seg.count += count;
      this.writtenSeq += BigInt(count);
      this.inFlight = [];
    }
    const acked = this.headSeq;
    if (acked !== this.ackedOnDisk) {
      await writeAck(this.dir, acked);
      this.ackedOnDisk = acked;
      await this.dropDeliveredSegments(acked);
    }
  }

  private async activeSegment(): Promise<NonNullable<Spool['active']>> {
    if (this.active && this.active.bytes >= this.segmentBytes) {
      await this.active.handle.close();
      this.active = undefined;
    }
    if (!this.active) {
      const seg = this.newSegment(this.writtenSeq);
      this.segments.push(seg);
      this.active = { seg, handle: await open(seg.file, 'a', 0o600), bytes: 0 };
    }
    return this.active;
  }

  private newSegment(first: bigint): Segment {
    const base = join(this.dir, first.toString().padStart(20, '0'));
    let file = `${base}.seg`;
    for (let n = 1; existsSync(file); n++) file = `${base}-${n}.seg`;
    return { first, count: 0, file };
  }

  private async dropDeliveredSegments(acked: bigint): Promise<void> {
    const keep: Segment[] = [];
    for (const s of this.segments) {
      const done = s.first + BigInt(s.count) <= acked && s !== this.active?.seg;
      if (done) await unlink(s.file).catch(() => {});
      else keep.push(s);
    }
    this.segments = keep;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flushToDisk();
    while (this.committing) await this.committing;
    await this.active?.handle.close();
    this.active = undefined;
  }

  /**
   * Writes what is left synchronously: for a process about to exit without waiting. It includes
   * the records of a commit in progress, into a "-final" segment, since that write may not
   * complete; if it does, replay skips the repeated sequence numbers.
   */
  closeSync(): void {
    this.closed = true;
    const chunks = [...this.inFlight, ...this.unwritten];
    if (chunks.length > 0) {
      const file = join(this.dir, `${this.writtenSeq.toString().padStart(20, '0')}-final.seg`);
      const fd = openSync(file, 'a', 0o600);
      writeSync(fd, Buffer.concat(chunks));
      fdatasyncSync(fd);
      closeSync(fd);
      this.unwritten = [];
    }
    if (this.headSeq !== this.ackedOnDisk) {
      writeAckSync(this.dir, this.headSeq);
      this.ackedOnDisk = this.headSeq;
    }
  }
}

function readAck(dir: string): bigint {
  try {
    const b = readFileSync(join(dir, 'ack'));
    return b.length >= 8 ? b.readBigUInt64LE(0) : 0n;
  } catch {
    return 0n;
  }
}

function ackBuffer(seq: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(seq, 0);
  return b;
}

// The ack is overwritten in place (8 bytes, one sector), never truncated first: a crash leaves
// the old value or the new one.
const ACK_FLAGS = constants.O_RDWR | constants.O_CREAT;

async function writeAck(dir: string, seq: bigint): Promise<void> {
  const h = await open(join(dir, 'ack'), ACK_FLAGS, 0o600);
  try {
    await h.write(ackBuffer(seq), 0, 8, 0);
    await h.datasync();
  } finally {
    await h.close();
  }
}

function writeAckSync(dir: string, seq: bigint): void {
  const fd = openSync(join(dir, 'ack'), ACK_FLAGS, 0o600);
  writeSync(fd, ackBuffer(seq), 0, 8, 0);
  fdatasyncSync(fd);
  closeSync(fd);
}
