// Interned string params. A host opens the same paths over and over: decoding each one once
// and handing out the same string object saves the decoding, the garbage, and the work rules
// and state do on it afterwards (V8 keeps a string's hash in the string, so set lookups on a
// string seen before do not hash it again; the normalized form, directory and file name of a
// path are kept with it).
import { normalizePath } from './paths.js';

// Buffer#toString(enc, start, end) looks the encoding up on every call; the per-encoding slicer it
// ends in is public at run time (not in @types/node).
type Slicer = { utf8Slice(start: number, end: number): string };

/** One decoded string param, with what is derived from it as a path (computed when asked). */
export class InternedString {
  private norm: string | undefined;
  private dirText: string | undefined;
  private baseText: string | undefined;

  constructor(readonly text: string) {}

  /** The text normalized as an absolute path (paths.ts normalizePath); meant for texts that start with '/'. */
  get normalized(): string {
    return (this.norm ??= normalizePath(this.text));
  }

  /** fd.directory of the normalized path. */
  get dir(): string {
    if (this.dirText === undefined) this.split();
    return this.dirText!;
  }

  /** fd.filename of the normalized path. */
  get base(): string {
    if (this.baseText === undefined) this.split();
    return this.baseText!;
  }

  private listCache: readonly string[] | undefined;

  /** The text as a NUL-separated list (argv, env, cgroups params), frozen: shared by everyone who asks. */
  get list(): readonly string[] {
    return (this.listCache ??= Object.freeze(this.text.split('\0')));
  }

  private split(): void {
    const n = this.normalized;
    const i = n.lastIndexOf('/');
    this.dirText = i <= 0 ? '/' : n.slice(0, i);
    this.baseText = i < 0 ? n : n.slice(i + 1);
  }
}

/** Strings up to this length go in the main table (paths, names, short argv lists). */
const MAX_LEN = 512;
const SIZE = 8192; // a power of two
const HASHED = 32;
/**
 * String-list params (argv, env, cgroups: PT.ARGV) have a table of their own, hashed whole: what
 * processes started alike share (a container's environment and cgroups), kept apart from the
 * paths that come and go by the thousand, and told apart when they differ only in the middle
 * (POD_IP=...). A shared entry spares each tracked process its copy of the list
 * (bench/state-memory.mjs). Its keys hold at most LIST_SIZE * LIST_MAX bytes.
 */
const LIST_MAX = 4096;
const LIST_SIZE = 512;
/** From this length on, bytes are compared by Buffer#compare (a native call) rather than a loop. */
const NATIVE_COMPARE = 64;
const keys: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(SIZE).fill(undefined);
const entries: Array<InternedString | undefined> = new Array<InternedString | undefined>(SIZE).fill(undefined);
const listKeys: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(LIST_SIZE).fill(undefined);
const listEntries: Array<InternedString | undefined> = new Array<InternedString | undefined>(LIST_SIZE).fill(undefined);

/**
 * The UTF-8 text of buf[start, end) as an InternedString: the same object as last time when the
 * same bytes were seen recently (a direct-mapped table; a collision replaces the older entry).
 */
export function internUtf8(buf: Buffer, start: number, end: number): InternedString {
  const n = end - start;
  if (n > MAX_LEN) return new InternedString((buf as unknown as Slicer).utf8Slice(start, end));
  // the first and last HASHED bytes (a long string's middle only costs time: a collision is
  // settled by the full comparison in lookup)
  const h = n <= 2 * HASHED ? hashWords(buf, start, end, n) : hashWords(buf, end - HASHED, end, hashWords(buf, start, start + HASHED, n));
  return lookup(keys, entries, (h ^ (h >>> 15)) & (SIZE - 1), buf, start, end);
}

/**
 * FNV-1a-like over buf[start, end) four bytes at a time (one multiply per word: the multiplies
 * are a dependency chain, the loads are not), then the 0-3 bytes left.
 */
function hashWords(buf: Buffer, start: number, end: number, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)), 0x01000193);
  for (; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h;
}

/** internUtf8 for a string-list param (argv, env, cgroups), from the lists' own table. */
export function internList(buf: Buffer, start: number, end: number): InternedString {
  if (end - start > LIST_MAX) return new InternedString((buf as unknown as Slicer).utf8Slice(start, end));
  const h = hashWords(buf, start, end, end - start);
  return lookup(listKeys, listEntries, (h ^ (h >>> 15)) & (LIST_SIZE - 1), buf, start, end);
}

/** The entry in `slot` when its key is buf[start, end), else a new entry put there. */
function lookup(keyTable: Array<Uint8Array | undefined>, entryTable: Array<InternedString | undefined>, slot: number, buf: Buffer, start: number, end: number): InternedString {
  const n = end - start;
  const k = keyTable[slot];
  if (k !== undefined && k.length === n) {
    if (n >= NATIVE_COMPARE) {
      if (buf.compare(k, 0, n, start, end) === 0) return entryTable[slot]!;
    } else {
      let i = 0;
      while (i < n && k[i] === buf[start + i]) i++;
      if (i === n) return entryTable[slot]!;
    }
  }
  const entry = new InternedString((buf as unknown as Slicer).utf8Slice(start, end));
  const copy = new Uint8Array(n);
  copy.set(buf.subarray(start, end));
  keyTable[slot] = copy;
  entryTable[slot] = entry;
  return entry;
}
