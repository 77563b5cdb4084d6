// Walking parsed audit JSON the way the k8saudit/json plugins do (they use fastjson):
// objects by key, arrays by integer key, values rendered as strings (JSON text unless a string).
import type { Json } from '../event.js';

/** Follows keys[from..] from `v`; numeric keys index arrays. undefined when a step is missing. */
export function getPath(v: Json | undefined, keys: readonly string[], from = 0): Json | undefined {
  for (let i = from; i < keys.length; i++) {
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
