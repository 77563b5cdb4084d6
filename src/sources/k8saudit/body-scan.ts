// The index of a webhook body, made in one pass over its bytes without building it: where each
// event of the list starts and ends, and where each of an event's top-level members' values lies.
// Fields are then read from those ranges on demand (event.ts, json-ranges.ts) instead of JSON.parse
// building every event whole: most of an EventList is never looked at by any rule.
//
// The pass is wasm/body-scan.c compiled to WebAssembly (JavaScript cannot check JSON faster than
// V8's JSON.parse builds it; the WebAssembly scan is several times faster). It only ever answers
// "valid JSON, and here is the index" or "not handled" (undefined): invalid JSON and whatever it
// does not index (invalid UTF-8, nesting deeper than 200, a top level that is neither an object
// nor an array) go the reference path (JSON.parse of the whole body), so errors and unusual bodies
// are handled exactly as before. test/sources/k8saudit/lazy-body.test.ts checks it never accepts
// text JSON.parse rejects, and that every value read through the index is JSON.parse's.
import { BODY_SCAN_WASM } from './wasm/body-scan-wasm.js';

/** Top-level members of an audit Event (and of an EventList) that the index records by position. */
export const KNOWN_KEYS = [
  'kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'user', 'impersonatedUser', 'sourceIPs',
  'userAgent', 'objectRef', 'responseStatus', 'requestObject', 'responseObject', 'requestReceivedTimestamp',
  'stageTimestamp', 'annotations', 'cluster_name', 'metadata', 'items',
] as const;
export type KnownKey = (typeof KNOWN_KEYS)[number];
export const KEY_ID: Readonly<Record<KnownKey, number>> = Object.fromEntries(KNOWN_KEYS.map((k, i) => [k, i])) as Record<KnownKey, number>;

// A row of the index: [start, end, flags, then per known key: value start, value end (-1: absent)].
export const ROW_START = 0;
export const ROW_END = 1;
export const ROW_FLAGS = 2;
export const ROW_MEMBERS = 3;
/** Second level: members of the small objects nearly every rule reads, per parent (wasm/body-scan.c SUBS). */
export const SUB_KEYS: Readonly<Record<string, readonly string[]>> = {
  objectRef: ['resource', 'subresource', 'name', 'namespace', 'apiGroup', 'apiVersion'],
  user: ['username', 'groups'],
  annotations: ['authorization.k8s.io/decision', 'authorization.k8s.io/reason'],
  responseStatus: ['code', 'reason'],
};
const SUB_IDS = new Map<string, number>();
Object.entries(SUB_KEYS).forEach(([parent, keys]) => keys.forEach((k) => SUB_IDS.set(`${parent}/${k}`, SUB_IDS.size)));
/** The second-level slot of `parent`'s member `key`, or -1. */
export function subId(parent: string, key: string): number {
  return SUB_IDS.get(`${parent}/${key}`) ?? -1;
}
export const ROW_SUBS = ROW_MEMBERS + 2 * KNOWN_KEYS.length;
export const ROW_STRIDE = ROW_SUBS + 2 * SUB_IDS.size;
/** The element is an object. */
export const FLAG_OBJECT = 1;
/** The object has a member whose key is not a KNOWN_KEY: reading such a key needs the whole object. */
export const FLAG_OTHER_KEYS = 2;
/** A member key of the object is written with escapes (the scanner does not decode keys: such a row is parsed). */
export const FLAG_ESCAPED_KEY = 4;
/** The row's second-level slots are filled (list elements; a single Event body's row 0 is not). */
export const FLAG_SUBS = 8;
/** A key inside one of the second-level objects is escaped: its slots may miss it. */
export const FLAG_SUB_ESCAPED = 16;

/** Where member `key` of row `row` starts (its value's first character), or -1. */
export function memberStart(table: Int32Array, row: number, key: number): number {
  return table[row * ROW_STRIDE + ROW_MEMBERS + 2 * key]!;
}
export function memberEnd(table: Int32Array, row: number, key: number): number {
  return table[row * ROW_STRIDE + ROW_MEMBERS + 2 * key + 1]!;
}

export interface BodyIndex {
  readonly text: string;
  /** Row 0 is the body's top-level value; rows 1..count are the list's elements, in order. */
  readonly table: Int32Array;
  /** Elements of the list: the top-level array's, or those of the top-level object's last `items` array. */
  readonly count: number;
  /** The top level is an array (not an object). */
  readonly topIsArray: boolean;
}

export interface BodyIndex {
  /** The body as text (offsets in the table are UTF-16 code units of this string). */
  readonly text: string;
  /** Row 0 is the body's top-level value; rows 1..count are the list's elements, in order. */
  readonly table: Int32Array;
  /** Elements of the list: the top-level array's, or those of the top-level object's last `items` array (0 if none). */
  readonly count: number;
  /** The top level is an array (not an object). */
  readonly topIsArray: boolean;
}

// The few WebAssembly declarations used (the project's TypeScript libs do not include them).
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
interface ScanExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  scan(body: number, len: number, out: number, capacityRows: number): number;
  failed_at(): number;
  __heap_base: { value: number };
}
const { WebAssembly: wa } = globalThis as unknown as { WebAssembly: WebAssemblyApi };
const wasm = new wa.Instance(new wa.Module(Buffer.from(BODY_SCAN_WASM, 'base64')), {}).exports as ScanExports;
const FREE = (wasm.__heap_base.value + 7) & ~7;
const HEADER = 4; // all ASCII, rows, list elements, top is an array
const PAGE = 65536;
const PADDING = 16;
/** Rows tried first; a longer list is scanned again with room for it. */
const FIRST_CAPACITY = 1024;

/**
 * Checks and indexes `data`; undefined: take the reference path. The text is `data` decoded as
 * UTF-8 (as latin1 when every byte is ASCII: the same string, made faster).
 */
export function scanBody(data: Buffer): BodyIndex | undefined {
  const r = run(data);
  return typeof r === 'number' ? undefined : r;
}

/**
 * The byte offset of `data` where it stops being JSON, for the error message of a body JSON.parse
 * rejected (undefined when the scan does not say: a body it does not index).
 */
export function jsonErrorOffset(data: Buffer): number | undefined {
  return run(data) === NOT_JSON ? wasm.failed_at() : undefined;
}

const NOT_JSON = -1;
const TOO_LONG = -4;
/** The most list elements indexed (about 18 MB of index); kube-apiserver batches 400 by default. */
const MAX_ROWS = FIRST_CAPACITY * 64;

function run(data: Buffer): BodyIndex | number {
  const bodyAt = FREE;
  const out = (bodyAt + data.length + PADDING + 7) & ~7;
  for (let capacity = FIRST_CAPACITY; ; capacity *= 4) {
    // a list longer than any kube-apiserver batch (tiny items by the million) is left to JSON.parse
    if (capacity > MAX_ROWS) return TOO_LONG;
    const need = out + (HEADER + capacity * ROW_STRIDE) * 4;
    if (need > wasm.memory.buffer.byteLength) {
      try {
        wasm.memory.grow(Math.ceil((need - wasm.memory.buffer.byteLength) / PAGE));
      } catch {
        return TOO_LONG; // no more memory for the index: the reference path
      }
    }
    const mem = new Uint8Array(wasm.memory.buffer);
    mem.set(data, bodyAt);
    mem.fill(0, bodyAt + data.length, bodyAt + data.length + PADDING); // the scan reads up to 16 bytes ahead
    const status = wasm.scan(bodyAt, data.length, out, capacity);
    if (status === -2) continue;
    if (status !== 0) return status;
    const header = new Int32Array(wasm.memory.buffer, out, HEADER);
    const rows = header[1]!;
    const table = new Int32Array(wasm.memory.buffer, out + HEADER * 4, rows * ROW_STRIDE).slice();
    const text = header[0] === 1 ? data.toString('latin1') : data.toString('utf8');
    return { text, table, count: header[2]!, topIsArray: header[3] === 1 };
  }
}
