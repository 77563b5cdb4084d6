// Right-hand-side literals converted to a field's type at compile time, as libsinsp's
// sinsp_filter_value_parser::string_to_rawval does, and field values rendered as text and JSON
// as libsinsp's rawval_to_string / rawval_to_json do.
import { readFileSync } from 'node:fs';
import type { FieldType, FieldValue, Scalar } from '../fields/types.js';
import { V4, parseIPv4, parseIPv6, v4Mask, type IPNet } from './ip.js';
import { printableBytes } from './text.js';

export type NumericType = 'INT64' | 'UINT64' | 'INT32' | 'UINT32' | 'UINT16' | 'PORT' | 'RELTIME' | 'ABSTIME' | 'DOUBLE';
const NUMERIC = new Set<FieldType>(['INT64', 'UINT64', 'INT32', 'UINT32', 'UINT16', 'PORT', 'RELTIME', 'ABSTIME', 'DOUBLE']);
const STRING = new Set<FieldType>(['CHARBUF', 'FSPATH', 'FSRELPATH']);

export function isNumericType(t: FieldType): t is NumericType {
  return NUMERIC.has(t);
}
export function isStringType(t: FieldType): boolean {
  return STRING.has(t);
}

/** A value that cannot be converted to the field's type; the caller adds the position. */
export class ValueError extends Error {}

const WIDTH: Record<string, { bits: bigint; signed: boolean }> = {
  INT64: { bits: 64n, signed: true },
  INT32: { bits: 32n, signed: true },
  UINT64: { bits: 64n, signed: false },
  UINT32: { bits: 32n, signed: false },
  UINT16: { bits: 16n, signed: false },
  RELTIME: { bits: 64n, signed: false },
  ABSTIME: { bits: 64n, signed: false },
};

const INTEGER = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|([0-9]+))$/;

/**
 * sscanf("%" PRIu64 "%c") and friends: optional leading space and sign, digits, nothing after
 * (hex with 0x is accepted too, as the condition grammar allows it). Out-of-range values saturate
 * like strtoull/strtoll, then wrap to the field's width like the C cast does.
 */
export function parseInteger(text: string, type: keyof typeof WIDTH): bigint {
  const m = INTEGER.exec(text);
  if (!m) throw new ValueError(`${text} is not a valid number`);
  const { bits, signed } = WIDTH[type]!;
  let v = m[2] !== undefined ? BigInt('0x' + m[2]) : BigInt(m[3]!);
  const neg = m[1] === '-';
  if (signed) {
    const max = (1n << 63n) - 1n;
    if (neg) v = v > max + 1n ? -(max + 1n) : -v;
    else if (v > max) v = max;
    return BigInt.asIntN(Number(bits), v);
  }
  const max = (1n << 64n) - 1n;
  if (v > max) v = max;
  if (neg) v = BigInt.asUintN(64, -v);
  return BigInt.asUintN(Number(bits), v);
}

let services: Map<string, number> | undefined;

/** getservbyname(name, NULL): the first /etc/services entry with that name or alias. */
function serviceLookup(name: string): number | undefined {
  if (!services) {
    services = new Map();
    let text = '';
    try {
      text = readFileSync('/etc/services', 'utf8');
    } catch {
      // no services database: names do not resolve
    }
    for (const line of text.split('\n')) {
      const words = line.replace(/#.*/, '').trim().split(/\s+/);
      const m = /^(\d+)\//.exec(words[1] ?? '');
      if (!m) continue;
      for (const w of [words[0]!, ...words.slice(2)]) if (!services.has(w)) services.set(w, Number(m[1]));
    }
  }
  return services.get(name);
}

export function parsePort(text: string): number {
  if (text === '') return 0;
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n > 0x7fffffff) throw new ValueError(`${text} is not a valid port`);
    return n & 0xffff;
  }
  const p = serviceLookup(text);
  if (p === undefined) throw new ValueError(`unrecognized protocol ${text}`);
  return p;
}

/** The constant a numeric field is compared with: a number, or a bigint for ABSTIME. */
export function parseNumber(text: string, type: NumericType): number | bigint {
  switch (type) {
    case 'PORT':
      return parsePort(text);
    case 'DOUBLE':
      // libsinsp reads a double field's constant as an integer: "floating point values still not
      // supported" (filter_compiler.ut.cpp refuses `thread.cpu = 1.0`)
      if (!INTEGER.test(text)) throw new ValueError(`${text} is not a valid number (floating point values are not supported)`);
      return Number(parseInteger(text, 'INT64'));
    case 'ABSTIME':
      return parseInteger(text, type);
    default:
      return Number(parseInteger(text, type));
  }
}

export function parseBool(text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new ValueError(`unrecognized boolean value ${text}`);
}

export type IPAddr = { v6: false; addr: number } | { v6: true; words: Uint32Array };

/** An IPADDR literal: with a '.' it must be IPv4 (so `::ffff:1.2.3.4` is rejected, like libsinsp). */
export function parseIPAddr(text: string): IPAddr {
  if (text.includes('.')) {
    if (!parseIPv4(text)) throw new ValueError(`unrecognized IPv4 address ${text}`);
    return { v6: false, addr: V4[0]! };
  }
  const words = new Uint32Array(4);
  if (!parseIPv6(text, words)) throw new ValueError(`unrecognized IPv6 address ${text}`);
  return { v6: true, words };
}

/** An IPNET literal `addr/len`: IPv4 with a '.', prefix 0-32; IPv6 otherwise, prefix 1-128. */
export function parseIPNet(text: string): IPNet {
  const slash = text.indexOf('/');
  if (slash < 0) throw new ValueError(`unrecognized IP network ${text}`);
  const ip = text.slice(0, slash);
  const mask = text.slice(slash + 1);
  if (!/^[0-9]+$/.test(mask)) throw new ValueError(`${mask} is not a valid number`);
  const prefix = Number(mask);
  if (text.includes('.')) {
    if (!parseIPv4(ip)) throw new ValueError(`unrecognized IP address ${text}`);
    if (prefix > 32) throw new ValueError(`invalid netmask ${mask}`);
    return { v6: false, addr: V4[0]!, mask: v4Mask(prefix) };
  }
  const words = new Uint32Array(4);
  if (!parseIPv6(ip, words)) throw new ValueError(`unrecognized IPv6 address ${text}`);
  if (prefix === 0 || prefix > 128) throw new ValueError(`invalid v6 netmask ${mask}`);
  return { v6: true, words, prefix };
}

/** printf("%.1lf"): like toFixed(1), but an exact tie rounds to even as glibc does. */
function fixed1(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : '-nan';
  const exact = Math.abs(x).toFixed(60);
  const dot = exact.indexOf('.');
  if (exact[dot + 2] === '5' && /^0*$/.test(exact.slice(dot + 3))) {
    const tenths = Math.trunc(Math.abs(x) * 10); // the exact value is tenths + 0.05
    const even = tenths % 2 === 0 ? tenths : tenths + 1;
    return (x < 0 ? '-' : '') + (even / 10).toFixed(1);
  }
  return x.toFixed(1);
}

/** Throws a ValueError when `text` cannot be a value of `type` (strings and buffers always can). */
export function checkValue(type: FieldType, text: string): void {
  if (isNumericType(type)) parseNumber(text, type);
  else if (type === 'BOOL') parseBool(text);
  else if (type === 'IPADDR') parseIPAddr(text);
  else if (type === 'IPNET') parseIPNet(text);
}

/** A scalar as libsinsp prints it in outputs. */
export function scalarText(v: Scalar, type: FieldType): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) return printableBytes(v);
  if (type === 'DOUBLE' && typeof v === 'number') return fixed1(v);
  return String(v);
}

/** A value as text: lists as `(a,b,c)`, like sinsp_filter_check::tostring. */
export function valueText(v: FieldValue, type: FieldType): string {
  if (Array.isArray(v)) {
    let out = '(';
    for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + scalarText(v[i], type);
    return out + ')';
  }
  return scalarText(v as Scalar, type);
}

export type JsonScalar = string | number | bigint | boolean | null;
export type OutputValue = JsonScalar | JsonScalar[];

function scalarJson(v: Scalar, type: FieldType): JsonScalar {
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
  if (typeof v === 'number') return v;
  return scalarText(v, type);
}

/** A value as it appears in output_fields (rawval_to_json): typed, lists as arrays. */
export function valueJson(v: FieldValue | undefined, type: FieldType): OutputValue {
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map((x) => scalarJson(x, type));
  return scalarJson(v as Scalar, type);
}
