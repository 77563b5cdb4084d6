// The event table of native/events.h: code -> Falco event name and parameter list
// (Falco's exit-event parameter names, enter-event ones appended, as modern Falco does) and fd
// semantics. The data comes from src/generated/event-table.ts, which scripts/gen-event-table.mjs
// generates from the header at build time (the header is the one source of truth); this module
// turns it into the lookup structures the decoder and field extractors use.
import { EVENT_ROWS, KT, type EventRow } from '../../../generated/event-table.js';
import { PT, PT_NAMES } from './layout.js';

export interface ParamSpec {
  readonly name: string;
  readonly type: PT;
  /** The type name as written in events.h (for the layout test and documentation). */
  readonly typeName: string;
}

/** A small number per param name across all events (see paramId), for fast per-event lookups. */
const PARAM_IDS = new Map<string, number>();

/** The id of a param name: bind it once, then `spec.index[id]` is the param's index (-1: none). */
export function paramId(name: string): number {
  const id = PARAM_IDS.get(name);
  if (id === undefined) throw new Error(`no event has a param named ${name}`);
  return id;
}

export interface EventSpec {
  readonly code: number;
  /** The C enum suffix: KT_<id>. */
  readonly id: string;
  /** Falco's event name (evt.type). */
  readonly name: string;
  readonly params: readonly ParamSpec[];
  /** Param index by name; -1 when absent. */
  param(name: string): number;
  /** Param index by paramId(name); -1 when absent. */
  readonly index: Int8Array;
  /** Index of the param naming the fd the event works on (Falco's EF_USES_FD), or -1. */
  readonly fdParam: number;
  /** The return value is a new fd (Falco's EF_CREATES_FD). */
  readonly createsFd: boolean;
}

export type EventId = keyof typeof KT;

function build(row: EventRow): EventSpec {
  const [id, code, name, rowParams, fdParam, createsFd] = row;
  const params = rowParams.map(([pname, typeName, typeCode]): ParamSpec => {
    const type = PT_NAMES[typeName];
    if (type !== typeCode) throw new Error(`param ${id}.${pname}: events.h type ${typeName} = ${typeCode}, PT.${typeName} = ${type}`);
    return { name: pname, type, typeName };
  });
  const index = new Map(params.map((p, i) => [p.name, i]));
  return {
    code,
    id,
    name,
    params,
    param: (n) => index.get(n) ?? -1,
    index: new Int8Array(0),
    fdParam,
    createsFd,
  };
}

/** Event specs indexed by code (dense: codes are 0..N-1). */
export const EVENTS: readonly EventSpec[] = EVENT_ROWS.map(build);
EVENTS.forEach((e, i) => {
  if (e.code !== i) throw new Error(`event table not dense at ${e.id}`);
});
for (const e of EVENTS) for (const p of e.params) if (!PARAM_IDS.has(p.name)) PARAM_IDS.set(p.name, PARAM_IDS.size);
for (const e of EVENTS) {
  const index = new Int8Array(PARAM_IDS.size).fill(-1);
  e.params.forEach((p, i) => (index[PARAM_IDS.get(p.name)!] = i));
  (e as { index: Int8Array }).index = index;
}

/** Falco event name per code: the `eventTypes` of the syscall source. */
export const EVENT_NAMES: readonly string[] = EVENTS.map((e) => e.name);

/** Codes by C id, e.g. KT.OPENAT (a literal, so engines treat the codes as constants). */
export { KT };
for (const e of EVENTS) {
  if ((KT as Record<string, number>)[e.id] !== e.code) throw new Error(`KT.${e.id} is not ${e.code}`);
}

export const KT_COUNT = EVENTS.length;

/** A lookup table by type code: mask[type] === 1 for the codes given. */
export function typeMask(...codes: number[]): Uint8Array {
  const m = new Uint8Array(KT_COUNT);
  for (const c of codes) m[c] = 1;
  return m;
}

export function eventById(id: string): EventSpec {
  const code = (KT as Record<string, number>)[id];
  if (code === undefined) throw new Error(`unknown event ${id}`);
  return EVENTS[code]!;
}

/** First code whose Falco name is `name` (several codes may share a name). */
export function codesByName(name: string): number[] {
  return EVENTS.filter((e) => e.name === name).map((e) => e.code);
}
