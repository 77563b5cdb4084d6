// String and byte helpers with C-locale semantics (libsinsp works on bytes in the "C" locale:
// tolower/toupper/strcasestr only fold ASCII letters). None of them allocate unless they must
// return a new string.

export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return foldFrom(s, i, 65, 90, 32);
  }
  return s;
}

export function asciiUpper(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return foldFrom(s, i, 97, 122, -32);
  }
  return s;
}

function foldFrom(s: string, start: number, lo: number, hi: number, delta: number): string {
  let out = s.slice(0, start);
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += String.fromCharCode(c >= lo && c <= hi ? c + delta : c);
  }
  return out;
}

function lowerCode(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** strcasestr: does `hay` contain `needleLower` (already ASCII-lowercased), ignoring ASCII case. */
export function includesAsciiCI(hay: string, needleLower: string): boolean {
  const n = needleLower.length;
  const last = hay.length - n;
  outer: for (let i = 0; i <= last; i++) {
    for (let j = 0; j < n; j++) {
      if (lowerCode(hay.charCodeAt(i + j)) !== needleLower.charCodeAt(j)) continue outer;
    }
    return true;
  }
  return false;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

/** Number of bytes `s` takes in UTF-8 (libsinsp's strlen). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 2; // a surrogate pair: 2 UTF-16 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

export function bytesIndexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const n = needle.length;
  const last = hay.length - n;
  outer: for (let i = from; i <= last; i++) {
    for (let j = 0; j < n; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function bytesStartWith(a: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > a.length) return false;
  for (let i = 0; i < prefix.length; i++) if (a[i] !== prefix[i]) return false;
  return true;
}

export function bytesEndWith(a: Uint8Array, suffix: Uint8Array): boolean {
  const off = a.length - suffix.length;
  if (off < 0) return false;
  for (let i = 0; i < suffix.length; i++) if (a[off + i] !== suffix[i]) return false;
  return true;
}

/** sinsp_utils::unhex: an even number of hex digits, nothing else. */
export function unhex(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
  return out;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 decoding as libsinsp's b64 transformer: standard alphabet, padding optional; undefined when invalid. */
export function base64Decode(s: string): Uint8Array | undefined {
  if (!B64.test(s)) return undefined;
  const body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (s.length !== body.length && s.length % 4 !== 0) return undefined;
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** How libsinsp prints a byte buffer by default: printable ASCII as is, anything else as '.'. */
export function printableBytes(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    out += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return out;
}
