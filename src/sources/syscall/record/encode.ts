// Writes records in the native/events.h layout: used by the synthetic builder, capture tests
// and benchmarks, so test data goes through exactly the bytes the kernel side produces.
import { EVENTS } from './event-table.js';
import { COMM_LEN, H, HDR_SIZE, PARAM_LEN_MASK, PARAM_TRUNC, PT, REC_F_TRUNCATED, alignRecord, isNumeric, numericSize } from './layout.js';
import { encodeSockaddr, encodeSocktuple } from './sockaddr.js';

export type ParamInput =
  | number
  | bigint
  | string
  | readonly string[]
  | Uint8Array
  | { ip?: string; port?: number; path?: string }
  | { client: { ip: string; port: number }; server: { ip: string; port: number } };

export interface RecordInput {
  type: number;
  /** CLOCK_BOOTTIME ns. */
  ts: bigint;
  ret?: number | bigint;
  tid: number;
  pid?: number;
  ppid?: number;
  vtid?: number;
  vpid?: number;
  uid?: number;
  gid?: number;
  loginuid?: number;
  cgroupId?: bigint;
  mntNs?: number;
  pidNs?: number;
  comm?: string;
  flags?: number;
  cpu?: number;
  /** Params by Falco name; absent ones are written with length 0. */
  params?: Readonly<Record<string, ParamInput | undefined>>;
  /** Param names to mark truncated (their value is written as given). */
  truncated?: readonly string[];
}

function encodeParam(type: PT, v: ParamInput): Uint8Array {
  if (isNumeric(type)) {
    const size = numericSize(type);
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    const big = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    if (size === 8) dv.setBigUint64(0, BigInt.asUintN(64, big), true);
    else if (size === 4) dv.setUint32(0, Number(BigInt.asUintN(32, big)), true);
    else if (size === 2) dv.setUint16(0, Number(BigInt.asUintN(16, big)), true);
    else dv.setUint8(0, Number(BigInt.asUintN(8, big)));
    return out;
  }
  switch (type) {
    case PT.CHARBUF:
    case PT.FSPATH:
    case PT.FSRELPATH:
      return Buffer.from(String(v) + '\0');
    case PT.ARGV: {
      const list = typeof v === 'string' ? [v] : (v as readonly string[]);
      return Buffer.from(list.map((s) => s + '\0').join(''));
    }
    case PT.BYTEBUF:
      return typeof v === 'string' ? Buffer.from(v) : (v as Uint8Array);
    case PT.SOCKADDR:
      return v instanceof Uint8Array ? v : encodeSockaddr(v as { ip?: string; port?: number; path?: string });
    case PT.SOCKTUPLE: {
      if (v instanceof Uint8Array) return v;
      const t = v as { client: { ip: string; port: number }; server: { ip: string; port: number } };
      return encodeSocktuple(t.client, t.server);
    }
    default:
      throw new Error(`cannot encode param type ${type}`);
  }
}

/** Encodes one record. */
export function encodeRecord(r: RecordInput): Uint8Array {
  const spec = EVENTS[r.type];
  if (!spec) throw new Error(`unknown event type ${r.type}`);
  const values = spec.params.map((p) => {
    const v = r.params?.[p.name];
    return v === undefined ? new Uint8Array(0) : encodeParam(p.type, v);
  });
  for (const name of Object.keys(r.params ?? {})) {
    if (spec.param(name) < 0) throw new Error(`event ${spec.name} has no param ${name}`);
  }
  const n = spec.params.length;
  const body = values.reduce((s, v) => s + v.length, 0);
  const len = alignRecord(HDR_SIZE + 2 * n + body);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  let flags = r.flags ?? 0;
  const trunc = new Set(r.truncated ?? []);
  if (trunc.size) flags |= REC_F_TRUNCATED;
  dv.setBigUint64(H.ts, r.ts, true);
  dv.setUint32(H.len, len, true);
  dv.setUint16(H.type, r.type, true);
  dv.setUint16(H.flags, flags, true);
  dv.setBigInt64(H.ret, BigInt(r.ret ?? 0), true);
  dv.setBigUint64(H.cgroupId, r.cgroupId ?? 0n, true);
  dv.setUint32(H.tid, r.tid, true);
  dv.setUint32(H.pid, r.pid ?? r.tid, true);
  dv.setUint32(H.ppid, r.ppid ?? 0, true);
  dv.setUint32(H.vtid, r.vtid ?? r.tid, true);
  dv.setUint32(H.vpid, r.vpid ?? r.pid ?? r.tid, true);
  dv.setUint32(H.uid, r.uid ?? 0, true);
  dv.setUint32(H.gid, r.gid ?? 0, true);
  dv.setUint32(H.loginuid, r.loginuid ?? 0xffffffff, true);
  dv.setUint32(H.mntNs, r.mntNs ?? 0, true);
  dv.setUint32(H.pidNs, r.pidNs ?? 0, true);
  out.set(Buffer.from(r.comm ?? '').subarray(0, COMM_LEN), H.comm);
  dv.setUint16(H.nparams, n, true);
  dv.setUint16(H.cpu, r.cpu ?? 0, true);
  let p = HDR_SIZE + 2 * n;
  values.forEach((v, i) => {
    if (v.length > PARAM_LEN_MASK) throw new Error(`param ${spec.params[i]!.name} too long (${v.length})`);
    dv.setUint16(HDR_SIZE + 2 * i, v.length | (trunc.has(spec.params[i]!.name) ? PARAM_TRUNC : 0), true);
    out.set(v, p);
    p += v.length;
  });
  return out;
}

/** Concatenates encoded records into one batch buffer. */
export function encodeBatch(records: readonly RecordInput[]): Uint8Array {
  const parts = records.map(encodeRecord);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
