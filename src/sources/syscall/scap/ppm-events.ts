// libscap's event table, typed: the PPME_* codes with their names, directions and parameter
// descriptions, as the drivers wrote them into .scap files (driver/event_table.c and
// driver/ppm_events_public.h in falcosecurity/libs). The rows are generated from Debian's libscap
// (ppm-event-table.generated.ts); of the codes libs added later, those Kestrel has record types
// for are in ppm-events-later.ts (ppmEventOf finds both), the others are counted and skipped by
// the reader.
import { PPM_EVENT_ROWS, type PpmEventRow } from './ppm-event-table.generated.js';
import { LATER_APPENDED_PARAMS, LATER_PPM_EVENT_ROWS } from './ppm-events-later.js';

/** Parameter types (enum ppm_param_type). */
export enum PT {
  NONE = 0, INT8 = 1, INT16 = 2, INT32 = 3, INT64 = 4, UINT8 = 5, UINT16 = 6, UINT32 = 7, UINT64 = 8,
  CHARBUF = 9, BYTEBUF = 10, ERRNO = 11, SOCKADDR = 12, SOCKTUPLE = 13, FD = 14, PID = 15, FDLIST = 16,
  FSPATH = 17, SYSCALLID = 18, SIGTYPE = 19, RELTIME = 20, ABSTIME = 21, PORT = 22, L4PROTO = 23,
  SOCKFAMILY = 24, BOOL = 25, IPV4ADDR = 26, DYN = 27, FLAGS8 = 28, FLAGS16 = 29, FLAGS32 = 30, UID = 31,
  GID = 32, DOUBLE = 33, SIGSET = 34, CHARBUFARRAY = 35, CHARBUF_PAIR_ARRAY = 36, IPV4NET = 37,
  IPV6ADDR = 38, IPV6NET = 39, IPADDR = 40, IPNET = 41, MODE = 42, FSRELPATH = 43,
  // later libs (ppm-events-later.ts)
  ENUMFLAGS8 = 44, ENUMFLAGS16 = 45, ENUMFLAGS32 = 46,
}

/** Event flags (enum ppm_event_flags). */
export enum EF {
  CREATES_FD = 1 << 0, DESTROYS_FD = 1 << 1, USES_FD = 1 << 2, READS_FROM_FD = 1 << 3,
  WRITES_TO_FD = 1 << 4, MODIFIES_STATE = 1 << 5, UNUSED = 1 << 6, WAITS = 1 << 7,
  SKIPPARSERESET = 1 << 8, OLD_VERSION = 1 << 9, DROP_SIMPLE_CONS = 1 << 10, LARGE_PAYLOAD = 1 << 11,
}

export interface PpmParam {
  readonly name: string;
  readonly type: PT;
  /** Print format (enum ppm_print_format: PF_DEC, PF_HEX, PF_OCT, ...). */
  readonly format: number;
  /** For FSRELPATH: the index of the dirfd param the path is relative to. */
  readonly dirfdParam?: number;
}

export interface PpmEvent {
  readonly code: number;
  /** The enum symbol without its PPME_ prefix, e.g. SYSCALL_OPENAT_2_X. */
  readonly symbol: string;
  /** Falco's event name (evt.type), e.g. openat. */
  readonly name: string;
  /** Enter events have even codes, exit events odd ones. */
  readonly direction: 'enter' | 'exit';
  readonly category: number;
  readonly flags: number;
  readonly params: readonly PpmParam[];
}

function fromRow([symbol, name, category, flags, params]: PpmEventRow, code: number): PpmEvent {
  return {
    code,
    symbol,
    name,
    direction: code % 2 === 0 ? 'enter' : 'exit',
    category,
    flags,
    params: params.map(([pname, type, format, dirfdParam]) =>
      dirfdParam === undefined ? { name: pname, type, format } : { name: pname, type, format, dirfdParam }),
  };
}

/** The events of the generated table (libscap 2022), by code. */
export const PPM_EVENTS: readonly PpmEvent[] = PPM_EVENT_ROWS.map(fromRow);

const LATER = new Map([...LATER_PPM_EVENT_ROWS].map(([code, row]) => [code, fromRow(row, code)]));

/**
 * The event of a code: from the generated table, or one of the later libs' events Kestrel maps
 * (ppm-events-later.ts); undefined for a code neither knows.
 */
export function ppmEventOf(code: number): PpmEvent | undefined {
  return PPM_EVENTS[code] ?? LATER.get(code);
}

/** Every known code, generated table first. */
export const KNOWN_PPM_EVENTS: readonly PpmEvent[] = [...PPM_EVENTS, ...LATER.values()];

/**
 * Every known code as the latest libs write it: the generated table's events with the params
 * later libs appended (ppm-events-later.ts), and the later events. What the reader decodes.
 */
export const LATEST_PPM_EVENTS: readonly PpmEvent[] = KNOWN_PPM_EVENTS.map((e) => {
  const more = LATER_APPENDED_PARAMS.get(e.code);
  return more ? { ...e, params: [...e.params, ...more.map(([name, type, format]) => ({ name, type, format }))] } : e;
});

/** One past the highest code of the generated table (PPM_EVENT_MAX of the generating libscap, which the installed sysdig reads). */
export const PPM_EVENT_MAX = PPM_EVENTS.length;

const BY_SYMBOL = new Map(KNOWN_PPM_EVENTS.map((e) => [e.symbol, e]));

/** The event with this PPME_ symbol (without the prefix); throws on a name not in the table. */
export function ppmEvent(symbol: string): PpmEvent {
  const event = BY_SYMBOL.get(symbol);
  if (!event) throw new Error(`unknown PPME symbol ${symbol}`);
  return event;
}
