// Typed access to the values of a rules item, with Falco's (yaml-cpp based) decoding rules and
// error messages: a wrong shape throws an ItemError naming the place.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { ItemError } from './diagnostics.js';
import { MappedText, offsetLocation, scalarLocator } from './mapped-text.js';
import type { SourceLocation } from '../condition/ast.js';

/** One parsed rules file. */
export interface FileCtx {
  file: string;
  src: string;
  lc: LineCounter;
  doc: Document;
}

export function locationOf(ctx: FileCtx, node: Node | Pair | null | undefined, fallback?: SourceLocation): SourceLocation {
  const range = node && 'range' in node ? node.range : node && 'key' in node ? (node.key as Node | null)?.range : undefined;
  if (range) return offsetLocation(range[0], ctx.lc, ctx.file);
  return fallback ?? { file: ctx.file, line: 1, column: 1 };
}

/** Follows `*alias` references to the node they name. */
export function deref(ctx: FileCtx, node: unknown): Node | null {
  let n = node as Node | null | undefined;
  for (let i = 0; i < 64 && n && isAlias(n); i++) n = n.resolve(ctx.doc) as Node | undefined;
  return n ?? null;
}

/** yaml-cpp's null: no value, `~`, `null`/`Null`/`NULL`. */
export function isNullNode(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

export function keyOf(pair: Pair): string | undefined {
  const k = pair.key as Node | null;
  return k && isScalar(k) ? String(k.source ?? k.value) : undefined;
}

const keyIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

/** The first pair with this key (yaml-cpp looks keys up first-match). */
export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      const k = keyOf(p);
      if (k !== undefined && !index.has(k)) index.set(k, p);
    }
    keyIndex.set(map, index);
  }
  return index.get(key);
}

export function has(map: YAMLMap, key: string): boolean {
  return pairOf(map, key) !== undefined;
}

export function valueOf(ctx: FileCtx, map: YAMLMap, key: string): Node | null | undefined {
  const p = pairOf(map, key);
  return p ? deref(ctx, p.value) : undefined;
}

export interface DecodedString {
  text: string;
  node: Scalar;
  readonly location: SourceLocation;
  /** The text with the place of each character. */
  mapped(): MappedText;
}

function decodedString(ctx: FileCtx, node: Scalar): DecodedString {
  const text = String(node.source ?? node.value ?? '');
  let location: SourceLocation | undefined;
  return {
    text,
    node,
    // Computed when asked for: most values never need their place.
    get location() {
      return (location ??= locationOf(ctx, node));
    },
    mapped: () => new MappedText().append(text, scalarLocator(node, ctx.src, ctx.lc, ctx.file)),
  };
}

/** Falco's decode_val for strings: present (unless optional), not null, a scalar, not empty. */
export function decodeString(ctx: FileCtx, map: YAMLMap, key: string, itemAt: SourceLocation): DecodedString;
export function decodeString(
  ctx: FileCtx,
  map: YAMLMap,
  key: string,
  itemAt: SourceLocation,
  optional: true,
): DecodedString | undefined;
export function decodeString(
  ctx: FileCtx,
  map: YAMLMap,
  key: string,
  itemAt: SourceLocation,
  optional = false,
): DecodedString | undefined {
  const pair = pairOf(map, key);
  if (!pair) {
    if (optional) return undefined;
    throw new ItemError('missing-key', `Item has no mapping for key '${key}'`, itemAt);
  }
  const node = deref(ctx, pair.value);
  return scalarString(ctx, node, key, locationOf(ctx, pair));
}

/** A scalar value that must be a non-empty string. */
export function scalarString(ctx: FileCtx, node: Node | null, key: string, keyAt: SourceLocation): DecodedString {
  if (isNullNode(node)) throw new ItemError('empty-value', `Mapping for key '${key}' is empty`, keyAt);
  if (!isScalar(node)) throw new ItemError('not-scalar', `Value for key '${key}' is not a scalar value`, locationOf(ctx, node, keyAt));
  const d = decodedString(ctx, node);
  if (d.text === '') throw new ItemError('empty-value', `Value for key '${key}' must be non-empty`, d.location);
  return d;
}

const TRUE = new Set(['y', 'yes', 'true', 'on']);
const FALSE = new Set(['n', 'no', 'false', 'off']);

/** yaml-cpp's bool: y/yes/true/on and n/no/false/off, in lower, UPPER or Capitalized case. */
export function parseYamlBool(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  const flexible = text === lower || text === text.toUpperCase() || text === lower[0]?.toUpperCase() + lower.slice(1);
  if (!flexible) return undefined;
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  return undefined;
}

export function decodeBool(ctx: FileCtx, map: YAMLMap, key: string, itemAt: SourceLocation): boolean;
export function decodeBool(ctx: FileCtx, map: YAMLMap, key: string, itemAt: SourceLocation, optional: true): boolean | undefined;
export function decodeBool(
  ctx: FileCtx,
  map: YAMLMap,
  key: string,
  itemAt: SourceLocation,
  optional = false,
): boolean | undefined {
  const d = optional ? decodeString(ctx, map, key, itemAt, true) : decodeString(ctx, map, key, itemAt);
  if (!d) return undefined;
  const b = parseYamlBool(d.text);
  if (b === undefined) throw new ItemError('wrong-type', `Value for key '${key}' is not a boolean: '${d.text}'`, d.location);
  return b;
}

export function decodeInt(ctx: FileCtx, map: YAMLMap, key: string, itemAt: SourceLocation): number | undefined {
  const d = decodeString(ctx, map, key, itemAt, true);
  if (!d) return undefined;
  if (!/^\s*[+-]?\d+\s*$/.test(d.text)) {
    throw new ItemError('wrong-type', `Value for key '${key}' is not an integer: '${d.text}'`, d.location);
  }
  return Number(d.text);
}

/** Falco's decode_seq: a sequence of scalars (items of a list, tags of a rule). */
export function decodeScalarSeq(
  ctx: FileCtx,
  map: YAMLMap,
  key: string,
  itemAt: SourceLocation,
  optional: boolean,
): DecodedString[] | undefined {
  const pair = pairOf(map, key);
  if (!pair) {
    if (optional) return undefined;
    throw new ItemError('missing-key', `Item has no mapping for key '${key}'`, itemAt);
  }
  const node = deref(ctx, pair.value);
  if (!isSeq(node)) throw new ItemError('not-sequence', `Value for key '${key}' is not a sequence`, locationOf(ctx, node, locationOf(ctx, pair)));
  const out: DecodedString[] = [];
  for (const raw of node.items) {
    const v = deref(ctx, raw);
    if (!isScalar(v) || isNullNode(v)) {
      throw new ItemError('not-scalar', `Sequence value in '${key}' is not a scalar`, locationOf(ctx, v, locationOf(ctx, node)));
    }
    out.push(decodedString(ctx, v));
  }
  return out;
}

export { isMap, isScalar, isSeq };
