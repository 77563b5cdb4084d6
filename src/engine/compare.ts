// Per-type comparison tests, built once per check with the right-hand side already converted:
// the semantics of libsinsp's flt_compare / sinsp_filter_check::compare_rhs.
import type { FieldType, Scalar } from '../fields/types.js';
import type { BinaryOperator } from '../condition/ast.js';
import { compileGlob } from './glob.js';
import { V4, ipv4, parseIPv6, v4InNet, v6Equal, v6InNet, type IPNet, type IPv4Net, type IPv6Net } from './ip.js';
import { PathPrefixMatcher } from './pmatch.js';
import { compileRegex, type FullMatcher } from './regex.js';
import { bytesEndWith, bytesEqual, bytesIndexOf, bytesStartWith, includesAsciiCI, asciiLower, unhex, utf8 } from './text.js';
import {
  ValueError,
  isNumericType,
  isStringType,
  parseBool,
  parseIPAddr,
  parseIPNet,
  parseNumber,
  type IPAddr,
} from './values.js';

/** A test on one present scalar value. */
export type Test = (v: Scalar) => boolean;
/** A test of a left-hand value against a right-hand value extracted from another field. */
export type DynTest = (lhs: Scalar, rhs: Scalar) => boolean;

export type Op = Exclude<BinaryOperator, '=='>;

export function normalizeOp(op: BinaryOperator): Op {
  return op === '==' ? '=' : op;
}

const NUMERIC_OPS: Op[] = ['=', '!=', '<', '<=', '>', '>=', 'in', 'intersects'];
const BOOL_OPS: Op[] = ['=', '!=', 'in', 'intersects'];
const STRING_OPS: Op[] = ['=', '!=', '<', '<=', '>', '>=', 'contains', 'in', 'icontains', 'startswith', 'glob', 'pmatch', 'endswith', 'intersects', 'iglob', 'regex'];
const BUFFER_OPS: Op[] = ['=', '!=', 'contains', 'in', 'startswith', 'endswith', 'intersects', 'bcontains', 'bstartswith'];
const IP_OPS: Op[] = ['=', '!=', 'in', 'intersects'];
const LIST_OPS: Op[] = ['in', 'intersects'];
const LIST_TYPES: FieldType[] = ['CHARBUF', 'UINT64', 'RELTIME', 'ABSTIME', 'BOOL', 'IPADDR', 'IPNET'];

/** flt_is_comparable: the error libsinsp gives for an operator a field's type does not take. */
export function comparabilityError(op: Op, type: FieldType, list: boolean): string | undefined {
  if (list) {
    if (!LIST_TYPES.includes(type)) return `list filters are not supported for type '${type}'`;
    return LIST_OPS.includes(op) ? undefined : `'${op}' operator not supported list filters`;
  }
  if (isNumericType(type)) return NUMERIC_OPS.includes(op) ? undefined : `'${op}' operator not supported for numeric filters`;
  if (type === 'BOOL') return BOOL_OPS.includes(op) ? undefined : `'${op}' operator not supported for numeric filters`;
  if (type === 'IPADDR' || type === 'IPNET') return IP_OPS.includes(op) ? undefined : `'${op}' operator not supported for ip address and network filters`;
  if (isStringType(type)) return STRING_OPS.includes(op) ? undefined : `'${op}' operator not supported for string filters`;
  if (type === 'BYTEBUF') return BUFFER_OPS.includes(op) ? undefined : `'${op}' operator not supported for buffer filters`;
  return `'${op}' operator not supported for type '${type}'`;
}

const scratch = new Uint32Array(4);

function bytesOf(v: Scalar): Uint8Array {
  return v instanceof Uint8Array ? v : utf8(String(v));
}

/** The right-hand side bytes of a buffer check: hex for bcontains/bstartswith, raw text otherwise. */
function rhsBytes(op: Op, text: string, raw: Uint8Array | undefined): Uint8Array {
  if (op === 'bcontains' || op === 'bstartswith') {
    const b = unhex(text);
    if (!b) throw new ValueError('bcontains and bstartswith operator support hex strings only');
    return b;
  }
  return raw ?? utf8(text);
}

function stringTest(op: Op, s: string): Test {
  switch (op) {
    case '=':
      return (v) => v === s;
    case '!=':
      return (v) => v !== s;
    case '<':
      return (v) => (v as string) < s;
    case '<=':
      return (v) => (v as string) <= s;
    case '>':
      return (v) => (v as string) > s;
    case '>=':
      return (v) => (v as string) >= s;
    case 'contains':
      return (v) => (v as string).includes(s);
    case 'icontains': {
      const lower = asciiLower(s);
      return (v) => includesAsciiCI(v as string, lower);
    }
    case 'startswith':
      return (v) => (v as string).startsWith(s);
    case 'endswith':
      return (v) => (v as string).endsWith(s);
    case 'glob': {
      const g = compileGlob(s);
      return (v) => g(v as string);
    }
    case 'iglob': {
      const g = compileGlob(s, true);
      return (v) => g(v as string);
    }
    case 'regex': {
      let re: FullMatcher;
      try {
        re = compileRegex(s);
      } catch (e) {
        throw new RegexError((e as Error).message);
      }
      return (v) => re.test(v as string);
    }
    default:
      throw new Error(`no string test for ${op}`);
  }
}

export class RegexError extends Error {}

function numberTest(op: Op, r: number | bigint): Test {
  switch (op) {
    case '=':
      return (v) => (v as number) == r;
    case '!=':
      return (v) => (v as number) != r;
    case '<':
      return (v) => (v as number) < r;
    case '<=':
      return (v) => (v as number) <= r;
    case '>':
      return (v) => (v as number) > r;
    case '>=':
      return (v) => (v as number) >= r;
    default:
      throw new Error(`no numeric test for ${op}`);
  }
}

function bufferTest(op: Op, r: Uint8Array): Test {
  switch (op) {
    case '=':
      return (v) => bytesEqual(bytesOf(v), r);
    case '!=':
      return (v) => !bytesEqual(bytesOf(v), r);
    case 'contains':
    case 'bcontains':
      return (v) => bytesIndexOf(bytesOf(v), r) >= 0;
    case 'startswith':
    case 'bstartswith':
      return (v) => bytesStartWith(bytesOf(v), r);
    case 'endswith':
      return (v) => bytesEndWith(bytesOf(v), r);
    default:
      throw new Error(`no buffer test for ${op}`);
  }
}

/** IP address equality: a value of the other family never equals, so `!=` is true (flt_compare). */
function ipAddrTest(op: Op, r: IPAddr): Test {
  const ne = op === '!=';
  if (!r.v6) {
    const a = r.addr;
    return (v) => (ipv4(v as string) ? (V4[0] === a) !== ne : ne);
  }
  const w = r.words;
  return (v) => (parseIPv6(v as string, scratch) ? v6Equal(scratch, w) !== ne : ne);
}

function ipNetMember(net: IPNet, v: string): boolean | undefined {
  if (!net.v6) {
    return ipv4(v) ? v4InNet(V4[0]!, net) : undefined;
  }
  return parseIPv6(v, scratch) ? v6InNet(scratch, net) : undefined;
}

function ipNetTest(op: Op, net: IPNet): Test {
  const ne = op === '!=';
  return (v) => {
    const m = ipNetMember(net, v as string);
    return m === undefined ? ne : m !== ne;
  };
}

/**
 * The test for an operator with one right-hand value (`=`, `contains`, `<`, ...). `raw` is the
 * literal's exact bytes when they are not valid UTF-8 (for byte-buffer fields).
 */
export function scalarTest(type: FieldType, op: Op, rhs: string, raw?: Uint8Array): Test {
  if (isStringType(type)) return stringTest(op, rhs);
  if (isNumericType(type)) return numberTest(op, parseNumber(rhs, type));
  if (type === 'BOOL') {
    const b = parseBool(rhs);
    return op === '=' ? (v) => v === b : (v) => v !== b;
  }
  if (type === 'IPADDR') return ipAddrTest(op, parseIPAddr(rhs));
  if (type === 'IPNET') return ipNetTest(op, parseIPNet(rhs));
  if (type === 'BYTEBUF') return bufferTest(op, rhsBytes(op, rhs, raw));
  throw new ValueError(`type ${type} cannot be compared`);
}

/** Membership in the right-hand list (`in`, `intersects`, `pmatch`), for one element. */
export function memberTest(type: FieldType, op: Op, items: readonly string[], raw?: ReadonlyArray<Uint8Array | undefined>): Test {
  if (op === 'pmatch') {
    const m = new PathPrefixMatcher(items);
    return (v) => m.match(v as string);
  }
  if (isStringType(type)) {
    const set = new Set(items);
    return (v) => set.has(v as string);
  }
  if (isNumericType(type)) {
    const set = new Set<number | bigint>(items.map((i) => parseNumber(i, type)));
    if (type === 'ABSTIME') return (v) => set.has(typeof v === 'bigint' ? v : BigInt(v as number));
    return (v) => set.has(typeof v === 'bigint' ? Number(v) : (v as number));
  }
  if (type === 'BOOL') {
    const set = new Set(items.map(parseBool));
    return (v) => set.has(v as boolean);
  }
  if (type === 'IPADDR') {
    const addrs = items.map(parseIPAddr);
    const v4 = new Set(addrs.flatMap((a) => (a.v6 ? [] : [a.addr])));
    const v6 = addrs.flatMap((a) => (a.v6 ? [a.words] : []));
    return (v) => {
      if (ipv4(v as string)) return v4.has(V4[0]!);
      if (v6.length === 0 || !parseIPv6(v as string, scratch)) return false;
      for (let i = 0; i < v6.length; i++) if (v6Equal(scratch, v6[i]!)) return true;
      return false;
    };
  }
  if (type === 'IPNET') {
    const nets = items.map(parseIPNet);
    const v4 = nets.filter((n): n is IPv4Net => !n.v6);
    const v6 = nets.filter((n): n is IPv6Net => n.v6);
    return (v) => {
      if (ipv4(v as string)) {
        const x = V4[0]!;
        for (let i = 0; i < v4.length; i++) if (v4InNet(x, v4[i]!)) return true;
        return false;
      }
      if (v6.length === 0 || !parseIPv6(v as string, scratch)) return false;
      for (let i = 0; i < v6.length; i++) if (v6InNet(scratch, v6[i]!)) return true;
      return false;
    };
  }
  if (type === 'BYTEBUF') {
    const bufs = items.map((i, k) => raw?.[k] ?? utf8(i));
    return (v) => {
      const b = bytesOf(v);
      for (let i = 0; i < bufs.length; i++) if (bytesEqual(b, bufs[i]!)) return true;
      return false;
    };
  }
  throw new ValueError(`type ${type} cannot be compared`);
}

function sameIP(a: string, b: string): boolean {
  if (ipv4(a)) {
    const x = V4[0]!;
    return ipv4(b) && V4[0] === x;
  }
  const w = new Uint32Array(4);
  return parseIPv6(a, w) && parseIPv6(b, scratch) && v6Equal(w, scratch);
}

/** Comparison with a right-hand field (`val(other.field)`), per operator and type. */
export function dynamicTest(type: FieldType, op: Op): DynTest {
  const eqOp: Op = op === 'in' || op === 'intersects' ? '=' : op;
  if (isStringType(type)) {
    switch (eqOp) {
      case '=':
        return (a, b) => a === b;
      case '!=':
        return (a, b) => a !== b;
      case '<':
        return (a, b) => (a as string) < (b as string);
      case '<=':
        return (a, b) => (a as string) <= (b as string);
      case '>':
        return (a, b) => (a as string) > (b as string);
      case '>=':
        return (a, b) => (a as string) >= (b as string);
      case 'contains':
        return (a, b) => (a as string).includes(b as string);
      case 'icontains':
        return (a, b) => includesAsciiCI(a as string, asciiLower(b as string));
      case 'startswith':
        return (a, b) => (a as string).startsWith(b as string);
      case 'endswith':
        return (a, b) => (a as string).endsWith(b as string);
      case 'glob':
      case 'iglob': {
        let last: string | undefined;
        let test: (s: string) => boolean = () => false;
        const ci = eqOp === 'iglob';
        return (a, b) => {
          if (b !== last) {
            last = b as string;
            test = compileGlob(last, ci);
          }
          return test(a as string);
        };
      }
    }
  } else if (isNumericType(type) || type === 'BOOL') {
    switch (eqOp) {
      case '=':
        return (a, b) => a == b;
      case '!=':
        return (a, b) => a != b;
      case '<':
        return (a, b) => (a as number) < (b as number);
      case '<=':
        return (a, b) => (a as number) <= (b as number);
      case '>':
        return (a, b) => (a as number) > (b as number);
      case '>=':
        return (a, b) => (a as number) >= (b as number);
    }
  } else if (type === 'IPADDR') {
    if (eqOp === '=') return (a, b) => sameIP(a as string, b as string);
    if (eqOp === '!=') return (a, b) => !sameIP(a as string, b as string);
  } else if (type === 'BYTEBUF') {
    switch (eqOp) {
      case '=':
        return (a, b) => bytesEqual(bytesOf(a), bytesOf(b));
      case '!=':
        return (a, b) => !bytesEqual(bytesOf(a), bytesOf(b));
      case 'contains':
      case 'bcontains':
        return (a, b) => bytesIndexOf(bytesOf(a), bytesOf(b)) >= 0;
      case 'startswith':
      case 'bstartswith':
        return (a, b) => bytesStartWith(bytesOf(a), bytesOf(b));
      case 'endswith':
        return (a, b) => bytesEndWith(bytesOf(a), bytesOf(b));
    }
  }
  throw new ValueError(`operator '${op}' cannot compare two ${type} fields`);
}
