// A webhook body split into its events, two ways that give the same result:
// - indexed (the default): body-scan.ts checks the text and indexes it; each event is accepted
//   from the index when its required members are plainly right, and read lazily afterwards;
// - parsed (the reference path, and the fallback for whatever the index does not handle and for
//   every event that fails a check): JSON.parse of the whole body (or of that event alone), then
//   validate.ts, exactly as the webhook always did. Errors and rejections therefore always come
//   from the reference path, with its messages.
import { FLAG_ESCAPED_KEY, FLAG_OBJECT, KEY_ID, ROW_END, ROW_FLAGS, ROW_START, ROW_STRIDE, jsonErrorOffset, memberEnd, memberStart, scanBody, type BodyIndex } from './body-scan.js';
import { AuditEvent, IndexedItem, type Json, type JsonObject } from './event.js';
import { itemSizes, jsonByteLength } from './item-sizes.js';
import { valueAt } from './json-ranges.js';
import type { SeenEvents } from './dedupe.js';
import { API_VERSIONS, LEVELS, STAGES, eventProblem, itemsOf, type Rejection } from './validate.js';

export type Split = ItemsSplit | { malformed: string; problem?: undefined } | { malformed?: undefined; problem: Rejection };
type ItemsSplit = Extract<SplitAny, { count: number }>;
type SplitAny =
  | { malformed: string; problem?: undefined }
  | { malformed?: undefined; problem: Rejection }
  | {
      malformed?: undefined;
      problem?: undefined;
      count: number;
      /** Each item's size in bytes, when the body is larger than the per-event limit. */
      sizes: number[] | undefined;
      /** The index, when the body was indexed (then items are read through indexedEvent). */
      index: BodyIndex | undefined;
      /** The index row of item 0 (0: the body is a single Event). */
      firstRow: number;
      /** Item i as parsed JSON (parsed on demand from the index). */
      item(i: number): Json;
    };

/** Splits `data` into items; `indexed` false forces the reference path. */
export function splitBody(data: Buffer, maxEventBytes: number, indexed: boolean): Split {
  const index = indexed ? scanBody(data) : undefined;
  if (index) {
    const split = splitIndexed(index, data, maxEventBytes);
    if (split) return split;
  }
  const text = index?.text ?? data.toString('utf8');
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch (err) {
    const at = jsonErrorOffset(data);
    return { malformed: at === undefined ? (err as Error).message : `${(err as Error).message} (the body stops being JSON at byte ${at})` };
  }
  const { items, problem } = itemsOf(body);
  if (problem) return { problem };
  // Only a body larger than the per-event limit can hold a too-large event.
  let sizes: number[] | undefined;
  if (data.length > maxEventBytes) {
    sizes = itemSizes(data);
    if (sizes === undefined && items.length === 1) sizes = [data.length];
    // measured without serialising: a request body may nest deeper than JSON.stringify can go
    if (sizes?.length !== items.length) sizes = items.map(jsonByteLength);
  }
  return { count: items.length, sizes, index: undefined, firstRow: 0, item: (i) => items[i]! };
}

const TOP = 0;

/** The split from the index, or undefined for the reference path (which then decides). */
function splitIndexed(index: BodyIndex, data: Buffer, maxEventBytes: number): Split | undefined {
  const { table, text } = index;
  let first = 1; // the row of item 0
  let count = index.count;
  if ((table[TOP * ROW_STRIDE + ROW_FLAGS]! & FLAG_ESCAPED_KEY) !== 0) return undefined;
  if (!index.topIsArray) {
    const kind = stringAt(index, TOP, KEY_ID.kind);
    if (kind === 'EventList') {
      const api = stringAt(index, TOP, KEY_ID.apiVersion);
      if (api !== ABSENT && (typeof api !== 'string' || !API_VERSIONS.has(api))) return undefined;
      if (text.charCodeAt(memberStart(table, TOP, KEY_ID.items)) !== 0x5b) return undefined;
    } else {
      first = 0; // a single Event: the top-level object itself
      count = 1;
    }
  }
  let sizes: number[] | undefined;
  if (data.length > maxEventBytes) {
    const flags = table[TOP * ROW_STRIDE + ROW_FLAGS]!;
    if (data.length === text.length && (flags & FLAG_ESCAPED_KEY) === 0 && (first === 1 || memberStart(table, TOP, KEY_ID.items) < 0)) {
      // one byte per character: the sizes are the rows' lengths, as itemSizes measures them
      sizes = new Array<number>(count);
      for (let i = 0; i < count; i++) {
        const base = (first + i) * ROW_STRIDE;
        sizes[i] = first === 0 ? data.length : table[base + ROW_END]! - table[base + ROW_START]!;
      }
    } else {
      sizes = itemSizes(data);
      if (sizes === undefined && count === 1) sizes = [data.length];
      if (sizes?.length !== count) return undefined;
    }
  }
  return {
    count,
    sizes,
    index,
    firstRow: first,
    item: (i) => {
      const base = (first + i) * ROW_STRIDE;
      return JSON.parse(text.slice(table[base + ROW_START], table[base + ROW_END])) as Json;
    },
  };
}

const ABSENT = undefined;
const NOT_A_STRING = null;

/** Member `key` of `row` when it is a JSON string; ABSENT when missing, NOT_A_STRING otherwise. */
function stringAt(index: BodyIndex, row: number, key: number): string | typeof ABSENT | typeof NOT_A_STRING {
  const start = memberStart(index.table, row, key);
  if (start < 0) return ABSENT;
  if (index.text.charCodeAt(start) !== 0x22) return NOT_A_STRING;
  return valueAt(index.text, start, memberEnd(index.table, row, key)) as string;
}

/** Whether member `key` of `row` is present and a JSON string. */
function isString(index: BodyIndex, row: number, key: number): boolean {
  const start = memberStart(index.table, row, key);
  return start >= 0 && index.text.charCodeAt(start) === 0x22;
}

const OTHER = null;
const EVENT = ['Event'];
const VERSIONS = [...API_VERSIONS];
const STAGE_NAMES = [...STAGES];
const LEVEL_NAMES = [...LEVELS];

/**
 * Which of `names` member `key` of `row` is, written plainly (no escape); ABSENT when missing;
 * OTHER for anything else (another value, another type, or written with escapes: the reference
 * path then decides).
 */
function oneOf(index: BodyIndex, row: number, key: number, names: readonly string[]): string | typeof ABSENT | typeof OTHER {
  const start = memberStart(index.table, row, key);
  if (start < 0) return ABSENT;
  const len = memberEnd(index.table, row, key) - start - 2;
  const text = index.text;
  if (text.charCodeAt(start) !== 0x22) return OTHER;
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    if (name.length === len && text.startsWith(name, start + 1)) return name;
  }
  return OTHER;
}

/** Outcome of indexedEvent when the event's stage is not evaluated. */
export const STAGE_SKIPPED = 'stage-skipped';

export interface Accepted {
  event: AuditEvent;
  /** A copy of the auditID that keeps nothing else alive (the dedupe window holds it long). */
  auditID: string;
}
const accepted: Accepted = { event: undefined as unknown as AuditEvent, auditID: '' };

/**
 * Item `i` of an indexed body as an event, when everything validate.ts's eventProblem checks is
 * plainly right (every member it tests is present with the right type, nothing deep);
 * STAGE_SKIPPED; or undefined: then the item goes the reference path (parsed, eventProblem), which
 * accepts it or names what is wrong exactly as before. The result object is reused.
 */
export function indexedEvent(
  split: { index: BodyIndex | undefined; firstRow: number },
  i: number,
  stages: ReadonlySet<string>,
  now: bigint,
  clusterName: string | undefined,
): Accepted | typeof STAGE_SKIPPED | undefined {
  const index = split.index!;
  const row = split.firstRow + i;
  if ((index.table[row * ROW_STRIDE + ROW_FLAGS]! & (FLAG_OBJECT | FLAG_ESCAPED_KEY)) !== FLAG_OBJECT) return undefined;
  // what eventProblem checks, without copying what need not be kept
  const kind = oneOf(index, row, KEY_ID.kind, EVENT);
  if (kind === OTHER) return undefined;
  const api = oneOf(index, row, KEY_ID.apiVersion, VERSIONS);
  if (api === OTHER) return undefined;
  const stage = oneOf(index, row, KEY_ID.stage, STAGE_NAMES);
  if (stage === OTHER || stage === ABSENT) return undefined;
  const level = oneOf(index, row, KEY_ID.level, LEVEL_NAMES);
  if (level === OTHER) return undefined;
  if (!isString(index, row, KEY_ID.requestURI)) return undefined;
  if (index.text.charCodeAt(memberStart(index.table, row, KEY_ID.user)) !== 0x7b) return undefined;
  if (memberStart(index.table, row, KEY_ID.stageTimestamp) >= 0 && !isString(index, row, KEY_ID.stageTimestamp)) return undefined;
  if (memberStart(index.table, row, KEY_ID.requestReceivedTimestamp) >= 0 && !isString(index, row, KEY_ID.requestReceivedTimestamp)) return undefined;
  const auditID = stringAt(index, row, KEY_ID.auditID);
  if (typeof auditID !== 'string' || auditID === '') return undefined;
  const verb = stringAt(index, row, KEY_ID.verb);
  if (typeof verb !== 'string') return undefined;
  if (!stages.has(stage)) return STAGE_SKIPPED;
  accepted.event = new AuditEvent(new IndexedItem(index, row, stage, verb), now, clusterName);
  accepted.auditID = detached(auditID);
  return accepted;
}

/**
 * A copy of `s` that holds no reference to the text it was cut from (V8 keeps a longer slice as a
 * view of its parent; flattening a concatenation makes a new string).
 */
export function detached(s: string): string {
  return (s + ' ').slice(0, -1);
}

/**
 * Events kept from a body hold its text. When they cover less than a quarter of it, they are
 * parsed into objects of their own instead, so a large body of skipped or rejected events is not
 * kept alive by a few small ones (a kept body is then at most four times what its events span,
 * about what parsed objects of those events take; a batch of RequestReceived and
 * ResponseComplete pairs, half of it skipped, stays indexed).
 */
export function ownText(events: AuditEvent[], index: BodyIndex | undefined): void {
  if (index === undefined) return;
  let chars = 0;
  for (const e of events) if (e.indexed) chars += e.textLength;
  if (chars * 4 >= index.text.length) return;
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    if (e.indexed) events[k] = new AuditEvent(e.obj as JsonObject, e.receivedNs, e.clusterName);
  }
}

export interface Outcome {
  accepted: AuditEvent[];
  rejected: Rejection[];
  stageSkipped: number;
  duplicates: number;
}

/**
 * A request's events: each item size-checked, validated, filtered by stage and deduplicated, in
 * order. Accepted events are marked seen in `dedupe` (the caller unmarks them if it cannot queue them).
 */
export function eventsOf(
  split: ItemsSplit,
  now: bigint,
  opts: { maxEventBytes: number; stages: ReadonlySet<string>; dedupe: SeenEvents; clusterName?: string | undefined },
): Outcome {
  const { count, sizes } = split;
  const out: Outcome = { accepted: [], rejected: [], stageSkipped: 0, duplicates: 0 };
  for (let i = 0; i < count; i++) {
    if (sizes) {
      const size = sizes[i]!;
      if (size > opts.maxEventBytes) {
        out.rejected.push({ index: i, reason: 'too-large', message: `event is ${size} bytes, more than ${opts.maxEventBytes}` });
        continue;
      }
    }
    let event: AuditEvent;
    let auditID: string;
    try {
      const fast = split.index ? indexedEvent(split, i, opts.stages, now, opts.clusterName) : undefined;
      if (fast === STAGE_SKIPPED) {
        out.stageSkipped++;
        continue;
      }
      if (fast) {
        event = fast.event;
        auditID = fast.auditID;
      } else {
        // the reference path: also every event the index does not accept as plainly right
        const item = split.item(i);
        const bad = eventProblem(item, i);
        if (bad) {
          out.rejected.push(bad);
          continue;
        }
        const obj = item as JsonObject;
        if (!opts.stages.has(obj.stage as string)) {
          out.stageSkipped++;
          continue;
        }
        event = new AuditEvent(obj, now, opts.clusterName);
        auditID = obj.auditID as string;
      }
    } catch (err) {
      // A defect in validation must cost only this event, never its batch.
      out.rejected.push({ index: i, reason: 'unprocessable', message: `event could not be processed: ${(err as Error).message}` });
      continue;
    }
    // Marked seen last, once nothing can fail before it is queued (or the mark is undone).
    if (!opts.dedupe.add(auditID, event.stage!)) {
      out.duplicates++;
      continue;
    }
    out.accepted.push(event);
  }
  ownText(out.accepted, split.index);
  return out;
}
