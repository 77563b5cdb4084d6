// Writes libscap savefiles (.scap), block by block, in the layout the libscap of Debian's
// libfalcosecurity0 (falcosecurity/libs snapshot 2022-03-16) writes and reads: scap_savefile.c's
// scap_write_* / scap_dump functions (userspace/libscap/scap_savefile.h for the block types).
// Every block is u32 type, u32 total length, body, zero padding to 4 bytes, u32 total length.
// A file is: section header, machine info, interface list, user list, process list, one fd list
// per process, then event blocks. A path ending in .gz is written gzip-compressed (one gzip member
// per flush, which zlib's gzread, and so libscap, reads as one stream).
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { BT, SCAP_MAJOR_VERSION, SHB_MAGIC } from './blocks.js';
import type { ScapThread } from './proclist.js';
import { ByteSink, utf8Bytes } from './writer-bytes.js';

/** The minor version libscap 2022 writes (CURRENT_MINOR_VERSION). */
const SCAP_MINOR = 2;

/** libscap's size limits (scap.h): a longer field makes its reader reject the file. */
export const SCAP_LIMITS = { path: 1024, args: 4096, env: 4096, cgroups: 4096, credential: 255, hostname: 127 } as const;
/** libscap reads a (non-large) event block into a 64 KiB buffer (READER_BUF_SIZE). */
export const MAX_EVENT_BLOCK_BODY = 65536;

export interface ScapMachineInfo {
  numCpus: number;
  memoryBytes: bigint;
  maxPid: bigint;
  hostname: string;
}

/** A network interface address (scap_ifinfo_ipv4 / _ipv6). */
export interface ScapInterfaceEntry {
  name: string;
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  addr: Uint8Array;
  netmask: Uint8Array;
  bcast: Uint8Array;
  linkspeed: bigint;
}

export interface ScapUser {
  uid: number;
  gid: number;
  name: string;
  home: string;
  shell: string;
}

/**
 * One thread of the process list (scap_threadinfo as scap_write_proclist_entry writes it): the
 * fields the 2022 entry holds, named as the reader names them, and the PPM_CL_* flags
 * (CLONE_THREAD | CLONE_FILES for non-main threads, as libscap's /proc scan sets them).
 */
export interface ScapThreadEntry
  extends Pick<ScapThread, 'tid' | 'pid' | 'ptid' | 'sid' | 'vpgid' | 'comm' | 'exe' | 'exepath' | 'cwd' | 'fdlimit' | 'uid' | 'gid' | 'vmSize' | 'vmRss' | 'vmSwap' | 'vtid' | 'vpid' | 'root' | 'loginuid' | 'exeWritable'> {
  /** argv[1..] */
  args: readonly string[];
  env: readonly string[];
  /** `subsys=path` entries. */
  cgroups: readonly string[];
  flags: number;
}

/** scap_fd_type values of the 2022 libscap (scap.h). */
export enum ScapFdType {
  FILE = 1,
  DIRECTORY = 2,
  IPV4_SOCK = 3,
  IPV6_SOCK = 4,
  IPV4_SERVSOCK = 5,
  IPV6_SERVSOCK = 6,
  FIFO = 7,
  UNIX_SOCK = 8,
  EVENT = 9,
  UNSUPPORTED = 10,
  SIGNALFD = 11,
  EVENTPOLL = 12,
  INOTIFY = 13,
  TIMERFD = 14,
  NETLINK = 15,
  FILE_V2 = 16,
}

export type ScapFdEntry =
  | { fd: number; ino: number; type: ScapFdType.FILE_V2; openFlags: number; name: string; dev: number }
  | { fd: number; ino: number; type: ScapFdType.IPV4_SOCK | ScapFdType.IPV6_SOCK; sip: Uint8Array; dip: Uint8Array; sport: number; dport: number; l4proto: number }
  | { fd: number; ino: number; type: ScapFdType.IPV4_SERVSOCK | ScapFdType.IPV6_SERVSOCK; ip: Uint8Array; port: number; l4proto: number }
  | { fd: number; ino: number; type: ScapFdType.UNIX_SOCK; source: bigint; dest: bigint; name: string }
  | { fd: number; ino: number; type: NamedFdType; name: string };

/** The fd types whose entry is just a name. */
export type NamedFdType = Exclude<ScapFdType, ScapFdType.FILE_V2 | ScapFdType.IPV4_SOCK | ScapFdType.IPV6_SOCK | ScapFdType.IPV4_SERVSOCK | ScapFdType.IPV6_SERVSOCK | ScapFdType.UNIX_SOCK>;

/** Bytes of `s` cut to at most `max` bytes (on a UTF-8 boundary); `cut` is told when it was. */
export function limitedBytes(s: string, max: number, cut?: () => void): Uint8Array {
  const b = utf8Bytes(s);
  if (b.length <= max) return b;
  cut?.();
  let end = max;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

/** NUL-terminated strings back to back (argv, env, cgroups as libscap stores them), cut to `max`. */
export function nulList(list: readonly string[], max: number, cut?: () => void): Uint8Array {
  if (list.length === 0) return new Uint8Array(0);
  return limitedBytes(list.join('\0') + '\0', max, cut);
}

const FLUSH_AT = 1 << 20;

export class ScapFileWriter {
  private fd: number;
  private readonly gzip: boolean;
  private readonly out = new ByteSink(FLUSH_AT + 65536);
  private readonly body = new ByteSink();
  /** Bytes written (uncompressed). */
  bytes = 0;
  events = 0;
  /** Fields cut to libscap's limits (counted, never silent). */
  truncatedFields = 0;
  private readonly cut = () => {
    this.truncatedFields++;
  };

  constructor(path: string, opts: { gzip?: boolean } = {}) {
    this.gzip = opts.gzip ?? path.endsWith('.gz');
    this.fd = openSync(path, 'w');
    this.sectionHeader();
  }

  /** Frames the body built in `this.body` as a block of `type`. */
  private block(type: number, body: Uint8Array): void {
    const total = 8 + body.length + ((4 - (body.length % 4)) % 4) + 4;
    this.out.u32(type).u32(total).bytes(body).zeros(total - 12 - body.length).u32(total);
    this.bytes += total;
    if (this.out.len >= FLUSH_AT) this.flush();
  }

  private sectionHeader(): void {
    // section_length -1: unknown (libscap writes it so, the file is one section)
    const b = this.body.reset().u32(SHB_MAGIC).u16(SCAP_MAJOR_VERSION).u16(SCAP_MINOR).i64(-1n);
    this.block(BT.SHB, b.view());
  }

  machineInfo(mi: ScapMachineInfo): void {
    const b = this.body.reset().u32(mi.numCpus).u64(mi.memoryBytes).u64(mi.maxPid);
    const name = limitedBytes(mi.hostname, SCAP_LIMITS.hostname, this.cut);
    b.bytes(name).zeros(128 - name.length).zeros(32); // hostname[128], reserved1-4
    this.block(BT.MI, b.view());
  }

  interfaces(list: readonly ScapInterfaceEntry[]): void {
    const b = this.body.reset();
    for (const i of list) {
      const name = limitedBytes(i.name, SCAP_LIMITS.path, this.cut);
      const addrLen = i.family === 4 ? 4 : 16;
      // entry length excludes its own u32: type, ifnamelen, addr, netmask, bcast, linkspeed, name
      b.u32(2 + 2 + 3 * addrLen + 8 + name.length);
      b.u16(i.family === 4 ? 1 : 2).u16(name.length);
      b.bytes(i.addr.subarray(0, addrLen)).bytes(i.netmask.subarray(0, addrLen)).bytes(i.bcast.subarray(0, addrLen));
      b.u64(i.linkspeed).bytes(name);
    }
    this.block(BT.IL_V2, b.view());
  }

  users(users: readonly ScapUser[], groups: readonly { gid: number; name: string }[]): void {
    const b = this.body.reset();
    for (const u of users) {
      const at = b.len;
      b.u32(0).u8(0).u32(u.uid).u32(u.gid);
      b.lenString(limitedBytes(u.name, SCAP_LIMITS.credential, this.cut));
      b.lenString(limitedBytes(u.home, SCAP_LIMITS.path, this.cut));
      b.lenString(limitedBytes(u.shell, SCAP_LIMITS.path, this.cut));
      b.patchU32(at, b.len - at); // entry length includes its own u32
    }
    for (const g of groups) {
      const at = b.len;
      b.u32(0).u8(1).u32(g.gid).lenString(limitedBytes(g.name, SCAP_LIMITS.credential, this.cut));
      b.patchU32(at, b.len - at);
    }
    this.block(BT.UL_V2, b.view());
  }

  processes(threads: readonly ScapThreadEntry[]): void {
    const b = this.body.reset();
    const L = SCAP_LIMITS;
    for (const t of threads) {
      const at = b.len;
      b.u32(0).u64(t.tid).u64(t.pid).u64(t.ptid).i64(t.sid).i64(t.vpgid);
      b.lenString(limitedBytes(t.comm, L.path, this.cut));
      b.lenString(limitedBytes(t.exe, L.path, this.cut));
      b.lenString(limitedBytes(t.exepath, L.path, this.cut));
      b.lenString(nulList(t.args, L.args, this.cut));
      b.lenString(limitedBytes(t.cwd, L.path, this.cut));
      b.i64(t.fdlimit).u32(t.flags).u32(t.uid).u32(t.gid);
      b.u32(t.vmSize).u32(t.vmRss).u32(t.vmSwap).u64(0).u64(0); // pfmajor, pfminor: not recorded
      b.lenString(nulList(t.env, L.env, this.cut));
      b.i64(t.vtid).i64(t.vpid);
      b.lenString(nulList(t.cgroups, L.cgroups, this.cut));
      b.lenString(limitedBytes(t.root, L.path, this.cut));
      // the 2022 entry ends with loginuid and exe_writable (later libs append more; readers of
      // every version take what the entry length says it holds)
      b.u32(t.loginuid).u8(t.exeWritable ? 1 : 0);
      b.patchU32(at, b.len - at);
    }
    this.block(BT.PL_V9, b.view());
  }

  fds(tid: number, fds: readonly ScapFdEntry[]): void {
    const b = this.body.reset().u64(tid);
    for (const f of fds) {
      const at = b.len;
      b.u32(0).i64(f.fd).u64(f.ino).u8(f.type);
      switch (f.type) {
        case ScapFdType.IPV4_SOCK:
        case ScapFdType.IPV6_SOCK:
          b.bytes(f.sip).bytes(f.dip).u16(f.sport).u16(f.dport).u8(f.l4proto);
          break;
        case ScapFdType.IPV4_SERVSOCK:
        case ScapFdType.IPV6_SERVSOCK:
          b.bytes(f.ip).u16(f.port).u8(f.l4proto);
          break;
        case ScapFdType.UNIX_SOCK:
          b.u64(f.source).u64(f.dest).lenString(limitedBytes(f.name, SCAP_LIMITS.path, this.cut));
          break;
        case ScapFdType.FILE_V2:
          b.u32(f.openFlags).lenString(limitedBytes(f.name, SCAP_LIMITS.path, this.cut)).u32(f.dev);
          break;
        default:
          b.lenString(limitedBytes(f.name, SCAP_LIMITS.path, this.cut));
      }
      b.patchU32(at, b.len - at);
    }
    this.block(BT.FDL_V2, b.view());
  }

  /**
   * One event (a ppm_evt_hdr and its params, built by the caller) from `cpu`. `flags` 0 makes an
   * EV block, others an EVF block, as scap_dump does. Returns false (and writes nothing) for an
   * event too large for libscap's reader buffer.
   */
  event(cpu: number, flags: number, evt: Uint8Array): boolean {
    const body = this.body.reset().u16(cpu);
    if (flags) body.u32(flags);
    if (body.len + evt.length > MAX_EVENT_BLOCK_BODY) return false;
    body.bytes(evt);
    this.block(flags ? BT.EVF_V2 : BT.EV_V2, body.view());
    this.events++;
    return true;
  }

  flush(): void {
    if (this.out.len === 0) return;
    const data = this.gzip ? gzipSync(this.out.view()) : this.out.view();
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    this.out.reset();
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  /** Closes without flushing what is buffered (a failed conversion). */
  abort(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Removes what a failed conversion wrote (a half-written file must not pass for a capture). */
export function removePartialOutput(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // nothing was written
  }
}
