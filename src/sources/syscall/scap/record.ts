// Writes one Kestrel record (native/events.h layout) from a scap exit event merged with its enter
// event, into a reusable buffer: params by the mapping's links (exit first, then enter), numbers
// widened or narrowed to the Kestrel type with the PPM flag encodings translated, `args` made
// the whole argv for exec and clone, strings and socket addresses copied as they are (their
// layouts are the same on both sides). Nothing is allocated per record.
import { PT as KPT, H, HDR_SIZE, MAX_RECORD, PARAM_LEN_MASK, PARAM_TRUNC, REC_F_TRUNCATED, isNumeric, numericSize, COMM_LEN } from '../record/layout.js';
import type { ParamSet } from './events.js';
import type { EventLink } from './mapping.js';
import { PT } from './ppm-events.js';

/** The record header fields that come from the thread table, not from the scap event. */
export interface RecordHeader {
  tid: number;
  pid: number;
  ppid: number;
  vtid: number;
  vpid: number;
  uid: number;
  gid: number;
  loginuid: number;
  comm: string;
  cpu: number;
}

/** Per Kestrel param: leave as mapped, force empty, or a number in place of the scap value. */
export const enum Override {
  NONE = 0,
  EMPTY = 1,
  VALUE = 2,
}

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

/** Swaps the two ends of a socket tuple in place (family byte, end A, end B -> family, B, A). */
export function swapTupleEnds(b: Buffer, p: number, len: number): void {
  const family = b[p];
  const half = family === AF_INET && len >= 13 ? 6 : family === AF_INET6 && len >= 37 ? 18 : family === AF_UNIX && len >= 17 ? 8 : 0;
  for (let i = 1; i <= half; i++) {
    const t = b[p + i]!;
    b[p + i] = b[p + half + i]!;
    b[p + half + i] = t;
  }
}

/** The record arena: many records, then the caller starts again at 0. */
export const ARENA_SIZE = 4 * 1024 * 1024;

function ppmSigned(t: PT): boolean {
  return t === PT.INT8 || t === PT.INT16 || t === PT.INT32 || t === PT.INT64 || t === PT.ERRNO || t === PT.FD || t === PT.PID;
}

export class RecordBuilder {
  /**
   * Records are written one after the other into this arena, at `at` (the caller moves it on and
   * wraps it), so the processor steps through them without a new view per record.
   */
  readonly buf = Buffer.alloc(ARENA_SIZE);
  at = 0;
  /** Per Kestrel param index, set by the caller for one record and cleared by build(). */
  readonly override = new Uint8Array(64);
  readonly overrideValue = new Float64Array(64);
  /** Params cut to fit (counted by the reader). */
  truncatedParams = 0;
  private commCache = '';
  private commBytes = Buffer.alloc(COMM_LEN);
  private readonly argvIndexes = new Map<EventLink, readonly [number, number]>();
  // the last number read (two 32-bit halves: no BigInt per value)
  private lo = 0;
  private hi = 0;

  /**
   * Writes the record at `at`; returns its length. `exitTsAt` is the offset of the exit's
   * ppm_evt_hdr (its ts is the first 8 bytes) in `exit.buf`. Needs MAX_RECORD bytes free at `at`.
   */
  build(link: EventLink, exit: ParamSet, exitTsAt: number, enter: ParamSet | undefined, h: RecordHeader): number {
    const spec = link.kestrel;
    const n = spec.params.length;
    const buf = this.buf;
    const b0 = this.at;
    exit.buf.copy(buf, b0 + H.ts, exitTsAt, exitTsAt + 8);
    buf.writeUInt16LE(spec.code, b0 + H.type);
    buf.writeBigInt64LE(0n, b0 + H.cgroupId);
    buf.writeUInt32LE(h.tid >>> 0, b0 + H.tid);
    buf.writeUInt32LE(h.pid >>> 0, b0 + H.pid);
    buf.writeUInt32LE(h.ppid >>> 0, b0 + H.ppid);
    buf.writeUInt32LE(h.vtid >>> 0, b0 + H.vtid);
    buf.writeUInt32LE(h.vpid >>> 0, b0 + H.vpid);
    buf.writeUInt32LE(h.uid >>> 0, b0 + H.uid);
    buf.writeUInt32LE(h.gid >>> 0, b0 + H.gid);
    buf.writeUInt32LE(h.loginuid >>> 0, b0 + H.loginuid);
    buf.writeUInt32LE(0, b0 + H.mntNs);
    buf.writeUInt32LE(0, b0 + H.pidNs);
    if (h.comm !== this.commCache) {
      this.commCache = h.comm;
      this.commBytes.fill(0);
      this.commBytes.write(h.comm, 0, COMM_LEN - 1, 'utf8');
    }
    this.commBytes.copy(buf, b0 + H.comm);
    buf.writeUInt16LE(n, b0 + H.nparams);
    buf.writeUInt16LE(h.cpu & 0xffff, b0 + H.cpu);
    buf.writeUInt32LE(0, b0 + H.reserved);
    let flags = 0;
    let ret0 = 0;
    let ret1 = 0;
    let p = b0 + HDR_SIZE + 2 * n;
    for (let i = 0; i < n; i++) {
      const kind = this.override[i]!;
      this.override[i] = Override.NONE;
      const ln = link.params[i];
      const ktype = spec.params[i]!.type;
      let written = 0;
      let trunc = 0;
      if (kind === Override.VALUE) {
        const v = this.overrideValue[i]!;
        this.lo = v | 0;
        this.hi = Math.floor(v / 0x100000000) | 0;
        written = this.writeNumber(p, numericSize(ktype));
      } else if (kind === Override.NONE && ln) {
        let src: ParamSet | undefined;
        let at = -1;
        if (ln.exit >= 0 && ln.exit < exit.n) {
          src = exit;
          at = ln.exit;
        } else if (enter && ln.enter >= 0 && ln.enter < enter.n) {
          src = enter;
          at = ln.enter;
        }
        if (src && at >= 0) {
          const off = src.off[at]!;
          const len = src.len[at]!;
          if (isNumeric(ktype)) {
            if (this.readNumber(src.buf, off, len, ppmSigned(ln.ppmType))) {
              if (ln.codec) {
                this.lo = ln.codec.toLinux(this.lo >>> 0) | 0;
                this.hi = 0;
              }
              written = this.writeNumber(p, numericSize(ktype));
            }
          } else {
            const room = Math.min(PARAM_LEN_MASK, MAX_RECORD - 8 - (p - b0));
            if (link.fullArgv && i === this.argvOf(link)[1]) {
              written = this.argv(link, exit, p, room);
              if (written < 0) {
                written = -written;
                trunc = PARAM_TRUNC;
              }
            } else {
              written = Math.min(len, room);
              if (written < len) trunc = PARAM_TRUNC;
              src.buf.copy(buf, p, off, off + written);
              if (link.tupleSwapped && ktype === KPT.SOCKTUPLE) swapTupleEnds(buf, p, written);
            }
          }
        }
      }
      if (written === 0 && trunc === 0) {
        buf.writeUInt16LE(0, b0 + HDR_SIZE + 2 * i);
        continue;
      }
      if (i === link.retParam && isNumeric(ktype)) {
        ret0 = this.lo;
        ret1 = this.hi;
      }
      if (trunc) {
        flags |= REC_F_TRUNCATED;
        this.truncatedParams++;
      }
      buf.writeUInt16LE(written | trunc, b0 + HDR_SIZE + 2 * i);
      p += written;
    }
    buf.writeInt32LE(ret0, b0 + H.ret);
    buf.writeInt32LE(ret1, b0 + H.ret + 4);
    buf.writeUInt16LE(flags, b0 + H.flags);
    const len = (p - b0 + 7) & ~7;
    buf.fill(0, p, b0 + len);
    buf.writeUInt32LE(len, b0 + H.len);
    return len;
  }

  /** [index of the PPM exit's `exe`, index of the Kestrel `args`] of an exec/clone link. */
  private argvOf(link: EventLink): readonly [number, number] {
    let v = this.argvIndexes.get(link);
    if (!v) this.argvIndexes.set(link, (v = [link.exit.params.findIndex((x) => x.name === 'exe'), link.kestrel.param('args')]));
    return v;
  }

  /**
   * Kestrel `args`: PPM exe (argv[0]) + NUL + PPM args (argv[1..], NUL-separated). Returns the
   * bytes written, negated when they were cut to `room`.
   */
  private argv(link: EventLink, exit: ParamSet, p: number, room: number): number {
    const [exeAt, argsParam] = this.argvOf(link);
    const argsAt = link.params[argsParam]!.exit;
    let w = 0;
    let cut = false;
    if (exeAt >= 0 && exeAt < exit.n) {
      let l = exit.len[exeAt]!;
      const o = exit.off[exeAt]!;
      while (l > 0 && exit.buf[o + l - 1] === 0) l--;
      if (l > room - 1) {
        l = room - 1;
        cut = true;
      }
      exit.buf.copy(this.buf, p, o, o + l);
      this.buf[p + l] = 0;
      w = l + 1;
    }
    if (argsAt >= 0 && argsAt < exit.n) {
      const want = exit.len[argsAt]!;
      const l = Math.min(want, room - w);
      if (l < want) cut = true;
      exit.buf.copy(this.buf, p + w, exit.off[argsAt]!, exit.off[argsAt]! + l);
      w += l;
    }
    return cut ? -w : w;
  }

  /** Reads a PPM number of 1, 2, 4 or 8 bytes into lo/hi; false for another length. */
  private readNumber(b: Buffer, o: number, len: number, signed: boolean): boolean {
    switch (len) {
      case 1:
        this.lo = signed ? b.readInt8(o) : b[o]!;
        break;
      case 2:
        this.lo = signed ? b.readInt16LE(o) : b.readUInt16LE(o);
        break;
      case 4:
        this.lo = b.readInt32LE(o);
        this.hi = signed && this.lo < 0 ? -1 : 0;
        return true;
      case 8:
        this.lo = b.readInt32LE(o);
        this.hi = b.readInt32LE(o + 4);
        return true;
      default:
        return false;
    }
    this.hi = this.lo < 0 ? -1 : 0;
    return true;
  }

  private writeNumber(p: number, size: number): number {
    const b = this.buf;
    switch (size) {
      case 1:
        b[p] = this.lo & 0xff;
        break;
      case 2:
        b.writeUInt16LE(this.lo & 0xffff, p);
        break;
      case 4:
        b.writeInt32LE(this.lo | 0, p);
        break;
      default:
        b.writeInt32LE(this.lo | 0, p);
        b.writeInt32LE(this.hi | 0, p + 4);
    }
    return size;
  }
}
