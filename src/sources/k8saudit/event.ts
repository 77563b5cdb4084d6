// One Kubernetes audit event (audit.k8s.io/v1 or v1beta1 `Event`), plus values derived from it on
// first use so that several rules asking for the same thing pay once. Either parsed JSON (the
// audit log, tests, the webhook's reference path) or a range of a webhook body's text indexed by
// body-scan.ts, whose members are read from the text only when a field asks for them: every read
// gives what the parsed object would give (test/sources/k8saudit/lazy-body.test.ts).
import { FLAG_OTHER_KEYS, FLAG_SUBS, FLAG_SUB_ESCAPED, KEY_ID, KNOWN_KEYS, ROW_SUBS, subId, ROW_END, ROW_FLAGS, ROW_START, ROW_STRIDE, memberEnd, memberStart, type BodyIndex } from './body-scan.js';
import { elementRange, found, memberRange, plainString, textAt, valueAt } from './json-ranges.js';
import { getPath } from './fields/json.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A JSON value as the k8saudit plugin renders it: strings as they are, others as JSON text. */
function text(v: Json | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
}

export function member(o: Json | undefined, key: string): Json | undefined {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

const DIGITS = /^\d+$/;

/** A fixed path into an event (a field's), prepared once when the field is bound. */
export class EventPath {
  /** The top-level member's index id (body-scan KNOWN_KEYS), -1 when not one of those. */
  readonly first: number;
  /** Whether each key is an array index where the value is an array. */
  readonly index: readonly boolean[];
  /** Members that hold what the client sent, large and read deep: parsed whole once when read. */
  readonly viaParsed: boolean;
  /** The second-level slot of keys[1] under keys[0] (body-scan SUB_KEYS), -1: none. */
  readonly sub: number;

  constructor(readonly keys: readonly string[]) {
    const k0 = keys[0] ?? '';
    this.first = Object.prototype.hasOwnProperty.call(KEY_ID, k0) ? KEY_ID[k0 as keyof typeof KEY_ID] : -1;
    this.index = keys.map((k) => DIGITS.test(k));
    this.viaParsed = k0 === 'requestObject' || k0 === 'responseObject';
    this.sub = keys.length >= 2 ? subId(k0, keys[1]!) : -1;
  }
}

const UNREAD = Symbol('unread');

export class AuditEvent {
  // What nearly every rule tests, read once: upstream rules test the stage ~40 times per event,
  // the resource and verb ~20 times each.
  readonly stage: string | undefined;
  readonly verb: string | undefined;
  readonly resource: string | undefined;
  readonly subresource: string | undefined;
  readonly userName: string | undefined;
  /** Nanoseconds since the epoch, from stageTimestamp (else requestReceivedTimestamp, else receipt). */
  private time?: bigint;
  private rawTime?: string;
  private query?: URLSearchParams | null;
  private text?: string;
  private parsed: JsonObject | undefined;
  private readonly body: BodyIndex | undefined;
  private readonly row: number;
  /** Top-level members read from the body's text so far (lazily allocated). */
  private members: Array<Json | undefined | typeof UNREAD> | undefined;

  constructor(
    source: JsonObject | IndexedItem,
    /** When Kestrel received the event, ns since the epoch: the fallback time. */
    readonly receivedNs: bigint = BigInt(Date.now()) * 1_000_000n,
    /** The cluster this event came from, when the webhook is configured with a name. */
    readonly clusterName?: string,
  ) {
    if (source instanceof IndexedItem) {
      this.body = source.body;
      this.row = source.row;
      this.stage = source.stage;
      this.verb = source.verb;
    } else {
      this.parsed = source;
      this.row = 0;
      this.stage = this.textOf(STAGE);
      this.verb = this.textOf(VERB);
    }
    this.resource = this.textOf(RESOURCE);
    this.subresource = this.textOf(SUBRESOURCE);
    this.userName = this.textOf(USER_NAME);
  }

  /** The whole event as parsed JSON (parsed from the body's text on first use). */
  get obj(): JsonObject {
    if (this.parsed === undefined) {
      const t = this.body!.table;
      const base = this.row * ROW_STRIDE;
      this.parsed = JSON.parse(this.body!.text.slice(t[base + ROW_START], t[base + ROW_END])) as JsonObject;
    }
    return this.parsed;
  }

  /** Whether the event's value comes from a body's text (not a parsed object). */
  get indexed(): boolean {
    return this.body !== undefined;
  }

  /** Characters of the body's text the event spans (0 for a parsed event). */
  get textLength(): number {
    if (this.body === undefined) return 0;
    const base = this.row * ROW_STRIDE;
    return this.body.table[base + ROW_END]! - this.body.table[base + ROW_START]!;
  }

  /** The event's own member `key`, as JSON.parse gives it. */
  top(key: string): Json | undefined {
    if (this.body === undefined) return member(this.parsed, key);
    if (!Object.prototype.hasOwnProperty.call(KEY_ID, key)) return this.otherKeys() ? member(this.obj, key) : undefined;
    return this.topById(KEY_ID[key as keyof typeof KEY_ID]);
  }

  private otherKeys(): boolean {
    return (this.body!.table[this.row * ROW_STRIDE + ROW_FLAGS]! & FLAG_OTHER_KEYS) !== 0;
  }

  private topById(id: number): Json | undefined {
    const { table, text } = this.body!;
    const start = memberStart(table, this.row, id);
    if (start < 0) return undefined;
    // a string is a slice of the text (not kept: cheaper to make again than to keep a cache)
    if (text.charCodeAt(start) === 0x22) return valueAt(text, start, memberEnd(table, this.row, id)) as string;
    const members = (this.members ??= new Array<Json | undefined | typeof UNREAD>(KEY_COUNT).fill(UNREAD));
    let v = members[id];
    if (v === UNREAD) v = members[id] = valueAt(text, start, memberEnd(table, this.row, id)) as Json;
    return v;
  }

  /** The value at `path`, as getPath(obj, keys) gives it. */
  valueOf(path: EventPath): Json | undefined {
    if (this.body === undefined) return getPath(this.parsed, path.keys, 0);
    if (path.first < 0) return getPath(this.top(path.keys[0]!), path.keys, 1);
    if (path.viaParsed || !this.locate(path)) return path.viaParsed ? getPath(this.topById(path.first), path.keys, 1) : undefined;
    return valueAt(this.body.text, found.start, found.end) as Json;
  }

  /** The value at `path` as the plugin renders it (a string as it is, others as JSON text). */
  textOf(path: EventPath): string | undefined {
    if (this.body === undefined || path.first < 0 || path.viaParsed) return text(this.valueOf(path));
    return this.locate(path) ? textAt(this.body.text, found.start, found.end) : undefined;
  }

  /** Puts the range of the value at `path` (not under a body member) into `found`; false if absent. */
  private locate(path: EventPath): boolean {
    const { table, text } = this.body!;
    const start = memberStart(table, this.row, path.first);
    if (start < 0) return false;
    found.start = start;
    found.end = memberEnd(table, this.row, path.first);
    const keys = path.keys;
    let i = 1;
    if (path.sub >= 0 && (table[this.row * ROW_STRIDE + ROW_FLAGS]! & (FLAG_SUBS | FLAG_SUB_ESCAPED)) === FLAG_SUBS && text.charCodeAt(start) === 0x7b) {
      // the scan recorded this object's member: no need to walk it
      const at = this.row * ROW_STRIDE + ROW_SUBS + 2 * path.sub;
      if (table[at]! < 0) return false;
      found.start = table[at]!;
      found.end = table[at + 1]!;
      i = 2;
    }
    for (; i < keys.length; i++) {
      const at = found.start;
      const c = text.charCodeAt(at);
      if (c === 0x7b) {
        if (!memberRange(text, at, keys[i]!)) return false;
      } else if (c === 0x5b) {
        if (!path.index[i] || !elementRange(text, at, Number(keys[i]))) return false;
      } else return false;
    }
    return true;
  }

  get timeNs(): bigint {
    if (this.time === undefined) {
      this.time = this.timestamp(KEY_ID.stageTimestamp) ?? this.timestamp(KEY_ID.requestReceivedTimestamp) ?? this.receivedNs;
    }
    return this.time;
  }

  /** The top-level member `id` read as an RFC 3339 timestamp. */
  private timestamp(id: number): bigint | undefined {
    if (this.body === undefined) return parseRfc3339Ns(member(this.parsed, KNOWN_KEYS[id]!));
    const { table, text } = this.body;
    const start = memberStart(table, this.row, id);
    if (start < 0 || text.charCodeAt(start) !== 0x22) return undefined;
    const end = memberEnd(table, this.row, id);
    return plainString(text, start, end) ? rfc3339At(text, start + 1, end - 1) : parseRfc3339Ns(valueAt(text, start, end));
  }

  /** timeNs as decimal text (jevt.rawtime, which many upstream macros test with `exists`). */
  get rawTimeText(): string {
    return (this.rawTime ??= String(this.timeNs));
  }

  /** The parsed query of requestURI; null when there is no requestURI or it cannot be parsed. */
  get uriQuery(): URLSearchParams | null {
    if (this.query === undefined) {
      const uri = this.top('requestURI');
      this.query = null;
      if (typeof uri === 'string') {
        const q = uri.indexOf('?');
        try {
          this.query = new URLSearchParams(q < 0 ? '' : uri.slice(q + 1));
        } catch {
          this.query = null;
        }
      }
    }
    return this.query;
  }

  /** The whole event as indented JSON text (what the json plugin's json.obj shows). */
  get jsonText(): string {
    if (this.text === undefined) this.text = JSON.stringify(this.obj, null, 2);
    return this.text;
  }
}

/** An event's place in an indexed body, with the stage and verb already read from it (both strings). */
export class IndexedItem {
  constructor(
    readonly body: BodyIndex,
    readonly row: number,
    readonly stage: string,
    readonly verb: string,
  ) {}
}

const KEY_COUNT = Object.keys(KEY_ID).length;
const STAGE = new EventPath(['stage']);
const VERB = new EventPath(['verb']);
const RESOURCE = new EventPath(['objectRef', 'resource']);
const SUBRESOURCE = new EventPath(['objectRef', 'subresource']);
const USER_NAME = new EventPath(['user', 'username']);

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?(Z|z|[+-]\d{2}:?\d{2})$/;

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** RFC 3339 timestamp (as Kubernetes writes MicroTime) -> ns since the epoch, keeping all digits. */
export function parseRfc3339Ns(value: unknown): bigint | undefined {
  return typeof value === 'string' ? rfc3339At(value, 0, value.length) : undefined;
}

/** parseRfc3339Ns of text[from, to) (read in place: an indexed event's timestamp is not copied). */
export function rfc3339At(text: string, from: number, to: number): bigint | undefined {
  // Fast path for what kube-apiserver writes: 2024-05-14T09:21:37.123456Z
  const len = to - from;
  const at = (i: number) => text.charCodeAt(from + i);
  if (len >= 20 && at(len - 1) === 90 /* Z */ && at(10) === 84 /* T */ && at(19) !== 43 && at(19) !== 45) {
    const ms = Date.UTC(digits(text, from, from + 4), digits(text, from + 5, from + 7) - 1, digits(text, from + 8, from + 10), digits(text, from + 11, from + 13), digits(text, from + 14, from + 16), digits(text, from + 17, from + 19));
    let frac = 0;
    if (len > 21 && at(19) === 46 /* . */) {
      const end = Math.min(len - 1, 29);
      frac = digits(text, from + 20, from + end);
      for (let i = end - 20; i < 9; i++) frac *= 10;
    } else if (len !== 20) {
      return parseGeneral(text.slice(from, to));
    }
    if (!Number.isNaN(ms) && !Number.isNaN(frac) && at(4) === 45 && at(13) === 58) {
      return BigInt(ms) * 1_000_000n + BigInt(frac);
    }
  }
  return parseGeneral(text.slice(from, to));
}

function parseGeneral(value: string): bigint | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  let ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const zone = m[8]!;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const d = zone.slice(1).replace(':', '');
    ms -= sign * (+d.slice(0, 2) * 60 + +d.slice(2, 4)) * 60_000;
  }
  if (Number.isNaN(ms)) return undefined;
  const frac = m[7] ? BigInt(m[7].padEnd(9, '0')) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}
