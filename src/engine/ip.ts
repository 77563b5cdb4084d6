// IP addresses and networks as libsinsp compares them: IPv4 as a 32-bit number, IPv6 as four
// 32-bit words. The parsers follow inet_pton and allocate nothing, so they can run per event.
// IPv4 addresses are kept as signed 32-bit numbers (`| 0`): always small integers to V8, so
// passing or returning one never allocates a heap number.

/** Where parseIPv4 and ipv4 put the address they accepted. */
export const V4 = new Int32Array(1);

/** inet_pton(AF_INET): four decimal parts 0-255, no leading zeros. True with the address in V4[0]. */
export function parseIPv4(s: string, start = 0, end = s.length): boolean {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const from = i;
    let part = 0;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      part = part * 10 + (c - 48);
      i++;
      if (i - from > 3) return false;
    }
    if (i === from || part > 255 || (i - from > 1 && s.charCodeAt(from) === 48)) return false;
    value = (value << 8) | part;
    parts++;
    if (parts < 4) {
      if (i >= end || s.charCodeAt(i) !== 46) return false;
      i++;
    }
  }
  if (i !== end) return false;
  V4[0] = value;
  return true;
}

// The last two strings ipv4() parsed: an event's checks ask about the same one or two addresses
// (client and server) over and over.
let lastA: string | undefined;
let okA = false;
let valA = 0;
let lastB: string | undefined;
let okB = false;
let valB = 0;

/** parseIPv4 of a whole string, remembering the last two answers. */
export function ipv4(s: string): boolean {
  if (s === lastA) {
    V4[0] = valA;
    return okA;
  }
  if (s === lastB) {
    V4[0] = valB;
    return okB;
  }
  const ok = parseIPv4(s);
  lastB = lastA;
  okB = okA;
  valB = valA;
  lastA = s;
  okA = ok;
  valA = ok ? V4[0]! : 0;
  return ok;
}

const groups = new Uint16Array(8);

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** inet_pton(AF_INET6) into `out` (4 words, network order); false when `s` is not an IPv6 address. */
export function parseIPv6(s: string, out: Uint32Array, start = 0, end = s.length): boolean {
  groups.fill(0);
  let n = 0; // groups written
  let gap = -1; // where "::" was
  let i = start;
  if (i < end && s.charCodeAt(i) === 58) {
    if (i + 1 >= end || s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) return finish(out, n, gap);
  }
  while (i < end) {
    if (n >= 8) return false;
    const from = i;
    let v = 0;
    while (i < end) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) break;
      v = v * 16 + h;
      i++;
      if (i - from > 4) return false;
    }
    if (i < end && s.charCodeAt(i) === 46) {
      // embedded IPv4 in the last 32 bits
      if (n > 6) return false;
      if (!parseIPv4(s, from, end)) return false;
      const v4 = V4[0]!;
      groups[n++] = v4 >>> 16;
      groups[n++] = v4 & 0xffff;
      return finish(out, n, gap);
    }
    if (i === from) return false;
    groups[n++] = v;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i++;
      if (i === end) break;
    } else if (i === end) return false;
  }
  return finish(out, n, gap);
}

function finish(out: Uint32Array, n: number, gap: number): boolean {
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n === 8) return false;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k]!;
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let w = 0; w < 4; w++) out[w] = ((groups[w * 2]! << 16) | groups[w * 2 + 1]!) >>> 0;
  return true;
}

export interface IPv4Net {
  v6: false;
  addr: number;
  mask: number;
}
export interface IPv6Net {
  v6: true;
  words: Uint32Array;
  prefix: number;
}
export type IPNet = IPv4Net | IPv6Net;

/** The mask of an IPv4 prefix length, signed 32-bit like the addresses. */
export function v4Mask(prefix: number): number {
  return prefix === 0 ? 0 : -1 << (32 - prefix);
}

export function v4InNet(addr: number, net: IPv4Net): boolean {
  return (addr & net.mask) === (net.addr & net.mask);
}

/** ipv6net::in_cidr: the first `prefix` bits are equal. */
export function v6InNet(words: Uint32Array, net: IPv6Net): boolean {
  let bits = net.prefix;
  for (let w = 0; w < 4 && bits > 0; w++) {
    if (bits >= 32) {
      if (words[w] !== net.words[w]) return false;
      bits -= 32;
    } else {
      const shift = 32 - bits;
      return words[w]! >>> shift === net.words[w]! >>> shift;
    }
  }
  return true;
}

export function v6Equal(a: Uint32Array, b: Uint32Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}
