// Turns batches of records into evaluated events: for each record, move the reusable event
// cursor, resolve and update state, hand the event to the caller, then apply deferred changes.
import type { SyscallContext } from './state/context.js';
import { SyscallEvent } from './syscall-event.js';
import { KT_COUNT } from './record/event-table.js';
import { H, HDR_SIZE, PARAM_LEN_MASK } from './record/layout.js';
import { headerProblem } from './record/record-view.js';
import { StateParser, type ParserOptions } from './state/parsers.js';

/** Malformed record data; `offset` is where the bad record starts (in the caller's terms). */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte offset ${offset}`);
  }
}

/** Why the record at `off` is malformed, or undefined when it is well formed. */
export function checkRecord(dv: DataView, off: number, end: number): string | undefined {
  const bad = headerProblem(dv, off, end);
  if (bad !== undefined) return bad;
  const len = dv.getUint32(off + H.len, true);
  const n = dv.getUint16(off + H.nparams, true);
  let sum = HDR_SIZE + 2 * n;
  for (let i = 0; i < n; i++) sum += dv.getUint16(off + HDR_SIZE + 2 * i, true) & PARAM_LEN_MASK;
  if (sum > len) return `parameters overrun the record (${sum} > ${len} bytes)`;
  return undefined;
}

export class SyscallProcessor {
  readonly event: SyscallEvent;
  readonly parser: StateParser;
  private num = 0;
  // stepping state (load/next)
  private stepBuf: Buffer | undefined;
  private stepDv: DataView | undefined;
  private stepOff = 0;
  private stepBase = 0;
  private pendingAfter = false;

  constructor(
    readonly ctx: SyscallContext,
    parserOptions: ParserOptions = {},
  ) {
    this.event = new SyscallEvent(ctx);
    this.parser = new StateParser(ctx, parserOptions);
  }

  /** Starts stepping through a batch with next() (for pull-style consumers such as replay). */
  load(batch: Uint8Array, baseOffset = 0): void {
    this.finish();
    this.stepBuf = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
    this.stepDv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    this.stepOff = 0;
    this.stepBase = baseOffset;
  }

  /**
   * The next event of the loaded batch, state applied (the previous event's deferred changes
   * are applied first); undefined at the end of the batch. Throws RecordError on bad data.
   */
  next(): SyscallEvent | undefined {
    this.finish();
    const buf = this.stepBuf;
    const dv = this.stepDv;
    if (!buf || !dv) return undefined;
    const e = this.event;
    while (this.stepOff < buf.length) {
      const off = this.stepOff;
      const bad = e.load(buf, dv, off, buf.length);
      if (bad) {
        this.stepBuf = this.stepDv = undefined;
        throw new RecordError(bad, this.stepBase + off);
      }
      this.stepOff += e.len;
      if (e.type >= KT_COUNT) {
        this.ctx.stats.unknownType++;
        continue;
      }
      e.num = ++this.num;
      this.parser.before(e);
      this.pendingAfter = true;
      return e;
    }
    this.stepBuf = this.stepDv = undefined;
    return undefined;
  }

  /** Applies the deferred changes of the last event next() returned. */
  finish(): void {
    if (this.pendingAfter) {
      this.pendingAfter = false;
      this.parser.after(this.event);
    }
  }

  /** Records processed so far (evt.num of the last one). */
  get count(): number {
    return this.num;
  }

  /**
   * Processes every record of `batch` in order. On malformed data, the records before it have
   * been delivered and a RecordError names the offset (`baseOffset` + position in the batch).
   */
  process(batch: Uint8Array, onEvent: (e: SyscallEvent) => void, baseOffset = 0): number {
    const buf = Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength);
    const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    const end = batch.byteLength;
    const e = this.event;
    const parser = this.parser;
    let off = 0;
    let n = 0;
    while (off < end) {
      const bad = e.load(buf, dv, off, end);
      if (bad) throw new RecordError(bad, baseOffset + off);
      off += e.len;
      if (e.type >= KT_COUNT) {
        this.ctx.stats.unknownType++;
        continue;
      }
      e.num = ++this.num;
      parser.before(e);
      try {
        onEvent(e);
      } finally {
        parser.after(e);
      }
      n++;
    }
    return n;
  }
}
