// A Kestrel record as the libscap events a 2022 driver would have written for the same syscall:
// the enter event (its params taken from the record, which carries them appended) and then the
// exit event, each a ppm_evt_hdr (u64 ts, u64 tid, u32 len, u16 type, u32 nparams), u16 param
// lengths and the values in the drivers' encodings (driver/ppm_events_public.h, ppm_fillers.c in
// falcosecurity/libs). Which PPME event and param each Kestrel param becomes is mapping.ts's
// (shared with the scap reader); this file only encodes. Flags go back to their PPM_* encodings.
import { EVENTS, KT } from '../record/event-table.js';
import { PT as KPT } from '../record/layout.js';
import type { SyscallEvent } from '../syscall-event.js';
import type { ProcessInfo } from '../state/process.js';
import { linkOfKestrel, type EventLink } from './mapping.js';
import { PT, type PpmEvent } from './ppm-events.js';
import { ByteSink, utf8Bytes } from './writer-bytes.js';
import { nulList, SCAP_LIMITS } from './writer.js';
import type { LossCounter } from './writer-state.js';

const HEADER_SIZE = 26;

/** Byte size of a fixed-size PPM param type; 0 for variable-size ones. */
export function ppmSize(t: PT): number {
  switch (t) {
    case PT.INT8:
    case PT.UINT8:
    case PT.FLAGS8:
    case PT.SIGTYPE:
    case PT.L4PROTO:
    case PT.SOCKFAMILY:
    case PT.BOOL:
      return 1;
    case PT.INT16:
    case PT.UINT16:
    case PT.FLAGS16:
    case PT.SYSCALLID:
    case PT.PORT:
      return 2;
    case PT.INT32:
    case PT.UINT32:
    case PT.FLAGS32:
    case PT.UID:
    case PT.GID:
    case PT.MODE:
    case PT.IPV4ADDR:
      return 4;
    case PT.INT64:
    case PT.UINT64:
    case PT.ERRNO:
    case PT.FD:
    case PT.PID:
    case PT.RELTIME:
    case PT.ABSTIME:
    case PT.DOUBLE:
      return 8;
    default:
      return 0;
  }
}

/**
 * Syscalls the 2022 drivers reported as the event of an older call of the same family (their
 * syscall table routed __NR_pipe2 to PPME_SYSCALL_PIPE, __NR_dup2/__NR_dup3 to PPME_SYSCALL_DUP):
 * written so, a 2022 reader keeps its fd table as it would have for a capture of its own.
 */
const ROUTED: Readonly<Partial<Record<number, number>>> = { [KT.PIPE2]: KT.PIPE, [KT.DUP2]: KT.DUP, [KT.DUP3]: KT.DUP };

function routedLink(type: number): EventLink | undefined {
  const via = ROUTED[type];
  const base = via === undefined ? undefined : linkOfKestrel(via);
  if (via === undefined || !base) return undefined;
  const spec = EVENTS[type]!;
  const viaSpec = EVENTS[via]!;
  // the same params by name in the routed record
  const remap = (k: number) => (k < 0 ? -1 : spec.param(viaSpec.params[k]!.name));
  return {
    ...base,
    kestrel: spec,
    exitFrom: base.exitFrom.map(remap),
    enterFrom: base.enterFrom.map(remap),
    params: spec.params.map((p) => base.params[viaSpec.param(p.name)]),
    retParam: remap(base.retParam),
  };
}

const WRITE_LINKS: readonly (EventLink | undefined)[] = EVENTS.map((e) => linkOfKestrel(e.code) ?? routedLink(e.code));

/** The PPME events a Kestrel event type is written as (its own, or the one the 2022 drivers used). */
export function writeLinkFor(type: number): EventLink | undefined {
  return WRITE_LINKS[type];
}

/** PPM_RESOLVE_* bit for each kernel RESOLVE_* bit (linux/openat2.h), openat2's `resolve`. */
const RESOLVE_BITS: readonly (readonly [number, number])[] = [
  [0x08, 1 << 0], // BENEATH
  [0x10, 1 << 1], // IN_ROOT
  [0x02, 1 << 2], // NO_MAGICLINKS
  [0x04, 1 << 3], // NO_SYMLINKS
  [0x01, 1 << 4], // NO_XDEV
  [0x20, 1 << 5], // CACHED
];
function resolveToPpm(linux: number): number {
  let out = 0;
  for (const [l, p] of RESOLVE_BITS) if (linux & l) out |= p;
  return out;
}
const RESOLVE_PARAM = EVENTS[KT.OPENAT2]!.param('resolve');

const STRING_TYPES = new Set<PT>([PT.CHARBUF, PT.FSPATH, PT.FSRELPATH]);
const NUL = new Uint8Array(1);

/** Process fields a clone/execve record may leave empty (the kernel side skips them): from state. */
interface ProcessFill {
  exe: string;
  args: readonly string[];
  cwd: string;
  comm: string;
  cgroups: readonly string[];
}

export class ScapEventEncoder {
  private readonly sink = new ByteSink(70000);
  private readonly values: Uint8Array[] = [];

  constructor(private readonly lost: LossCounter) {}

  /** The link to write a record with, or undefined (counted) when 2022 libscap has no event for it. */
  linkFor(e: SyscallEvent): EventLink | undefined {
    const link = WRITE_LINKS[e.type];
    if (!link) this.lost(`${e.spec.name} events (no such event in the 2022 libscap event table)`);
    else if (ROUTED[e.type] !== undefined) this.lost(`${e.spec.name} events written as ${link.exit.name}, as the 2022 drivers reported them (params ${link.exit.name} lacks left out)`);
    return link;
  }

  /**
   * The enter event of `e` (undefined for enter-only events such as procexit) and its exit event
   * (the enter-only event itself for those), at epoch time `ts`. `fill` completes the process
   * params of clone/execve records the kernel side left empty. The buffers are copies.
   */
  encode(e: SyscallEvent, link: EventLink, ts: bigint, fill: ProcessInfo | undefined): { enter: Buffer | undefined; exit: Buffer } {
    const enter = link.enter ? this.event(e, link, link.enter, link.enterFrom, ts, fill) : undefined;
    return { enter, exit: this.event(e, link, link.exit, link.exitFrom, ts, fill) };
  }

  /**
   * The clone exit event the new task itself returns with (res 0, its own tid), which the drivers
   * write after the parent's: libsinsp 2022 creates the child's thread from it.
   */
  childClone(e: SyscallEvent, link: EventLink, ts: bigint, fill: ProcessInfo | undefined): Buffer {
    return this.event(e, link, link.exit, link.exitFrom, ts, fill, e.ret);
  }

  private event(e: SyscallEvent, link: EventLink, ev: PpmEvent, from: readonly number[], ts: bigint, fill: ProcessInfo | undefined, child = 0): Buffer {
    const values = this.values;
    values.length = 0;
    for (let i = 0; i < ev.params.length; i++) values.push(this.value(e, link, ev.params[i]!.name, ev.params[i]!.type, from[i]!, fill));
    if (child) values[0] = new Uint8Array(8); // res: 0 in the child
    const s = this.sink.reset();
    let len = HEADER_SIZE + 2 * values.length;
    for (const v of values) len += v.length;
    s.u64(ts).u64(child || e.tid).u32(len).u16(ev.code).u32(values.length);
    for (const v of values) s.u16(v.length);
    for (const v of values) s.bytes(v);
    return Buffer.from(s.view());
  }

  private value(e: SyscallEvent, link: EventLink, name: string, type: PT, k: number, fill: ProcessInfo | undefined): Uint8Array {
    if (link.fullArgv && (name === 'exe' || name === 'args')) return this.argv(e, link, name, fill);
    if (fill && (name === 'cwd' || name === 'comm' || name === 'cgroups') && !(k >= 0 && e.paramLen(k) > 0)) {
      if (name === 'cgroups') return nulList(fill.cgroups, SCAP_LIMITS.cgroups);
      return stringBytes(name === 'cwd' ? fill.cwd : fill.comm);
    }
    const size = ppmSize(type);
    if (k < 0 || e.paramLen(k) === 0) {
      // the record does not carry it: the syscall result is in the header; the rest gets the
      // value a driver writes when it has none (0, an empty string, an empty buffer)
      if (k >= 0 && k === link.retParam && size) return fixed(BigInt(e.ret), size);
      if (type === PT.DYN) return dyn(BigInt(e.ret));
      if (size) return new Uint8Array(size);
      return STRING_TYPES.has(type) ? NUL : new Uint8Array(0);
    }
    if (size) {
      let v = e.big(k) ?? 0n;
      const codec = link.params[k]?.codec;
      if (codec) v = BigInt(codec.toPpm(Number(BigInt.asUintN(32, v))));
      // the shared codecs (flags.ts) do not cover openat2's resolve flags yet
      else if (e.type === KT.OPENAT2 && k === RESOLVE_PARAM) v = BigInt(resolveToPpm(Number(v)));
      return fixed(v, size);
    }
    if (type === PT.DYN) return dyn(e.big(k) ?? BigInt(e.ret));
    const raw = e.bytes(k)!;
    if (STRING_TYPES.has(type)) return withNul(raw);
    if (e.paramType(k) === KPT.ARGV) return raw[raw.length - 1] === 0 ? Buffer.from(raw) : withNul(raw);
    return Buffer.from(raw);
  }

  /** exec/clone: PPM `exe` is argv[0] (or the exe the record names), `args` argv[1..]. */
  private argv(e: SyscallEvent, link: EventLink, name: string, fill: ProcessFill | undefined): Uint8Array {
    const ai = e.param('args');
    const ei = e.param('exe');
    const argv = (ai >= 0 ? e.argv(ai) : undefined) ?? (fill ? [fill.exe, ...fill.args] : []);
    if (name === 'args') return nulList(argv.slice(1), SCAP_LIMITS.args);
    const exe = (ei >= 0 ? e.str(ei) : undefined) || argv[0] || fill?.exe || '';
    return stringBytes(exe);
  }
}

function fixed(v: bigint, size: number): Uint8Array {
  const b = Buffer.alloc(size);
  if (size === 8) b.writeBigUInt64LE(BigInt.asUintN(64, v));
  else if (size === 4) b.writeUInt32LE(Number(BigInt.asUintN(32, v)));
  else if (size === 2) b.writeUInt16LE(Number(BigInt.asUintN(16, v)));
  else b[0] = Number(BigInt.asUintN(8, v));
  return b;
}

/** PT_DYN as the drivers write bpf's res_or_fd: index 0 (an errno-style result) then 8 bytes. */
function dyn(v: bigint): Uint8Array {
  const b = Buffer.alloc(9);
  b.writeBigInt64LE(BigInt.asIntN(64, v), 1);
  return b;
}

function withNul(raw: Uint8Array): Uint8Array {
  const end = raw.length && raw[raw.length - 1] === 0 ? raw.length - 1 : raw.length;
  const b = Buffer.alloc(end + 1);
  b.set(raw.subarray(0, end));
  return b;
}

function stringBytes(s: string): Uint8Array {
  return withNul(utf8Bytes(s));
}
