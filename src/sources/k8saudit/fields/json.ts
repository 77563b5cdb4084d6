// Walking parsed audit JSON the way the k8saudit/json plugins do (they use fastjson):
// objects by key, arrays by integer key, values rendered as strings (JSON text unless a string).
import type { Json } from '../event.js';

/** Follows keys from `v`; numeric keys index arrays. undefined when a step is missing. */
export function getPath(v: Json | undefined, keys: readonly string[]): Json | undefined {
  for (let i = 0; i < keys.length; i++) {
    v = step(v, keys[i]!);
    if (v === undefined) return undefined;
  }
  return v;
}

export function step(v: Json | undefined, key: string): Json | undefined {
  if (v === null || v === undefined || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    if (!/^\d+$/.test(key)) return undefined;
    return v[Number(key)];
  }
  return Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
}

/** `o[k]` for a JSON object `o` (not an array), ignoring what objects inherit (all functions). */
function own(o: Json | undefined, k: string): Json | undefined {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const x = (o as Record<string, unknown>)[k];
  return typeof x === 'function' ? undefined : (x as Json | undefined);
}

/**
 * A fast reader for a fixed path (what getPath(v, keys) returns). Paths made of plain keys are
 * read with direct property accesses; others (array indexes, `__proto__`) take the generic walk.
 */
export function pathReader(keys: readonly string[]): (v: Json | undefined) => Json | undefined {
  if (keys.some((k) => /^\d+$/.test(k) || k === '__proto__')) return (v) => getPath(v, keys);
  const [a, b, c, d] = keys as [string, string, string, string];
  switch (keys.length) {
    case 0:
      return (v) => v;
    case 1:
      return (v) => own(v, a);
    case 2:
      return (v) => own(own(v, a), b);
    case 3:
      return (v) => own(own(own(v, a), b), c);
    case 4:
      return (v) => own(own(own(own(v, a), b), c), d);
    default:
      return (v) => getPath(v, keys);
  }
}

/** A JSON value as the plugins show it: strings as they are, anything else as compact JSON. */
export function asString(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The plugin's "no index argument": take every element of each array on the path. */
export const NO_INDEX = -1;

/**
 * The plugin's getValuesRecursive: follows `keys`; where the value is an array, either fans out
 * over every element (missing leaves become `undefined` entries) or, with an index, takes one.
 * Returns undefined when the path is not available at all. The plugin recurses per array level;
 * this walks with its own work list, so arrays nested any depth (a hostile request body) cannot
 * overflow the stack. The order of the values is the document's.
 */
export function valuesRecursive(
  v: Json | undefined,
  index: number,
  keys: readonly string[],
  from = 0,
): Array<Json | undefined> | undefined {
  const out: Array<Json | undefined> = [];
  let fannedOut = false;
  const pending: Array<Json | undefined> = [v];
  const pendingKey: number[] = [from];
  while (pending.length > 0) {
    let cur = pending.pop();
    let i = pendingKey.pop()!;
    let leaf = true;
    for (; i < keys.length; i++) {
      if (Array.isArray(cur)) {
        if (index === NO_INDEX) {
          fannedOut = true;
          leaf = false;
          for (let j = cur.length - 1; j >= 0; j--) {
            pending.push(cur[j]);
            pendingKey.push(i);
          }
          break;
        }
        if (index >= cur.length) {
          cur = undefined;
          break;
        }
        cur = cur[index];
      }
      const k = keys[i]!;
      cur = k === '' ? cur : step(cur, k);
      if (cur === undefined) break;
    }
    if (leaf) out.push(cur);
  }
  // Without a fan-out there is exactly one walk: its value, or nothing available.
  if (!fannedOut) return out[0] === undefined && keys.length > from ? undefined : out;
  return out;
}

/** Strings of the defined values (the plugin's arrayAsStringsSkipNil). */
export function stringsSkipMissing(values: ReadonlyArray<Json | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) if (v !== undefined) out.push(asString(v));
  return out;
}

/** Strings of all values; undefined if any is missing (the plugin's arrayAsStrings error). */
export function stringsAll(values: ReadonlyArray<Json | undefined>): string[] | undefined {
  const out: string[] = [];
  for (const v of values) {
    if (v === undefined) return undefined;
    out.push(asString(v));
  }
  return out;
}

/** Elements of arrays found at the leaves, flattened (the plugin's extractRulesField). */
export function flattenArrays(values: ReadonlyArray<Json | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (Array.isArray(v)) for (const x of v) if (x !== undefined) out.push(asString(x));
  }
  return out;
}

/** RFC 6901 JSON pointer -> keys, as the json plugin reads it (leading '/' optional). */
export function parsePointer(pointer: string): string[] {
  const p = pointer.startsWith('/') ? pointer.slice(1) : pointer;
  return p.split('/').map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
}
