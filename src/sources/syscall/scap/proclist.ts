// Process list blocks of scap files, every version (PL_BLOCK_TYPE_V1 to V9 and the pre-release
// *_INT ids), as libscap's scap_read_proclist reads them (engine/savefile/scap_savefile.c in
// falcosecurity/libs): one entry per thread alive when the capture started. V9 entries carry
// their own length, and fields later libs appended are read only when the entry holds them.
import { BT } from './blocks.js';
import { Cursor } from './cursor.js';

const MAX_PATH = 1024;
const MAX_ARGS = 4096;
const MAX_ENV = 4096;
const MAX_CGROUPS = 4096;

export interface ScapThread {
  tid: number;
  pid: number;
  ptid: number;
  sid: number;
  vpgid: number;
  comm: string;
  /** argv[0] */
  exe: string;
  exepath: string;
  /** argv[1..] */
  args: string[];
  cwd: string;
  fdlimit: number;
  uid: number;
  gid: number;
  vmSize: number;
  vmRss: number;
  vmSwap: number;
  env: string[];
  vtid: number;
  vpid: number;
  cgroups: string[];
  root: string;
  pidnsInitStartTs: bigint;
  tty: number;
  loginuid: number;
  exeWritable: boolean;
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
  exeUpperLayer: boolean;
  exeIno: number;
  exeCtime: bigint;
  exeMtime: bigint;
  exeFromMemfd: boolean;
}

/** The version number (1-9) of a process list block type, or 0 when it is not one. */
export function proclistVersion(type: number): number {
  switch (type) {
    case BT.PL_V1:
    case BT.PL_V1_INT:
      return 1;
    case BT.PL_V2:
    case BT.PL_V2_INT:
      return 2;
    case BT.PL_V3:
    case BT.PL_V3_INT:
      return 3;
    case BT.PL_V4:
      return 4;
    case BT.PL_V5:
      return 5;
    case BT.PL_V6:
      return 6;
    case BT.PL_V7:
      return 7;
    case BT.PL_V8:
      return 8;
    case BT.PL_V9:
      return 9;
    default:
      return 0;
  }
}

function entry(c: Cursor, v: number): ScapThread {
  const start = c.pos;
  const subLen = v >= 9 ? c.u32('entry length') : 0;
  const t: ScapThread = {
    tid: c.u64('tid'),
    pid: c.u64('pid'),
    ptid: c.u64('ptid'),
    sid: v >= 6 ? c.u64('sid') : -1,
    vpgid: v >= 8 ? c.u64('vpgid') : -1,
    comm: c.str('comm', MAX_PATH),
    exe: c.str('exe', MAX_PATH),
    exepath: v >= 7 ? c.str('exepath', MAX_PATH) : '',
    args: c.list('args', MAX_ARGS),
    cwd: c.str('cwd', MAX_PATH),
    fdlimit: c.u64('fdlimit'),
    uid: 0,
    gid: 0,
    vmSize: 0,
    vmRss: 0,
    vmSwap: 0,
    env: [],
    vtid: -1,
    vpid: -1,
    cgroups: [],
    root: '',
    pidnsInitStartTs: 0n,
    tty: 0,
    loginuid: 0xffffffff,
    exeWritable: false,
    capInheritable: 0n,
    capPermitted: 0n,
    capEffective: 0n,
    exeUpperLayer: false,
    exeIno: 0,
    exeCtime: 0n,
    exeMtime: 0n,
    exeFromMemfd: false,
  };
  c.u32('flags');
  t.uid = c.u32('uid');
  t.gid = c.u32('gid');
  if (v >= 2) {
    t.vmSize = c.u32('vmsize_kb');
    t.vmRss = c.u32('vmrss_kb');
    t.vmSwap = c.u32('vmswap_kb');
    c.u64('pfmajor');
    c.u64('pfminor');
    if (v >= 3) t.env = c.list('env', MAX_ENV);
    if (v >= 4) {
      t.vtid = c.i64('vtid');
      t.vpid = c.i64('vpid');
      t.cgroups = c.list('cgroups', MAX_CGROUPS);
      if (v >= 5) t.root = c.str('root', MAX_PATH);
    }
  }
  if (subLen > 0) {
    const read = () => c.pos - start;
    const fits = (n: number) => read() + n <= subLen;
    // libs 0.10 inserted pidns_init_start_ts and tty before the fields older writers appended
    // (loginuid, exe_writable, capabilities: 29 bytes): an entry with no more than those left is older
    if (subLen - read() > 29) {
      if (fits(8)) t.pidnsInitStartTs = c.big('pidns_init_start_ts');
      if (fits(4)) t.tty = c.u32('tty');
    }
    if (fits(4)) t.loginuid = c.u32('loginuid');
    if (fits(1)) t.exeWritable = c.u8('exe_writable') !== 0;
    if (fits(8)) t.capInheritable = c.big('cap_inheritable');
    if (fits(8)) t.capPermitted = c.big('cap_permitted');
    if (fits(8)) t.capEffective = c.big('cap_effective');
    if (fits(1)) t.exeUpperLayer = c.u8('exe_upper_layer') !== 0;
    if (fits(8)) t.exeIno = c.u64('exe_ino');
    if (fits(8)) t.exeCtime = c.big('exe_ino_ctime');
    if (fits(8)) t.exeMtime = c.big('exe_ino_mtime');
    if (fits(1)) t.exeFromMemfd = c.u8('exe_from_memfd') !== 0;
    if (read() > subLen) c.fail(`entry of ${subLen} bytes holds ${read()}`, start);
    c.skip(subLen - read(), 'entry fields of later versions');
  }
  return t;
}

/** The threads of a process list block (body = the block's bytes between header and trailer). */
export function readProclist(body: Buffer, blockOffset: number, type: number): ScapThread[] {
  const v = proclistVersion(type);
  const c = new Cursor(body, blockOffset, `process list (v${v})`);
  const out: ScapThread[] = [];
  while (c.remaining >= 4) out.push(entry(c, v));
  return out;
}
