// A reusable cursor over one record of a batch. Header integers are read when the cursor
// moves; params are located and decoded only when a field asks (and cached per record).
import { EVENTS, type EventSpec } from './event-table.js';
import { COMM_LEN, H, HDR_SIZE, MAX_PARAMS, MAX_RECORD, PARAM_LEN_MASK, PARAM_TRUNC, PT, RECORD_ALIGN, isSigned } from './layout.js';
import { decodeSockaddr, decodeSocktuple, type SockAddr, type SockTuple } from './sockaddr.js';
import { internList, internUtf8, type InternedString } from './strings.js';

const EMPTY = Buffer.alloc(0);

// Buffer#toString(enc, start, end) looks the encoding up on every call; the per-encoding slicers
// it ends in are public at run time (not in @types/node).
type Slicers = { utf8Slice(start: number, end: number): string; latin1Slice(start: number, end: number): string };
const TWO32 = 4294967296;

/**
 * Why the bytes at off..end do not start with a whole record, judging by its header (length,
 * alignment, parameter count); undefined when they do. Shared by every reader of records.
 */
export function headerProblem(dv: DataView, off: number, end: number): string | undefined {
  if (end - off < HDR_SIZE) return `truncated record header (${end - off} of ${HDR_SIZE} bytes)`;
  const len = dv.getUint32(off + H.len, true);
  const n = dv.getUint16(off + H.nparams, true);
  if (len < HDR_SIZE + 2 * n || len > MAX_RECORD || len % RECORD_ALIGN !== 0) return `bad record length ${len}`;
  if (len > end - off) return `truncated record (${end - off} of ${len} bytes)`;
  if (n > MAX_PARAMS) return `bad parameter count ${n}`;
  return undefined;
}

/** Per event code and param index: 1 when the param is a signed integer. */
const SIGNED: readonly Uint8Array[] = EVENTS.map((spec) => Uint8Array.from(spec.params, (p) => (isSigned(p.type) ? 1 : 0)));

export class RecordView {
  buf: Buffer = EMPTY;
  dv: DataView = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
  /** Offset of the record in buf. */
  off = 0;
  len = 0;
  type = 0;
  flags = 0;
  tid = 0;
  pid = 0;
  nparams = 0;
  spec: EventSpec = EVENTS[0]!;
  private signed: Uint8Array = SIGNED[0]!;
  /** Changes whenever the cursor moves: what is computed from a record is kept while it holds. */
  seq = 0;

  private readonly poff = new Int32Array(MAX_PARAMS + 1);
  private poffReady = false;
  private readonly strs: (InternedString | undefined)[] = new Array<InternedString | undefined>(MAX_PARAMS).fill(undefined);
  private strMask = 0;

  /** Points the cursor at the record at `off` (already validated by the batch reader). */
  at(buf: Buffer, dv: DataView, off: number): this {
    this.point(buf, dv, off, dv.getUint32(off + H.len, true), dv.getUint16(off + H.nparams, true));
    this.poffReady = false;
    return this;
  }

  /** Moves the cursor to the record at `off` whose length and param count were read already. */
  private point(buf: Buffer, dv: DataView, off: number, len: number, nparams: number): void {
    this.buf = buf;
    this.dv = dv;
    this.off = off;
    this.len = len;
    const type = dv.getUint16(off + H.type, true);
    this.type = type;
    this.spec = EVENTS[type] ?? EVENTS[0]!;
    this.signed = SIGNED[type] ?? SIGNED[0]!;
    this.flags = dv.getUint16(off + H.flags, true);
    this.tid = dv.getUint32(off + H.tid, true);
    this.pid = dv.getUint32(off + H.pid, true);
    this.nparams = nparams;
    this.seq++;
    this.strMask = 0; // strs[i] is read only when its bit is set: no need to clear them
  }

  /**
   * Validates the record at `off` (headerProblem, the checks every reader shares) and, when
   * it is well formed, points the cursor at it with its params located: one pass over the
   * param lengths. Returns why the record is malformed, or undefined.
   */
  load(buf: Buffer, dv: DataView, off: number, end: number): string | undefined {
    // headerProblem's checks, each header word read once (this runs for every record); its
    // message when one fails
    if (end - off < HDR_SIZE) return headerProblem(dv, off, end);
    const len = dv.getUint32(off + H.len, true);
    const n = dv.getUint16(off + H.nparams, true);
    if (len < HDR_SIZE + 2 * n || len > MAX_RECORD || (len & (RECORD_ALIGN - 1)) !== 0 || len > end - off || n > MAX_PARAMS) return headerProblem(dv, off, end);
    const poff = this.poff;
    const lensAt = off + HDR_SIZE;
    let p = lensAt + 2 * n;
    for (let i = 0; i < n; i++) {
      poff[i] = p;
      p += dv.getUint16(lensAt + 2 * i, true) & PARAM_LEN_MASK;
    }
    poff[n] = p;
    if (p - off > len) {
      this.poffReady = false; // poff was overwritten: the current record lays its params out again if asked
      return `parameters overrun the record (${p - off} > ${len} bytes)`;
    }
    this.point(buf, dv, off, len, n);
    this.poffReady = true;
    return undefined;
  }

  // Header ------------------------------------------------------------------------------------

  /** CLOCK_BOOTTIME nanoseconds. */
  tsBoot(): bigint {
    return this.dv.getBigUint64(this.off + H.ts, true);
  }
  /** Return value (exact for |v| < 2^53, which covers every syscall result). */
  get ret(): number {
    return this.dv.getInt32(this.off + H.ret + 4, true) * TWO32 + this.dv.getUint32(this.off + H.ret, true);
  }
  cgroupId(): bigint {
    return this.dv.getBigUint64(this.off + H.cgroupId, true);
  }
  /** Low 32 bits of the cgroup id, for cheap change detection. */
  get cgroupIdLo(): number {
    return this.dv.getUint32(this.off + H.cgroupId, true);
  }
  get ppid(): number {
    return this.dv.getUint32(this.off + H.ppid, true);
  }
  get vtid(): number {
    return this.dv.getUint32(this.off + H.vtid, true);
  }
  get vpid(): number {
    return this.dv.getUint32(this.off + H.vpid, true);
  }
  get uid(): number {
    return this.dv.getUint32(this.off + H.uid, true);
  }
  get gid(): number {
    return this.dv.getUint32(this.off + H.gid, true);
  }
  get loginuid(): number {
    return this.dv.getUint32(this.off + H.loginuid, true);
  }
  get mntNs(): number {
    return this.dv.getUint32(this.off + H.mntNs, true);
  }
  get pidNs(): number {
    return this.dv.getUint32(this.off + H.pidNs, true);
  }
  get cpu(): number {
    return this.dv.getUint16(this.off + H.cpu, true);
  }
  /** task->comm (up to the first NUL). */
  comm(): string {
    const s = this.off + H.comm;
    let e = s;
    const end = s + COMM_LEN;
    while (e < end && this.buf[e] !== 0) e++;
    return (this.buf as unknown as Slicers).latin1Slice(s, e);
  }
  /** Whether comm equals `name` without decoding it. */
  commEquals(name: string): boolean {
    const s = this.off + H.comm;
    const n = name.length;
    if (n > COMM_LEN) return false;
    for (let i = 0; i < n; i++) if (this.buf[s + i] !== name.charCodeAt(i)) return false;
    return n === COMM_LEN || this.buf[s + n] === 0;
  }

  // Params ------------------------------------------------------------------------------------

  private layout(): void {
    const n = this.nparams < MAX_PARAMS ? this.nparams : MAX_PARAMS;
    const lensAt = this.off + HDR_SIZE;
    let p = lensAt + 2 * this.nparams;
    const dv = this.dv;
    for (let i = 0; i < n; i++) {
      this.poff[i] = p;
      p += dv.getUint16(lensAt + 2 * i, true) & PARAM_LEN_MASK;
    }
    this.poff[n] = p;
    this.poffReady = true;
  }

  /** Byte length of param i (0: absent). */
  paramLen(i: number): number {
    if (i < 0 || i >= this.nparams) return 0;
    return this.dv.getUint16(this.off + HDR_SIZE + 2 * i, true) & PARAM_LEN_MASK;
  }
  paramTruncated(i: number): boolean {
    if (i < 0 || i >= this.nparams) return false;
    return (this.dv.getUint16(this.off + HDR_SIZE + 2 * i, true) & PARAM_TRUNC) !== 0;
  }
  paramOffset(i: number): number {
    if (!this.poffReady) this.layout();
    return this.poff[i]!;
  }

  /** Numeric param as a number (sign by type), undefined when absent. */
  int(i: number): number | undefined {
    if (i < 0 || i >= this.nparams || i >= MAX_PARAMS) return undefined;
    if (!this.poffReady) this.layout();
    const o = this.poff[i]!;
    const len = this.poff[i + 1]! - o;
    if (len === 0) return undefined;
    const dv = this.dv;
    const signed = this.signed[i] === 1;
    switch (len) {
      case 1:
        return signed ? dv.getInt8(o) : dv.getUint8(o);
      case 2:
        return signed ? dv.getInt16(o, true) : dv.getUint16(o, true);
      case 4:
        return signed ? dv.getInt32(o, true) : dv.getUint32(o, true);
      case 8: {
        const lo = dv.getUint32(o, true);
        return signed ? dv.getInt32(o + 4, true) * TWO32 + lo : dv.getUint32(o + 4, true) * TWO32 + lo;
      }
      default:
        return undefined;
    }
  }

  /** Numeric param as a bigint (exact 64-bit), undefined when absent. */
  big(i: number): bigint | undefined {
    const len = this.paramLen(i);
    if (len === 0) return undefined;
    if (len !== 8) {
      const v = this.int(i);
      return v === undefined ? undefined : BigInt(v);
    }
    const o = this.paramOffset(i);
    return isSigned(this.spec.params[i]!.type) ? this.dv.getBigInt64(o, true) : this.dv.getBigUint64(o, true);
  }

  /** String param (trailing NUL dropped), cached per record; undefined when absent. */
  str(i: number): string | undefined {
    return this.strEntry(i)?.text;
  }

  /** str(i) with what is derived from it as a path (strings.ts), cached per record. */
  strEntry(i: number): InternedString | undefined {
    if (i < 0 || i >= MAX_PARAMS) return undefined;
    const bit = 1 << i;
    if (this.strMask & bit) return this.strs[i];
    let len = this.paramLen(i);
    let s: InternedString | undefined;
    if (len > 0) {
      const o = this.paramOffset(i);
      if (this.buf[o + len - 1] === 0) len--;
      s = this.spec.params[i]?.type === PT.ARGV ? internList(this.buf, o, o + len) : internUtf8(this.buf, o, o + len);
    }
    this.strs[i] = s;
    this.strMask |= bit;
    return s;
  }

  /**
   * argv(i) shared: the same frozen array for the same bytes (strings.ts). For params the caller
   * only reads or copies.
   */
  argvList(i: number): readonly string[] | undefined {
    return this.strEntry(i)?.list;
  }

  /** NUL-separated string list param (argv, env, cgroups). */
  argv(i: number): string[] | undefined {
    const len = this.paramLen(i);
    if (len === 0) return undefined;
    const o = this.paramOffset(i);
    const out: string[] = [];
    let s = o;
    const end = o + len;
    for (let p = o; p < end; p++) {
      if (this.buf[p] === 0) {
        out.push((this.buf as unknown as Slicers).utf8Slice(s, p));
        s = p + 1;
      }
    }
    if (s < end) out.push((this.buf as unknown as Slicers).utf8Slice(s, end));
    return out;
  }

  /** Raw bytes of a param (a view: valid only while the batch is). */
  bytes(i: number): Uint8Array | undefined {
    const len = this.paramLen(i);
    if (len === 0) return undefined;
    const o = this.paramOffset(i);
    return this.buf.subarray(o, o + len);
  }

  sockaddr(i: number): SockAddr | undefined {
    const len = this.paramLen(i);
    return len === 0 ? undefined : decodeSockaddr(this.buf, this.paramOffset(i), len);
  }

  /** The socket tuple param i, decoded into `into` when given (see decodeSocktuple), else into a new object. */
  socktuple(i: number, into?: SockTuple): SockTuple | undefined {
    const len = this.paramLen(i);
    return len === 0 ? undefined : decodeSocktuple(this.buf, this.paramOffset(i), len, into);
  }

  /** Param index by Falco name for the current event (-1: this event has no such param). */
  param(name: string): number {
    return this.spec.param(name);
  }

  paramType(i: number): PT {
    return this.spec.params[i]?.type ?? PT.NONE;
  }
}
