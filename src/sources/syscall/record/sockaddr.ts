// Compact sockaddr / socket-tuple encodings of native/events.h, decoded to text addresses.

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

export interface SockAddr {
  family: number;
  /** Text address (IPv4 dotted quad, IPv6 RFC 5952), '' for unix/other. */
  addr: string;
  port: number;
  /** Unix socket path ('' when none; abstract sockets start with '@'). */
  path: string;
}

export interface SockTuple {
  /** AF_INET for IPv4 and IPv4-mapped IPv6 tuples. */
  family: number;
  cip: string;
  cport: number;
  sip: string;
  sport: number;
  /** Unix: kernel socket addresses of both ends (hex) and the path. */
  usrc: bigint;
  udst: bigint;
  path: string;
}

// Recently rendered IPv4 addresses by value (direct-mapped): a host talks to few peers, and the
// same string object for the same address spares the garbage and the rules' re-parsing.
const V4_SLOTS = 1024;
const v4Keys = new Int32Array(V4_SLOTS);
const v4Texts: Array<string | undefined> = new Array<string | undefined>(V4_SLOTS).fill(undefined);

export function ipv4Text(b: Uint8Array, o: number): string {
  const v = (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  const slot = (Math.imul(v, 0x9e3779b1) >>> 22) & (V4_SLOTS - 1);
  const cached = v4Texts[slot];
  if (cached !== undefined && v4Keys[slot] === v) return cached;
  const text = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  v4Keys[slot] = v;
  v4Texts[slot] = text;
  return text;
}

function isV4Mapped(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 10; i++) if (b[o + i] !== 0) return false;
  return b[o + 10] === 0xff && b[o + 11] === 0xff;
}

export function ipv6Text(b: Uint8Array, o: number): string {
  if (isV4Mapped(b, o)) return '::ffff:' + ipv4Text(b, o + 12);
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!);
  // longest run of >= 2 zero words is compressed
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (w: number) => w.toString(16);
  if (bestAt < 0) return words.map(hex).join(':');
  const head = words.slice(0, bestAt).map(hex).join(':');
  const tail = words.slice(bestAt + bestLen).map(hex).join(':');
  return `${head}::${tail}`;
}

function unixPath(b: Uint8Array, o: number, end: number): string {
  if (o >= end) return '';
  let e = o + 1;
  while (e < end && b[e] !== 0) e++;
  const abstract = b[o] === 0;
  const s = Buffer.from(b.buffer, b.byteOffset + o + (abstract ? 1 : 0), e - o - (abstract ? 1 : 0)).toString('utf8');
  return abstract ? (s ? '@' + s : '') : s;
}

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);

export function decodeSockaddr(b: Uint8Array, o: number, len: number): SockAddr {
  const family = b[o]!;
  const end = o + len;
  if (family === AF_INET && len >= 7) return { family, addr: ipv4Text(b, o + 1), port: u16(b, o + 5), path: '' };
  if (family === AF_INET6 && len >= 19) {
    if (isV4Mapped(b, o + 1)) return { family: AF_INET, addr: ipv4Text(b, o + 13), port: u16(b, o + 17), path: '' };
    return { family, addr: ipv6Text(b, o + 1), port: u16(b, o + 17), path: '' };
  }
  if (family === AF_UNIX) return { family, addr: '', port: 0, path: unixPath(b, o + 1, end) };
  return { family, addr: '', port: 0, path: '' };
}

function u64(b: Uint8Array, o: number): bigint {
  return new DataView(b.buffer, b.byteOffset + o, 8).getBigUint64(0, true);
}

/** An empty tuple (family 0), to be filled by decodeSocktuple. */
export function newSocktuple(): SockTuple {
  return { family: 0, cip: '', cport: 0, sip: '', sport: 0, usrc: 0n, udst: 0n, path: '' };
}

/**
 * The socket tuple at b[o, o + len), in `t` when given (every field rewritten: the state parser
 * decodes into one reusable object, as a connect or a send happens all the time), else in a new one.
 */
export function decodeSocktuple(b: Uint8Array, o: number, len: number, t: SockTuple = newSocktuple()): SockTuple {
  const family = b[o]!;
  t.family = family;
  t.cip = '';
  t.cport = 0;
  t.sip = '';
  t.sport = 0;
  t.usrc = 0n;
  t.udst = 0n;
  t.path = '';
  if (family === AF_INET && len >= 13) {
    t.cip = ipv4Text(b, o + 1);
    t.cport = u16(b, o + 5);
    t.sip = ipv4Text(b, o + 7);
    t.sport = u16(b, o + 11);
  } else if (family === AF_INET6 && len >= 37) {
    if (isV4Mapped(b, o + 1) && isV4Mapped(b, o + 19)) {
      t.family = AF_INET;
      t.cip = ipv4Text(b, o + 13);
      t.sip = ipv4Text(b, o + 31);
    } else {
      t.cip = ipv6Text(b, o + 1);
      t.sip = ipv6Text(b, o + 19);
    }
    t.cport = u16(b, o + 17);
    t.sport = u16(b, o + 35);
  } else if (family === AF_UNIX && len >= 17) {
    t.usrc = u64(b, o + 1);
    t.udst = u64(b, o + 9);
    t.path = unixPath(b, o + 17, o + len);
  }
  return t;
}

/** Falco's rendering of a socket tuple as an fd name: `cip:cport->sip:sport`. */
export function tupleName(t: SockTuple): string {
  if (t.family === AF_INET) return `${t.cip}:${t.cport}->${t.sip}:${t.sport}`;
  if (t.family === AF_INET6) return `${t.cip}:${t.cport}->${t.sip}:${t.sport}`;
  if (t.family === AF_UNIX) return `${hex(t.usrc)}->${hex(t.udst)} ${t.path}`;
  return '';
}

function hex(v: bigint): string {
  return '0x' + v.toString(16);
}

// Encoders (synthetic builder, capture tests) ---------------------------------------------------

export function parseIp(text: string): { family: number; bytes: Uint8Array } {
  if (text.includes(':')) {
    const bytes = new Uint8Array(16);
    const [head, tail] = text.split('::') as [string, string | undefined];
    const hw = head ? head.split(':') : [];
    const tw = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const toWords = (ws: string[]) =>
      ws.flatMap((w) => {
        if (w.includes('.')) {
          const v4 = w.split('.').map(Number);
          return [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
        }
        return [parseInt(w, 16)];
      });
    const h = toWords(hw);
    const t = toWords(tw);
    const words = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
    words.forEach((w, i) => {
      bytes[2 * i] = w >> 8;
      bytes[2 * i + 1] = w & 0xff;
    });
    return { family: AF_INET6, bytes };
  }
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 address ${text}`);
  return { family: AF_INET, bytes: Uint8Array.from(parts) };
}

export function encodeSockaddr(a: { ip?: string; port?: number; path?: string }): Uint8Array {
  if (a.path !== undefined) {
    const p = Buffer.from(a.path.startsWith('@') ? '\0' + a.path.slice(1) : a.path + '\0');
    return Uint8Array.from([AF_UNIX, ...p]);
  }
  const ip = parseIp(a.ip ?? '0.0.0.0');
  const port = a.port ?? 0;
  return Uint8Array.from([ip.family, ...ip.bytes, port & 0xff, port >> 8]);
}

export function encodeSocktuple(c: { ip: string; port: number }, s: { ip: string; port: number }): Uint8Array {
  const ci = parseIp(c.ip);
  const si = parseIp(s.ip);
  if (ci.family !== si.family) throw new Error('tuple ends of different families');
  return Uint8Array.from([ci.family, ...ci.bytes, c.port & 0xff, c.port >> 8, ...si.bytes, s.port & 0xff, s.port >> 8]);
}

export function encodeUnixTuple(src: bigint, dst: bigint, path: string): Uint8Array {
  const out = new Uint8Array(17 + Buffer.byteLength(path) + 1);
  out[0] = AF_UNIX;
  const dv = new DataView(out.buffer);
  dv.setBigUint64(1, src, true);
  dv.setBigUint64(9, dst, true);
  out.set(Buffer.from(path), 17);
  return out;
}
