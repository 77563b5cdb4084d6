// Event blocks of scap files, every variant libscap reads (engine/savefile/scap_savefile.c in
// falcosecurity/libs, next()): EV and EVF (with 32 bits of flags), their pre-release *_INT id,
// V2 (the event header carries nparams) and V2_LARGE (events larger than 64 KiB). The block
// body is
//   u16 cpu, [u32 flags], ppm_evt_hdr { u64 ts, u64 tid, u32 len, u16 type, [u32 nparams] },
//   param lengths (u16 each, u32 for EF_LARGE_PAYLOAD events), param values
// Version-1 headers have no nparams: it is found as libscap does, from the table's count down
// to the one whose lengths add up to the event's length.
import { BT, MAX_EVENT_BLOCK, ScapFormatError, BLOCK_HEADER_SIZE } from './blocks.js';
import { EF, ppmEventOf } from './ppm-events.js';

/** Most params an event may have (the table's longest has 32; more is corruption). */
export const MAX_EVENT_PARAMS = 64;
const HDR_V1 = 22;
const HDR_V2 = 26;
const PPME_NOTIFICATION_E = 280;
const PPME_INFRASTRUCTURE_EVENT_E = 286;

/** Where an event's params are: a buffer and per-param offsets and lengths. */
export class ParamSet {
  buf: Buffer = Buffer.alloc(0);
  readonly off = new Int32Array(MAX_EVENT_PARAMS);
  readonly len = new Int32Array(MAX_EVENT_PARAMS);
  n = 0;
}

/** One decoded event, reused for every block (its params point into the block reader's buffer). */
export class ScapEvent extends ParamSet {
  cpu = 0;
  flags = 0;
  /** Offset of the event's ppm_evt_hdr in `buf` (the ts is its first 8 bytes). */
  hdrAt = 0;
  tid = 0;
  type = 0;
  /** Offset of the event block in the file. */
  blockOffset = 0;
}

/** Is this block type an event block, and which header/flags layout does it have? */
export function eventBlockKind(type: number): { v2: boolean; flags: boolean; large: boolean } | undefined {
  switch (type) {
    case BT.EV:
    case BT.EV_INT:
      return KINDS.v1;
    case BT.EVF:
      return KINDS.v1f;
    case BT.EV_V2:
      return KINDS.v2;
    case BT.EVF_V2:
      return KINDS.v2f;
    case BT.EV_V2_LARGE:
      return KINDS.v2l;
    case BT.EVF_V2_LARGE:
      return KINDS.v2fl;
    default:
      return undefined;
  }
}

const KINDS = {
  v1: { v2: false, flags: false, large: false },
  v1f: { v2: false, flags: true, large: false },
  v2: { v2: true, flags: false, large: false },
  v2f: { v2: true, flags: true, large: false },
  v2l: { v2: true, flags: false, large: true },
  v2fl: { v2: true, flags: true, large: true },
};

/**
 * Decodes the event block whose body (between block header and trailer) is buf[start, start +
 * size) into `ev`, in place. Returns false for an event type this table does not know (the
 * caller counts and skips it). Throws ScapFormatError on malformed data.
 */
export function decodeEvent(buf: Buffer, start: number, size: number, blockOffset: number, blockType: number, ev: ScapEvent): boolean {
  const kind = eventBlockKind(blockType)!;
  const bodyAt = blockOffset + BLOCK_HEADER_SIZE;
  const fail = (at: number, reason: string): never => {
    throw new ScapFormatError(bodyAt + at, `bad event block: ${reason}`);
  };
  if (!kind.large && size + 4 > MAX_EVENT_BLOCK) fail(0, `${size} bytes in a block type limited to ${MAX_EVENT_BLOCK}`);
  const hdrLen = kind.v2 ? HDR_V2 : HDR_V1;
  const hdrRel = kind.flags ? 6 : 2;
  if (size < hdrRel + hdrLen) fail(0, `${size} bytes, too short for an event header`);
  const hdrAt = start + hdrRel;
  ev.buf = buf;
  ev.blockOffset = blockOffset;
  ev.cpu = buf.readUInt16LE(start);
  ev.flags = kind.flags ? buf.readUInt32LE(start + 2) : 0;
  ev.hdrAt = hdrAt;
  ev.tid = buf.readUInt32LE(hdrAt + 8) + buf.readUInt32LE(hdrAt + 12) * 0x100000000;
  let len = buf.readUInt32LE(hdrAt + 16);
  const type = buf.readUInt16LE(hdrAt + 20);
  ev.type = type;
  const quirk = !kind.v2 && (type === PPME_NOTIFICATION_E || type === PPME_INFRASTRUCTURE_EVENT_E);
  // libscap's writer pads the event to 4 bytes; pcapng tools (editcap) may append options after it
  if (!quirk && (len < hdrLen || hdrRel + len > size)) {
    fail(hdrRel + 16, `event length ${len} does not fit its block of ${size} bytes`);
  }
  const info = ppmEventOf(type);
  if (!info) return false;
  if (quirk) len = Math.min(len, size - hdrRel) - 3; // old captures wrote these 3 bytes too long
  const lenSize = info.flags & EF.LARGE_PAYLOAD ? 4 : 2;
  const lensAt = hdrAt + hdrLen;
  const end = hdrAt + len;
  let n: number;
  if (kind.v2) {
    n = buf.readUInt32LE(hdrAt + 22);
    if (n > MAX_EVENT_PARAMS) fail(hdrRel + 22, `${n} params`);
  } else n = inferParams(buf, lensAt, end, info.params.length, lenSize);
  if (n < 0) fail(hdrRel + hdrLen, `the param lengths of a version-1 event do not add up to its length ${len}`);
  let p = lensAt + n * lenSize;
  if (p > end) fail(hdrRel + hdrLen, `${n} param lengths overrun the event`);
  for (let i = 0; i < n; i++) {
    const l = lenSize === 2 ? buf.readUInt16LE(lensAt + 2 * i) : buf.readUInt32LE(lensAt + 4 * i);
    ev.off[i] = p;
    ev.len[i] = l;
    p += l;
  }
  if (p > end) fail(hdrRel + hdrLen, `params overrun the event (${p - hdrAt} > ${len} bytes)`);
  ev.n = n;
  return true;
}

/** libscap's nparams for version-1 events: the largest count whose lengths end exactly at `end`. */
function inferParams(body: Buffer, lensAt: number, end: number, max: number, lenSize: number): number {
  for (let n = max; n >= 0; n--) {
    let p = lensAt + n * lenSize;
    if (p > end) continue;
    for (let i = 0; i < n; i++) p += lenSize === 2 ? body.readUInt16LE(lensAt + 2 * i) : body.readUInt32LE(lensAt + 4 * i);
    if (p === end) return n;
    if (p < end) return -1;
  }
  return -1;
}

/** Copies an event's params into `dst` (an enter event kept until its exit arrives). */
export function copyParams(src: ParamSet, dst: ParamSet): void {
  let size = 0;
  for (let i = 0; i < src.n; i++) size += src.len[i]!;
  if (dst.buf.length < size) dst.buf = Buffer.allocUnsafe(Math.max(size, 256));
  let p = 0;
  for (let i = 0; i < src.n; i++) {
    const l = src.len[i]!;
    src.buf.copy(dst.buf, p, src.off[i]!, src.off[i]! + l);
    dst.off[i] = p;
    dst.len[i] = l;
    p += l;
  }
  dst.n = src.n;
}
