// File descriptor list blocks of scap files (FDL_BLOCK_TYPE, its *_INT id and V2 with per-entry
// lengths), as libscap's scap_read_fdlist reads them: the fds one thread had open when the
// capture started, turned into the fd entries of Kestrel's state snapshot the way libsinsp names
// them (files by path, sockets by their tuple).
import { ipv4Text, ipv6Text } from '../record/sockaddr.js';
import { FdType, L4_ICMP, L4_RAW, L4_TCP, L4_UDP, L4_UNKNOWN, ROLE_SERVER } from '../state/fd.js';
import type { FdJson } from '../state/snapshot.js';
import { BT } from './blocks.js';
import { Cursor } from './cursor.js';

const MAX_PATH = 1024;

/** scap_fd_type -> Kestrel FdType (SCAP_FD_* in userspace/libscap/scap.h). */
const FD_TYPES: Record<number, FdType> = {
  1: FdType.FILE,
  2: FdType.DIRECTORY,
  3: FdType.IPV4,
  4: FdType.IPV6,
  5: FdType.IPV4,
  6: FdType.IPV6,
  7: FdType.PIPE,
  8: FdType.UNIX,
  9: FdType.EVENT,
  10: FdType.UNKNOWN,
  11: FdType.SIGNALFD,
  12: FdType.EVENTPOLL,
  13: FdType.INOTIFY,
  14: FdType.TIMERFD,
  15: FdType.NETLINK,
  16: FdType.FILE,
  17: FdType.BPF,
  18: FdType.USERFAULTFD,
  19: FdType.IOURING,
  20: FdType.MEMFD,
  21: FdType.PIDFD,
};

/** SCAP_L4_* (UNKNOWN, NA, TCP, UDP, ICMP, RAW) -> Kestrel L4_*. */
const L4: readonly number[] = [L4_UNKNOWN, L4_UNKNOWN, L4_TCP, L4_UDP, L4_ICMP, L4_RAW];

export interface ScapFdList {
  tid: number;
  fds: FdJson[];
  /** Entries of an fd type this reader does not know (kept as unknown fds, counted). */
  unknownTypes: number;
}

function entry(c: Cursor, v2: boolean, list: ScapFdList): void {
  const start = c.pos;
  const subLen = v2 ? c.u32('entry length') : 0;
  const num = c.i64('fd');
  const ino = c.u64('ino');
  const scapType = c.u8('type');
  const type = FD_TYPES[scapType];
  const f: FdJson = { num, type: type ?? FdType.UNKNOWN, name: '' };
  if (ino) f.ino = ino;
  switch (scapType) {
    case 3: {
      const s = c.bytes(4, 'sip');
      const d = c.bytes(4, 'dip');
      f.cip = ipv4Text(s, 0);
      f.sip = ipv4Text(d, 0);
      f.cport = c.u16('sport');
      f.sport = c.u16('dport');
      f.l4proto = L4[c.u8('l4proto')] ?? L4_UNKNOWN;
      f.name = `${f.cip}:${f.cport}->${f.sip}:${f.sport}`;
      break;
    }
    case 4: {
      f.cip = ipv6Text(c.bytes(16, 'sip'), 0);
      f.sip = ipv6Text(c.bytes(16, 'dip'), 0);
      f.cport = c.u16('sport');
      f.sport = c.u16('dport');
      f.l4proto = L4[c.u8('l4proto')] ?? L4_UNKNOWN;
      f.name = `${f.cip}:${f.cport}->${f.sip}:${f.sport}`;
      break;
    }
    case 5:
    case 6: {
      f.sip = scapType === 5 ? ipv4Text(c.bytes(4, 'ip'), 0) : ipv6Text(c.bytes(16, 'ip'), 0);
      f.sport = c.u16('port');
      f.l4proto = L4[c.u8('l4proto')] ?? L4_UNKNOWN;
      f.role = ROLE_SERVER;
      f.name = `${f.sip}:${f.sport}`;
      break;
    }
    case 8: {
      const src = c.big('source');
      const dst = c.big('destination');
      const path = c.str('path', MAX_PATH - 1);
      f.unixPath = path;
      f.name = `0x${src.toString(16)}->0x${dst.toString(16)} ${path}`;
      break;
    }
    case 16: {
      f.openFlags = c.u32('open_flags');
      f.name = c.str('name', MAX_PATH - 1);
      if (subLen && c.pos - start + 4 <= subLen) f.dev = c.u32('dev');
      break;
    }
    default:
      if (type === undefined) {
        // a newer library's fd type: libscap keeps it as unsupported and reads nothing more
        list.unknownTypes++;
        f.name = `unknown-type:[${scapType}]`;
      } else f.name = c.str('name', MAX_PATH - 1);
  }
  if (subLen) {
    const read = c.pos - start;
    if (read > subLen) c.fail(`fd entry of ${subLen} bytes holds ${read}`, start);
    c.skip(subLen - read, 'fd entry fields of later versions');
  }
  list.fds.push(f);
}

export function readFdlist(body: Buffer, blockOffset: number, type: number): ScapFdList {
  const c = new Cursor(body, blockOffset, 'fd list');
  const list: ScapFdList = { tid: c.u64('tid'), fds: [], unknownTypes: 0 };
  while (c.remaining >= 4) entry(c, type === BT.FDL_V2, list);
  return list;
}
