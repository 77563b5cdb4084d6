// Reading values out of JSON text that body-scan.ts has already checked, by character range,
// without parsing what lies around them: a member of an object, an element of an array, and the
// value itself as JSON.parse would give it. Results that are ranges go to `found` (reused: these
// run for every field a rule reads).

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The range of the value the last successful memberRange/elementRange call found. */
export const found = { start: 0, end: 0 };

/** Index just past the (valid) string opening at `start`. */
function skipString(text: string, start: number): number {
  let q = text.indexOf('"', start + 1);
  for (;;) {
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if ((slashes & 1) === 0) return q + 1;
    q = text.indexOf('"', q + 1);
  }
}

/** Index just past the (valid) JSON value starting at `i` (no leading blanks). */
export function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (;;) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) {
        i = skipString(text, i);
        continue;
      }
      if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return i + 1;
      }
      i++;
    }
  }
  // number or literal: up to the next delimiter
  for (;;) {
    const d = text.charCodeAt(i);
    if (d === 0x2c || d === 0x7d || d === 0x5d || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09 || Number.isNaN(d)) return i;
    i++;
  }
}

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** Whether the key whose quotes are at `a` and `b - 1` is `key`. */
function keyIs(text: string, a: number, b: number, key: string): boolean {
  const raw = b - a - 2;
  if (raw === key.length && text.startsWith(key, a + 1)) return true;
  // an escaped key is at least as long as its text; decode only then
  if (raw < key.length || plainString(text, a, b)) return false;
  return JSON.parse(text.slice(a, b)) === key;
}

/**
 * The value of member `key` of the object starting at `objStart` (the last one when the key
 * repeats, as JSON.parse keeps it) into `found`; false when the value there is not an object or
 * has no such member.
 */
export function memberRange(text: string, objStart: number, key: string): boolean {
  if (text.charCodeAt(objStart) !== 0x7b) return false;
  let i = skipWs(text, objStart + 1);
  let hit = false;
  if (text.charCodeAt(i) === 0x7d) return false;
  for (;;) {
    const keyEnd = skipString(text, i);
    const match = keyIs(text, i, keyEnd, key);
    i = skipWs(text, skipWs(text, keyEnd) + 1); // past the colon
    const end = skipValue(text, i);
    if (match) {
      found.start = i;
      found.end = end;
      hit = true;
    }
    i = skipWs(text, end);
    if (text.charCodeAt(i) !== 0x2c) return hit;
    i = skipWs(text, i + 1);
  }
}

/** Element `index` of the array starting at `arrStart` into `found`; false when absent. */
export function elementRange(text: string, arrStart: number, index: number): boolean {
  if (text.charCodeAt(arrStart) !== 0x5b) return false;
  let i = skipWs(text, arrStart + 1);
  if (text.charCodeAt(i) === 0x5d) return false;
  for (let k = 0; ; k++) {
    const end = skipValue(text, i);
    if (k === index) {
      found.start = i;
      found.end = end;
      return true;
    }
    i = skipWs(text, end);
    if (text.charCodeAt(i) !== 0x2c) return false;
    i = skipWs(text, i + 1);
  }
}

/** Whether the string at [start, end) holds no escape (then its value is the text between the quotes). */
export function plainString(text: string, start: number, end: number): boolean {
  for (let i = start + 1; i < end; i++) if (text.charCodeAt(i) === BACKSLASH) return false;
  return true;
}

/** The value at [start, end), as JSON.parse gives it. */
export function valueAt(text: string, start: number, end: number): unknown {
  if (text.charCodeAt(start) === QUOTE && plainString(text, start, end)) return text.slice(start + 1, end - 1);
  return JSON.parse(text.slice(start, end));
}

/**
 * The value at [start, end) as the k8saudit plugin renders it: a string as it is, anything else
 * as the compact JSON of the parsed value (numbers normalised, duplicate keys dropped).
 */
export function textAt(text: string, start: number, end: number): string {
  const c = text.charCodeAt(start);
  if (c === QUOTE) return plainString(text, start, end) ? text.slice(start + 1, end - 1) : (JSON.parse(text.slice(start, end)) as string);
  if (plainInteger(text, start, end)) return text.slice(start, end);
  return JSON.stringify(JSON.parse(text.slice(start, end)));
}

/** A small integer in canonical form renders as its own text (no sign on 0, no leading zero). */
function plainInteger(text: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 1 || len > 15) return false;
  let i = start;
  if (text.charCodeAt(i) === 0x2d) {
    i++;
    if (text.charCodeAt(i) === 0x30) return false; // -0 renders as 0
  }
  if (i === end || (text.charCodeAt(i) === 0x30 && end - i > 1)) return false;
  for (; i < end; i++) {
    const d = text.charCodeAt(i);
    if (d < 0x30 || d > 0x39) return false;
  }
  return true;
}
