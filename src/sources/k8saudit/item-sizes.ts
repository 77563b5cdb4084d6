// Byte sizes of the events in a raw JSON body, without parsing it: the elements of an EventList's
// "items" array, or of a top-level array. Used to enforce the per-event size limit on bodies
// larger than that limit at a fraction of the cost of re-serialising each parsed event.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const ITEMS = Buffer.from('"items"');

/** Index just past the string that starts at `start` (a quote). */
function skipString(buf: Buffer, start: number): number {
  let j = buf.indexOf(QUOTE, start + 1);
  while (j > 0) {
    let backslashes = 0;
    for (let k = j - 1; buf[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j + 1;
    j = buf.indexOf(QUOTE, j + 1);
  }
  return buf.length;
}

/**
 * Sizes of the list's elements, in order, for a body JSON.parse accepted. undefined when there is
 * no list (a single Event); the caller also falls back when the count disagrees with the parse
 * (e.g. an escaped "items" key).
 */
export function itemSizes(buf: Buffer): number[] | undefined {
  let depth = 0;
  let listDepth = -1; // depth directly inside the list being measured
  let sizes: number[] | undefined;
  let start = -1; // where the current element began
  let keyIsItems = false; // the last string at depth 1 was "items"
  let itemsValueNext = false; // after `"items":` at depth 1
  let lastEnd = 0; // just past the last non-blank character
  const n = buf.length;
  let pos = 0;
  while (pos < n) {
    const c = buf[pos]!;
    if (c <= 0x20) {
      pos++;
      continue;
    }
    if (itemsValueNext && depth === 1) {
      itemsValueNext = false;
      if (c === OPEN_ARR) {
        listDepth = 2;
        sizes = []; // a later "items" key wins, as in JSON.parse
        depth++;
        pos++;
        continue;
      }
    }
    if (depth === listDepth && start < 0 && c !== COMMA && c !== CLOSE_ARR) start = pos;
    if (c === QUOTE) {
      const end = skipString(buf, pos);
      if (depth === 1) keyIsItems = end - pos === ITEMS.length && buf.compare(ITEMS, 0, ITEMS.length, pos, end) === 0;
      pos = lastEnd = end;
      continue;
    }
    if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (depth === 0 && c === OPEN_ARR) {
        listDepth = 1;
        sizes = [];
      }
      depth++;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      depth--;
      if (depth === listDepth && start >= 0) {
        sizes!.push(pos + 1 - start); // an object/array element ends
        start = -1;
      } else if (depth === listDepth - 1) {
        if (start >= 0) sizes!.push(lastEnd - start); // the list ends after a scalar element
        start = -1;
        listDepth = -1;
      }
    } else if (c === COMMA) {
      if (depth === listDepth && start >= 0) {
        sizes!.push(lastEnd - start);
        start = -1;
      }
    } else if (c === COLON && depth === 1) {
      itemsValueNext = keyIsItems;
    }
    if (c !== COMMA) lastEnd = pos + 1;
    pos++;
  }
  return sizes;
}

/**
 * The byte length of `JSON.stringify(value)` (compact UTF-8), computed with a work list rather
 * than by serialising: exact for any nesting depth, where JSON.stringify overflows the stack.
 */
export function jsonByteLength(value: unknown): number {
  let total = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (Array.isArray(v)) {
      total += 2 + Math.max(0, v.length - 1); // [ ] and the commas
      for (const x of v) pending.push(x === undefined ? null : x);
    } else if (v !== null && typeof v === 'object') {
      let members = 0;
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        members++;
        total += Buffer.byteLength(JSON.stringify(k)) + 1; // "key":
        pending.push(x);
      }
      total += 2 + Math.max(0, members - 1);
    } else {
      total += Buffer.byteLength(JSON.stringify(v) ?? 'null');
    }
  }
  return total;
}
