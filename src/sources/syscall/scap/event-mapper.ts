// The per-event half of the scap reader: an event (decoded in place) becomes a Kestrel record, as
// libsinsp's parser handles the pair (sinsp_parser in falcosecurity/libs): an enter event is kept
// per thread until its exit arrives and the two are merged; the header's process fields come from
// the thread table; clone/fork, exec and set*id events get the handling their state changes need.
// Events without a Kestrel type are counted by name, never fatal.
import { KT } from '../record/event-table.js';
import type { SyscallContext } from '../state/context.js';
import { PPME_CONTAINER_JSON_2_E, PPME_CONTAINER_JSON_E, applyContainerJson } from './container-event.js';
import { ParamSet, copyParams, type ScapEvent } from './events.js';
import { isMergedEnter, linkOfPpm, type EventLink } from './mapping.js';
import { ppmEventOf } from './ppm-events.js';
import { Override, type RecordBuilder, type RecordHeader } from './record.js';
import type { ScapStats } from './stats.js';

const PPME_DROP_E = 148;
const PPM_CL_CLONE_THREAD = 1 << 13;
const CLONES = new Set<number>([KT.CLONE, KT.CLONE3, KT.FORK, KT.VFORK]);

class EnterSlot extends ParamSet {
  code = -1;
}

export interface EventMapper {
  /** Builds the Kestrel record of the decoded event into the builder; returns its length, 0 when it makes none. */
  toRecord(): number;
  /** Counts the enter events still waiting for their exit (at the end of the file). */
  finish(): void;
}

export function eventMapper(ctx: SyscallContext, stats: ScapStats, builder: RecordBuilder, ev: ScapEvent): EventMapper {
  const enters = new Map<number, EnterSlot>();
  const header: RecordHeader = { tid: 0, pid: 0, ppid: 0, vtid: 0, vpid: 0, uid: 0, gid: 0, loginuid: 0, comm: '', cpu: 0 };

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
        return src.buf.readUInt32LE(o) + src.buf.readInt32LE(o + 4) * 0x100000000;
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

  /** A container metadata event: its JSON (the first param) into the container table. */
  const containerEvent = (): void => {
    let l = ev.n > 0 ? ev.len[0]! : 0;
    const o = ev.off[0]!;
    while (l > 0 && ev.buf[o + l - 1] === 0) l--;
    const result = l > 0 ? applyContainerJson(ctx.containers, ev.buf.toString('utf8', o, o + l)) : 'no JSON';
    if (result === 'applied') stats.containerEvents++;
    else stats.containerEventsSkipped++;
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
      if (code === PPME_CONTAINER_JSON_E || code === PPME_CONTAINER_JSON_2_E) {
        containerEvent();
        return 0;
      }
      stats.noKestrelEvent++;
      const name = ppmEventOf(code)!.name;
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

  return {
    toRecord,
    finish() {
      for (const s of enters.values()) if (s.code >= 0) stats.unmatchedEnters++;
      enters.clear();
    },
  };
}
