// Which Kestrel record each libscap event becomes, and where each Kestrel param comes from (and
// goes to): the PPME <-> Kestrel mapping shared by the scap reader and the scap writer.
//
// Kestrel records are exit events with the enter event's params appended, named as Falco names
// them (native/events.h), which is what current libsinsp makes of a scap enter/exit pair: its
// savefile converter (userspace/libscap/engine/savefile/converter in falcosecurity/libs) turns
// old event versions into the newest exit event, filling params the exit lacks from the stored
// enter event of the same thread. Here the link is made by Falco event name and param name, so
// every version of an event (OPENAT_X, OPENAT_2_X, ...) maps to the one Kestrel event type; a
// param is looked up in the exit event first, then in the enter event.
//
// Stable API (the scap writer, branch w12-scapwrite, builds on it):
//   linkOfPpm(code)      the link of a PPME exit code (or of an enter-only event such as procexit)
//   linkOfKestrel(type)  the link the writer uses for a Kestrel event type: its newest PPME version
//                        in the generated table (libscap 2022)
//   EventLink.params[i]  per Kestrel param i: the PPM param index in the exit / enter event, the
//                        types on both sides and the flag codec (PPM_* <-> kernel values)
//   EventLink.exitFrom / enterFrom   per PPM param: the Kestrel param index it is written from
//   EventLink.fullArgv   Kestrel `args` holds argv[0..] where PPM has `exe` = argv[0] and
//                        `args` = argv[1..] (exec and clone events)
//   EventLink.tupleSwapped  the drivers write this event's socket tuple peer first (recvfrom,
//                        recvmsg: inbound), Kestrel local end first: swap the two ends
import { EVENTS, KT, type EventSpec } from '../record/event-table.js';
import { PT as KPT } from '../record/layout.js';
import { flagCodec, type FlagCodec } from './flags.js';
import { EF, LATEST_PPM_EVENTS, PPM_EVENTS, PT, ppmEventOf, type PpmEvent } from './ppm-events.js';

export interface ParamLink {
  /** Index of the param in the PPM exit event, or -1. */
  readonly exit: number;
  /** Index of the param in the PPM enter event, or -1. */
  readonly enter: number;
  /** PPM type of the param where it is found (exit side first). */
  readonly ppmType: PT;
  readonly kestrelType: KPT;
  /** PPM_* <-> kernel value translation (flags and enums the drivers re-encode). */
  readonly codec: FlagCodec | undefined;
}

export interface EventLink {
  readonly kestrel: EventSpec;
  /** The PPM event that completes the syscall: its exit event (or the enter-only event itself). */
  readonly exit: PpmEvent;
  /** The enter event merged into it (undefined for enter-only events). */
  readonly enter: PpmEvent | undefined;
  /** Per Kestrel param (by index): where its value is in the scap pair; undefined: not carried by scap. */
  readonly params: readonly (ParamLink | undefined)[];
  /** Per PPM exit / enter param: the Kestrel param index that holds its value, or -1. */
  readonly exitFrom: readonly number[];
  readonly enterFrom: readonly number[];
  /** Index of the Kestrel param that is the syscall result (the record header's `ret`), or -1. */
  readonly retParam: number;
  /** Kestrel `args` = PPM exe (argv[0]) + PPM args (argv[1..]), NUL-separated. */
  readonly fullArgv: boolean;
  /** The PPM `tuple` has the peer first (inbound calls), Kestrel's the local end first. */
  readonly tupleSwapped: boolean;
}

/** Events whose Falco name differs between old libscap and Kestrel (current Falco) names. */
const KESTREL_TYPE_BY_SYMBOL: Readonly<Record<string, number>> = {
  SOCKET_ACCEPT4_X: KT.ACCEPT4,
  SOCKET_ACCEPT4_5_X: KT.ACCEPT4,
  // procexit has no exit event: the enter event is the whole of it
  PROCEXIT_E: KT.PROCEXIT,
  PROCEXIT_1_E: KT.PROCEXIT,
};

/** Kestrel param name -> the PPM param name it has in older libscap events (the Kestrel name is tried first). */
const PARAM_ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  dup: { oldfd: 'fd' },
};

const FULL_ARGV = new Set<number>([KT.CLONE, KT.CLONE3, KT.FORK, KT.VFORK, KT.EXECVE, KT.EXECVEAT]);
// the drivers' fd_to_socktuple(..., is_inbound = true) for receive calls; accept is inbound on
// both sides (peer first), connect and send calls outbound on both (local first)
const INBOUND_TUPLE = new Set<number>([KT.RECVFROM, KT.RECVMSG]);

/** PPM types whose values can be decoded into Kestrel params (PT_DYN, PT_FDLIST... cannot). */
function carried(t: PT): boolean {
  return t !== PT.DYN && t !== PT.FDLIST && t !== PT.NONE && t !== PT.CHARBUFARRAY && t !== PT.CHARBUF_PAIR_ARRAY && t !== PT.DOUBLE;
}

const KESTREL_BY_NAME = new Map<string, EventSpec>();
for (const e of EVENTS) if (!KESTREL_BY_NAME.has(e.name) && e.code !== KT.NONE && e.code !== KT.SWITCH) KESTREL_BY_NAME.set(e.name, e);

function kestrelFor(ppm: PpmEvent): EventSpec | undefined {
  const bySymbol = KESTREL_TYPE_BY_SYMBOL[ppm.symbol];
  if (bySymbol !== undefined) return EVENTS[bySymbol];
  if (ppm.direction !== 'exit') return undefined;
  return KESTREL_BY_NAME.get(ppm.name);
}

function build(exit: PpmEvent, kestrel: EventSpec): EventLink {
  const enterCandidate = exit.direction === 'exit' ? ppmEventOf(exit.code - 1) : undefined;
  const enter = enterCandidate && enterCandidate.name === exit.name ? enterCandidate : undefined;
  const aliases = PARAM_ALIASES[kestrel.name] ?? {};
  const find = (ev: PpmEvent | undefined, name: string): number => {
    if (!ev) return -1;
    const i = ev.params.findIndex((p) => p.name === name);
    return i >= 0 && carried(ev.params[i]!.type) ? i : -1;
  };
  const exitFrom = exit.params.map(() => -1);
  const enterFrom = (enter?.params ?? []).map(() => -1);
  const params = kestrel.params.map((kp, ki): ParamLink | undefined => {
    const alias = aliases[kp.name];
    const lookup = (ev: PpmEvent | undefined): number => {
      const i = find(ev, kp.name);
      return i >= 0 || !alias ? i : find(ev, alias);
    };
    const x = lookup(exit);
    const n = lookup(enter);
    if (x < 0 && n < 0) return undefined;
    if (x >= 0) exitFrom[x] = ki;
    if (n >= 0) enterFrom[n] = ki;
    const ppmType = x >= 0 ? exit.params[x]!.type : enter!.params[n]!.type;
    return { exit: x, enter: n, ppmType, kestrelType: kp.type, codec: flagCodec(kestrel.name, kp.name) };
  });
  const first = kestrel.params[0];
  let retParam = first && (first.name === 'res' || first.name === 'fd') && params[0]?.exit === 0 ? 0 : -1;
  if (kestrel.code === KT.PROCEXIT) retParam = kestrel.param('status');
  return { kestrel, exit, enter, params, exitFrom, enterFrom, retParam, fullArgv: FULL_ARGV.has(kestrel.code), tupleSwapped: INBOUND_TUPLE.has(kestrel.code) };
}

/** Links of every known code as the latest libs write it (appended params included): the reader's. */
const BY_PPM = new Map<number, EventLink>();
for (const e of LATEST_PPM_EVENTS) {
  const k = kestrelFor(e);
  if (k) BY_PPM.set(e.code, build(e, k));
}

/**
 * The writer's: per Kestrel type, the newest version in the generated table (libscap 2022) with
 * its params as that table has them, so that its sysdig reads what the writer writes. Codes grow
 * with versions; OLD_VERSION events are never written.
 */
const BY_KESTREL: (EventLink | undefined)[] = EVENTS.map(() => undefined);
for (const e of PPM_EVENTS) {
  const k = kestrelFor(e);
  if (k && !(e.flags & EF.OLD_VERSION)) BY_KESTREL[k.code] = build(e, k);
}

/** The link of a PPME code: an exit event (or enter-only event) Kestrel has a type for; else undefined. */
export function linkOfPpm(code: number): EventLink | undefined {
  return BY_PPM.get(code);
}

/**
 * The link for writing a Kestrel event type as scap: its newest PPME version in the generated
 * table (libscap 2022, which the installed sysdig reads), or undefined (capset, dup2, ... exist
 * only in later libs: ppm-events-later.ts, read but not written).
 */
export function linkOfKestrel(type: number): EventLink | undefined {
  return BY_KESTREL[type];
}

/** Whether a PPME code is an enter event whose exit event carries the syscall (merged, not mapped alone). */
export function isMergedEnter(code: number): boolean {
  const e = ppmEventOf(code);
  if (!e || e.direction !== 'enter' || BY_PPM.has(code)) return false;
  const x = ppmEventOf(code + 1);
  return x !== undefined && x.name === e.name && BY_PPM.has(code + 1);
}
