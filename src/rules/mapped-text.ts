// Text assembled from pieces of rules files (a condition, its appends, exception clauses),
// remembering where each piece came from, so an offset in the text maps back to file:line:col.
import type { LineCounter, Scalar } from 'yaml';
import type { SourceLocation } from '../condition/ast.js';

/** Maps an offset within one piece to its place in a file. */
export type Locator = (offset: number) => SourceLocation;

interface Piece {
  start: number;
  end: number;
  locate: Locator;
}

export class MappedText {
  private pieces: Piece[] = [];
  private str = '';

  get text(): string {
    return this.str;
  }

  /** Appends `text`; `from` places it (a locator for its characters, or one fixed place). */
  append(text: string, from?: Locator | SourceLocation): this {
    if (from && text.length > 0) {
      const locate = typeof from === 'function' ? from : () => from;
      this.pieces.push({ start: this.str.length, end: this.str.length + text.length, locate });
    }
    this.str += text;
    return this;
  }

  /** Appends another mapped text, keeping where its pieces came from. */
  appendMapped(other: MappedText): this {
    const shift = this.str.length;
    for (const p of other.pieces) this.pieces.push({ start: p.start + shift, end: p.end + shift, locate: p.locate });
    this.str += other.str;
    return this;
  }

  /** The characters [start, end) with their places. */
  slice(start: number, end = this.str.length): MappedText {
    const out = new MappedText();
    out.str = this.str.slice(start, end);
    for (const p of this.pieces) {
      const s = Math.max(p.start, start);
      const e = Math.min(p.end, end);
      if (s >= e) continue;
      const skip = s - p.start;
      out.pieces.push({ start: s - start, end: e - start, locate: skip ? (i) => p.locate(i + skip) : p.locate });
    }
    return out;
  }

  /** A copy that can be extended without changing this one. */
  clone(): MappedText {
    const c = new MappedText();
    c.pieces = this.pieces.slice();
    c.str = this.str;
    return c;
  }

  /** Where the character at `offset` came from; between pieces, the nearest piece before it. */
  locate(offset: number): SourceLocation | undefined {
    const ps = this.pieces;
    if (ps.length === 0) return undefined;
    let lo = 0;
    let hi = ps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ps[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    const p = ps[lo]!;
    if (offset < p.start) return p.locate(0);
    return p.locate(Math.min(offset, p.end) - p.start);
  }
}

/**
 * A locator for the decoded value of a YAML scalar: offset i of `String(node.source)` maps to
 * the place in the file the character was written (folded lines, block indentation, quotes
 * and escapes accounted for, as far as the decoded text allows).
 */
export function scalarLocator(node: Scalar, src: string, lc: LineCounter, file: string): Locator {
  let offsets: Int32Array | undefined;
  return (i) => {
    offsets ??= scalarOffsets(node, src);
    const at = offsets[Math.max(0, Math.min(i, offsets.length - 1))]!;
    const { line, col } = lc.linePos(at);
    return { file, line, column: col };
  };
}

/** A fixed place: where `offset` in the file is. */
export function offsetLocation(offset: number, lc: LineCounter, file: string): SourceLocation {
  const { line, col } = lc.linePos(offset);
  return { file, line, column: col };
}

const isBlank = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function scalarOffsets(node: Scalar, src: string): Int32Array {
  const decoded = String(node.source ?? node.value ?? '');
  const [start, end] = node.range ?? [0, 0, 0];
  const map = new Int32Array(decoded.length + 1);
  const dq = node.type === 'QUOTE_DOUBLE';
  const sq = node.type === 'QUOTE_SINGLE';
  let p = start;
  if (dq || sq) p = start + 1;
  else if (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') {
    const nl = src.indexOf('\n', start);
    p = nl < 0 || nl >= end ? start : nl + 1;
  }
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded[i]!;
    if (isBlank(c)) {
      map[i] = p;
      if (isBlank(src[p])) p++;
      else if (dq && src[p] === '\\') p += escapeLength(src, p);
      if (!isBlank(decoded[i + 1])) while (p < end && isBlank(src[p])) p++;
      continue;
    }
    let q = p;
    while (q < end && src[q] !== c && !(dq && src[q] === '\\')) q++;
    if (q >= end) {
      map[i] = p;
      continue;
    }
    map[i] = q;
    if (dq && src[q] === '\\') p = q + escapeLength(src, q);
    else if (sq && c === "'" && src[q + 1] === "'") p = q + 2;
    else p = q + 1;
  }
  map[decoded.length] = Math.min(p, Math.max(start, end));
  return map;
}

function escapeLength(src: string, at: number): number {
  switch (src[at + 1]) {
    case 'x':
      return 4;
    case 'u':
      return 6;
    case 'U':
      return 10;
    default:
      return 2;
  }
}
