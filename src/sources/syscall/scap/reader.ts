// Reads libscap capture files (.scap, plain or gzip-compressed, as Falco 0.3x-0.4x and sysdig
// write them) as Kestrel syscall events: the follower of libscap's savefile engine
// (engine/savefile/scap_savefile.c) and of what libsinsp does with it (sinsp_parser: enter events
// kept per thread and merged into their exit event; the thread table seeded from the capture's
// process list, never from this host's /proc).
//
// API (kestrel replay / run -e through src/agent/replay-readers.ts; bench/vs-libsinsp):
//   const replay = readScap(file);      // nothing is read yet
//   for await (const e of replay.events()) ...   // SyscallEvents, state applied, in file order
//   replay.ctx                          // the state the events resolve against (threads, fds, users)
//   replay.stats                        // ScapStats: blocks, events, records, merges, skips by reason
//   replay.summary()                    // stats as one line
//   looksLikeScap(head)                 // the first bytes (plain or gzip) are a scap file
// Every event block becomes at most one Kestrel record, built in one reused buffer. Unknown
// blocks and event types are skipped and counted, never fatal. Bad data (a cut file, a block
// length that does not match its trailer, a bad section header) throws CaptureError(file, offset,
// reason) after every event before it was yielded.
import { open } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { SyscallProcessor, RecordError } from '../batch-processor.js';
import { CaptureError } from '../capture/reader.js';
import { KT } from '../record/event-table.js';
import { newContext, type SyscallContext } from '../state/context.js';
import type { SyscallEvent } from '../syscall-event.js';
import { BT, BlockReader, SCAP_MAJOR_VERSION, SHB_MAGIC, ScapFormatError, isGzip, looksLikeScapBlock } from './blocks.js';
import { ParamSet, ScapEvent, copyParams, decodeEvent, eventBlockKind } from './events.js';
import { readFdlist } from './fdlist.js';
import { readIflist, type ScapInterface } from './iflist.js';
import { isMergedEnter, linkOfPpm, type EventLink } from './mapping.js';
import { PPM_EVENTS } from './ppm-events.js';
import { proclistVersion, readProclist } from './proclist.js';
import { Override, RecordBuilder, type RecordHeader } from './record.js';
import { PendingState } from './seed.js';
import { describeScapStats, exportScapMetrics, newScapStats, type ScapStats } from './stats.js';
import { readUserlist } from './userlist.js';

export interface ScapReplay {
  ctx: SyscallContext;
  stats: ScapStats;
  /** Hostname from the machine info block ('' until read). */
  hostname: string;
  interfaces: ScapInterface[];
  events(): AsyncGenerator<SyscallEvent>;
  summary(): string;
}

/** Whether a file's first bytes are a scap file, plain or gzip-compressed. */
export function looksLikeScap(head: Uint8Array): boolean {
  if (looksLikeScapBlock(head)) return true;
  if (!isGzip(head)) return false;
  try {
    // the head is a prefix of the stream: inflate what it holds
    return looksLikeScapBlock(gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH */ }));
  } catch {
    return false;
  }
}

const PPME_DROP_E = 148;
const PPM_CL_CLONE_THREAD = 1 << 13;
const CLONES = new Set<number>([KT.CLONE, KT.CLONE3, KT.FORK, KT.VFORK]);

class EnterSlot extends ParamSet {
  code = -1;
}

export function readScap(file: string): ScapReplay {
  const ctx = newContext({ bootEpochNs: 0n }); // scap timestamps are ns since the epoch
  const processor = new SyscallProcessor(ctx);
  const stats = newScapStats();
  const builder = new RecordBuilder();
  const ev = new ScapEvent();
  const enters = new Map<number, EnterSlot>();
  const pending = new PendingState();
  const header: RecordHeader = { tid: 0, pid: 0, ppid: 0, vtid: 0, vpid: 0, uid: 0, gid: 0, loginuid: 0, comm: '', cpu: 0 };
  const replay: ScapReplay = { ctx, stats, hostname: '', interfaces: [], events, summary: () => describeScapStats(stats) };

  /** Header fields from the thread table (the thread `tid`, or what little is known of an unlisted one). */
  const headerOf = (tid: number): RecordHeader => {
    const t = ctx.threads.thread(tid);
    header.tid = tid;
    if (t) {
      const p = t.proc;
      header.pid = p.pid;
      header.ppid = p.ppid;
      header.vtid = t.vtid;
      header.vpid = p.vpid;
      header.uid = p.uid;
      header.gid = p.gid;
      header.loginuid = p.loginuid;
      header.comm = t.comm;
    } else {
      // as libsinsp in savefile mode: a thread missing from the capture's tables has no known
      // process or credentials
      header.pid = tid;
      header.ppid = 0;
      header.vtid = tid;
      header.vpid = tid;
      header.uid = 0xffffffff;
      header.gid = 0xffffffff;
      header.loginuid = 0xffffffff;
      header.comm = '';
    }
    header.cpu = ev.cpu;
    return header;
  };

  /** A numeric PPM param of the pair (exit first), as a number; undefined when absent. */
  const num = (link: EventLink, kestrelParam: string, enter: ParamSet | undefined): number | undefined => {
    const ln = link.params[link.kestrel.param(kestrelParam)];
    if (!ln) return undefined;
    let src: ParamSet | undefined;
    let at = -1;
    if (ln.exit >= 0 && ln.exit < ev.n) {
      src = ev;
      at = ln.exit;
    } else if (enter && ln.enter >= 0 && ln.enter < enter.n) {
      src = enter;
      at = ln.enter;
    }
    if (!src) return undefined;
    const o = src.off[at]!;
    switch (src.len[at]) {
      case 1:
        return src.buf[o]!;
      case 2:
        return src.buf.readUInt16LE(o);
      case 4:
        return src.buf.readInt32LE(o);
      case 8:
        return src.buf.readInt32LE(o) + src.buf.readInt32LE(o + 4) * 0x100000000;
      default:
        return undefined;
    }
  };

  const str = (link: EventLink, kestrelParam: string): string | undefined => {
    const ln = link.params[link.kestrel.param(kestrelParam)];
    if (!ln || ln.exit < 0 || ln.exit >= ev.n) return undefined;
    const o = ev.off[ln.exit]!;
    let l = ev.len[ln.exit]!;
    while (l > 0 && ev.buf[o + l - 1] === 0) l--;
    return ev.buf.toString('utf8', o, o + l);
  };

  /**
   * Clone/fork exits come twice: in the parent (res = the child's tid) and in the child (res 0).
   * The first to arrive makes the one Kestrel record (header: the parent; params: the child), as
   * libsinsp creates the child's thread on whichever it sees first.
   */
  const cloneHeader = (link: EventLink, enter: ParamSet | undefined): RecordHeader | undefined => {
    const res = num(link, 'res', enter) ?? -1;
    if (res < 0) return headerOf(ev.tid);
    const flags = num(link, 'flags', enter) ?? 0;
    const k = link.kestrel;
    if (res > 0) {
      if (ctx.threads.thread(res)) return undefined;
      const h = headerOf(ev.tid);
      const thread = (flags & PPM_CL_CLONE_THREAD) !== 0;
      // the params describe the caller: describe the child instead
      setValue(k.param('tid'), res);
      setValue(k.param('pid'), thread ? h.pid : res);
      setValue(k.param('ptid'), ev.tid);
      setEmpty(k.param('vtid'));
      setEmpty(k.param('vpid'));
      return h;
    }
    const child = ctx.threads.thread(ev.tid);
    if (child) {
      // the parent's exit came first: take the child's namespace ids from its own exit
      const vtid = num(link, 'vtid', enter);
      if (vtid !== undefined && vtid >= 0) child.vtid = vtid;
      const vpid = num(link, 'vpid', enter);
      if (vpid !== undefined && vpid >= 0 && child.tid === child.proc.pid) child.proc.vpid = vpid;
      return undefined;
    }
    const pid = num(link, 'pid', enter) ?? ev.tid;
    const ptid = num(link, 'ptid', enter) ?? 0;
    const parentTid = flags & PPM_CL_CLONE_THREAD ? (ctx.threads.process(pid) ? pid : ptid) : ptid;
    const h = headerOf(parentTid);
    setValue(k.param('res'), ev.tid);
    return h;
  };

  const setValue = (i: number, v: number): void => {
    if (i < 0) return;
    builder.override[i] = Override.VALUE;
    builder.overrideValue[i] = v;
  };
  const setEmpty = (i: number): void => {
    if (i >= 0) builder.override[i] = Override.EMPTY;
  };

  /**
   * A successful exec's record describes the task after exec: its new name (old drivers: the
   * exe's base name), and its process and parent as the event gives them (the thread may have
   * been forked before the capture began).
   */
  const execHeader = (link: EventLink, enter: ParamSet | undefined, h: RecordHeader): void => {
    const comm = str(link, 'comm') || (str(link, 'exe') ?? '').split('/').pop()!.slice(0, 15);
    if (comm) h.comm = comm;
    const pid = num(link, 'pid', enter);
    if (pid !== undefined && pid > 0) h.pid = pid;
    const ptid = num(link, 'ptid', enter);
    if (ptid !== undefined && ptid > 0) h.ppid = ctx.threads.thread(ptid)?.proc.pid ?? ptid;
  };

  /** Credentials a successful set*id call changes: the record (and those after it) carry the new ones. */
  const credentials = (link: EventLink, enter: ParamSet | undefined): void => {
    if ((num(link, 'res', enter) ?? -1) !== 0) return;
    const p = ctx.threads.thread(ev.tid)?.proc;
    if (!p) return;
    const k = link.kestrel.code;
    const id = num(link, k === KT.SETUID ? 'uid' : k === KT.SETGID ? 'gid' : k === KT.SETRESUID ? 'euid' : 'egid', enter);
    if (id === undefined || id === -1 || id === 0xffffffff) return;
    if (k === KT.SETUID || k === KT.SETRESUID) p.uid = id >>> 0;
    else p.gid = id >>> 0;
  };

  /** Builds the Kestrel record of the decoded event; returns its length, 0 when it makes none (counted). */
  const toRecord = (): number => {
    const code = ev.type;
    const link = linkOfPpm(code);
    if (!link) {
      if (isMergedEnter(code)) {
        let slot = enters.get(ev.tid);
        if (!slot) enters.set(ev.tid, (slot = new EnterSlot()));
        else if (slot.code >= 0) stats.unmatchedEnters++;
        copyParams(ev, slot);
        slot.code = code;
        return 0;
      }
      stats.noKestrelEvent++;
      const name = PPM_EVENTS[code]!.name;
      stats.noKestrelEventByName.set(name, (stats.noKestrelEventByName.get(name) ?? 0) + 1);
      if (code === PPME_DROP_E) stats.dropEvents++;
      return 0;
    }
    let enter: ParamSet | undefined;
    const slot = enters.get(ev.tid);
    if (slot && slot.code >= 0) {
      if (link.enter && slot.code === link.enter.code) {
        enter = slot;
        stats.mergedEnters++;
      } else stats.unmatchedEnters++;
      slot.code = -1;
    }
    const k = link.kestrel.code;
    let h: RecordHeader | undefined;
    if (CLONES.has(k)) {
      h = cloneHeader(link, enter);
      if (!h) {
        stats.cloneSecondHalf++;
        builder.override.fill(Override.NONE);
        return 0;
      }
    } else {
      if (k === KT.SETUID || k === KT.SETGID || k === KT.SETRESUID || k === KT.SETRESGID) credentials(link, enter);
      h = headerOf(ev.tid);
      if ((k === KT.EXECVE || k === KT.EXECVEAT) && (num(link, 'res', enter) ?? -1) === 0) execHeader(link, enter, h);
    }
    if (k === KT.PROCEXIT) enters.delete(ev.tid);
    return builder.build(link, ev, ev.hdrAt, enter, h);
  };

  const metadata = (type: number, body: Buffer, at: number): void => {
    if (proclistVersion(type)) {
      const threads = readProclist(body, at, type);
      stats.threadsListed += threads.length;
      pending.threads.push(...threads);
      return;
    }
    switch (type) {
      case BT.MI:
      case BT.MI_INT: {
        const end = Math.min(body.length, 20 + 128);
        const nul = body.indexOf(0, 20);
        replay.hostname = body.toString('utf8', 20, nul >= 20 && nul < end ? nul : end);
        if (replay.hostname) ctx.hostname = replay.hostname;
        return;
      }
      case BT.FDL:
      case BT.FDL_INT:
      case BT.FDL_V2: {
        const list = readFdlist(body, at, type);
        stats.fdsListed += list.fds.length;
        stats.unknownFdTypes += list.unknownTypes;
        const have = pending.fds.get(list.tid);
        pending.fds.set(list.tid, have ? [...have, ...list.fds] : list.fds);
        return;
      }
      case BT.IL:
      case BT.IL_INT:
      case BT.IL_V2:
        replay.interfaces = readIflist(body, at, type);
        stats.interfaces = replay.interfaces.length;
        return;
      case BT.UL:
      case BT.UL_INT:
      case BT.UL_V2: {
        const tables = readUserlist(body, at, type);
        stats.users = tables.users.size;
        stats.groups = tables.groups.size;
        ctx.users.set('', tables);
        return;
      }
      default:
        stats.unknownBlocks++;
        stats.unknownBlocksByType.set(type, (stats.unknownBlocksByType.get(type) ?? 0) + 1);
    }
  };

  const sectionHeader = (body: Buffer, at: number): void => {
    if (body.length < 16) throw new ScapFormatError(at, `section header block of ${body.length + 12} bytes, too short`);
    const magic = body.readUInt32LE(0);
    if (magic !== SHB_MAGIC) {
      const why = magic === 0x4d3c2b1a ? 'big-endian captures are not supported' : `bad byte-order magic 0x${magic.toString(16)}`;
      throw new ScapFormatError(at + 8, `bad section header: ${why}`);
    }
    const major = body.readUInt16LE(4);
    if (major > SCAP_MAJOR_VERSION) throw new ScapFormatError(at + 12, `scap format version ${major}.${body.readUInt16LE(6)} is newer than this reader (${SCAP_MAJOR_VERSION}.x)`);
    stats.sections++;
  };

  async function* events(): AsyncGenerator<SyscallEvent> {
    const head = Buffer.alloc(2);
    const fh = await open(file, 'r');
    try {
      await fh.read(head, 0, 2, 0);
    } finally {
      await fh.close();
    }
    const blocks = new BlockReader(file, isGzip(head));
    const where = blocks.compressed ? ' of the uncompressed data' : '';
    try {
      for (;;) {
        if (!blocks.next()) {
          if (blocks.done) break;
          await blocks.fill();
          continue;
        }
        const type = blocks.type;
        const at = blocks.offset;
        stats.blocks++;
        if (stats.blocks === 1 && type !== BT.SHB) throw new ScapFormatError(at, `not a scap file: the first block is of type 0x${type.toString(16)}, not a section header`);
        if (type === BT.SHB) {
          sectionHeader(blocks.body, at);
          continue;
        }
        if (!eventBlockKind(type)) {
          metadata(type, blocks.body, at);
          continue;
        }
        stats.events++;
        if (!pending.empty) stats.orphanFdLists += pending.flush(ctx, processor.parser.cgroupPaths);
        if (!decodeEvent(blocks.buffer, blocks.bodyAt, blocks.bodySize, at, type, ev)) {
          stats.unknownTypes++;
          continue;
        }
        processor.finish();
        const len = toRecord();
        if (len === 0) continue;
        stats.records++;
        stats.truncatedParams = builder.truncatedParams;
        processor.load(builder.buf.subarray(0, len), at);
        let e: SyscallEvent | undefined;
        try {
          e = processor.next();
        } catch (err) {
          if (err instanceof RecordError) throw new ScapFormatError(at, `event makes a bad record (${err.message})`);
          throw err;
        }
        if (e) yield e;
      }
      if (!pending.empty) stats.orphanFdLists += pending.flush(ctx, processor.parser.cgroupPaths);
      if (stats.blocks === 0) throw new ScapFormatError(0, 'not a scap file: it is empty');
    } catch (err) {
      if (err instanceof ScapFormatError) throw new CaptureError(file, err.offset, `${err.reason}${where ? ` (byte offsets count${where})` : ''}`);
      throw err;
    } finally {
      processor.finish();
      for (const s of enters.values()) if (s.code >= 0) stats.unmatchedEnters++;
      enters.clear();
      await blocks.close();
    }
  }

  return replay;
}

/**
 * The events of a scap file for `kestrel replay` and `kestrel run -e` (replay-readers.ts): its
 * counters are the ones Prometheus reports, and summary() describes what was read and skipped.
 */
export function replayScap(file: string): AsyncIterable<SyscallEvent> & { summary(): string } {
  const replay = readScap(file);
  exportScapMetrics(() => replay.stats);
  return { [Symbol.asyncIterator]: () => replay.events(), summary: () => `scap: ${replay.summary()}` };
}
