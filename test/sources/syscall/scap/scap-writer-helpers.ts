// What the real readers make of a scap file Kestrel wrote, and what Kestrel's own replay of the
// capture it came from shows, side by side. The real reader is scap-dump.cc linked against
// Debian's libsinsp (built here with g++; as root scripts/system-packages.sh installs it, so a
// missing library or compiler fails the build instead of skipping) and `sysdig -r`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import { paramRaw, paramResolved } from '../../../../src/sources/syscall/fields/args.js';
import { isNumeric, PT } from '../../../../src/sources/syscall/record/layout.js';
import type { FlagCodec } from '../../../../src/sources/syscall/scap/flags.js';
import { PT as PpmPT } from '../../../../src/sources/syscall/scap/ppm-events.js';
import { ppmSize, writeLinkFor } from '../../../../src/sources/syscall/scap/writer-events.js';

const SOURCE = new URL('./scap-dump.cc', import.meta.url).pathname;
const INCLUDE = '/usr/include/falcosecurity-libs';

let built: string | undefined;

/** Compiles scap-dump.cc against libsinsp/libscap (once per test run). */
export function buildScapDump(): string {
  if (built) return built;
  const out = join(mkdtempSync(join(tmpdir(), 'kestrel-scapdump-')), 'scap-dump');
  const inc = ['userspace/libsinsp', 'userspace/libscap', 'driver', 'common', ''].map((d) => `-I${join(INCLUDE, d)}`);
  execFileSync('g++', ['-std=c++17', '-O1', '-o', out, SOURCE, ...inc, '-I/usr/include/jsoncpp', '-lsinsp', '-lscap'], { stdio: ['ignore', 'ignore', 'pipe'] });
  statSync(out);
  built = out;
  return out;
}

export interface SinspThread {
  tid: number;
  pid: number;
  ppid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string;
  cwd: string;
  uid: number;
  fds: number;
}

export interface SinspEvent {
  'evt.num': string;
  'evt.rawtime': string;
  'thread.tid': string;
  'evt.type': string;
  'evt.dir': string;
  'proc.name': string;
  'proc.pid': string;
  'fd.name': string;
  'evt.args': string;
  'container.id': string;
  'container.name': string;
  'container.image': string;
  /** [name, raw, resolved] as sinsp_evt::get_param_as_str renders them. */
  params: [string, string, string][];
}

/** libsinsp's view of a scap file: its thread table at open, and every event. */
export function sinspDump(file: string): { threads: SinspThread[]; events: SinspEvent[] } {
  const out = execFileSync(buildScapDump(), [file], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  const threads: SinspThread[] = [];
  const events: SinspEvent[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const v = JSON.parse(line) as { thread?: SinspThread; evt?: SinspEvent };
    if (v.thread) threads.push(v.thread);
    if (v.evt) events.push(v.evt);
  }
  return { threads, events };
}

/** One param of a Kestrel event: as evt.arg renders it, and its value. */
export interface KestrelParam {
  raw: string;
  resolved: string;
  /** Numeric params: the value. */
  num?: bigint;
  /** String-list params (argv, env, cgroups): the strings. */
  list?: string[];
  /** The PPM_* translation the scap writer applies (flags the drivers re-encode). */
  codec?: FlagCodec;
}

/** One event as Kestrel's replay of a capture shows it. */
export interface KestrelRow {
  /** Kestrel event type code and name. */
  code: number;
  type: string;
  /** The event name libscap 2022 gives the PPME event it is written as. */
  ppmName: string;
  tid: number;
  rawtime: string;
  procName: string;
  pid: number;
  /** undefined: the event has no fd (or none Kestrel's state knows). */
  fdName: string | undefined;
  /** The open/creat failed (libsinsp still names an fd with the path it tried). */
  failedOpen: boolean;
  /** Every name the thread and its process had in Kestrel's view so far (comm, thread comm, header). */
  names: string[];
  /** The names Kestrel saw for each tid and pid over the capture. */
  namesOf: ReadonlyMap<number, ReadonlySet<string>>;
  params: Map<string, KestrelParam>;
}

const OPENS = new Set(['open', 'openat', 'openat2', 'creat']);

export async function kestrelRows(kcap: string): Promise<KestrelRow[]> {
  const rows: KestrelRow[] = [];
  const namesOf = new Map<number, Set<string>>();
  const seen = (id: number, ...names: (string | undefined)[]) => {
    let set = namesOf.get(id);
    if (!set) namesOf.set(id, (set = new Set()));
    for (const n of names) if (n) set.add(n);
    return set;
  };
  for await (const e of readCapture(kcap).events()) {
    const names = [...seen(e.tid, e.comm(), e.thread?.comm, e.proc?.comm), ...seen(e.pid, e.proc?.comm)];
    const link = writeLinkFor(e.type);
    const params = new Map<string, KestrelParam>();
    e.spec.params.forEach((p, i) => {
      const raw = paramRaw(e, i);
      if (raw === undefined) return;
      const v: KestrelParam = { raw, resolved: paramResolved(e, i) };
      if (isNumeric(p.type)) v.num = e.big(i);
      if (p.type === PT.ARGV) v.list = e.argv(i);
      const codec = link?.params[i]?.codec;
      if (codec) v.codec = codec;
      params.set(p.name, v);
    });
    rows.push({
      code: e.type,
      type: e.spec.name,
      ppmName: link?.exit.name ?? '',
      tid: e.tid,
      rawtime: e.timeNs().toString(),
      procName: e.proc?.comm ?? '',
      pid: e.proc?.pid ?? e.pid,
      fdName: e.fd?.name,
      failedOpen: OPENS.has(e.spec.name) && e.ret < 0,
      names,
      namesOf,
      params,
    });
  }
  return rows;
}

/** `sysdig -r FILE -p FORMAT` lines (sysdig reads a capture file without any kernel driver). */
export function sysdigLines(file: string, format: string): string[] {
  const out = execFileSync('sysdig', ['-r', file, '-p', format], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  return out.split('\n').filter((l) => l.length > 0);
}

const CLONE_TYPES = new Set(['clone', 'clone3', 'fork', 'vfork']);

/**
 * The events of libsinsp's dump that stand for one Kestrel record each: exit events, and the
 * enter-only procexit. Left out: enter events (their params are in the record too) and the clone
 * exit in the child (res 0), which the writer adds because libsinsp creates the child from it.
 */
export function completionEvents(events: SinspEvent[]): SinspEvent[] {
  return events.filter((e) => {
    if (e['evt.dir'] === '>') return e['evt.type'] === 'procexit';
    return !(CLONE_TYPES.has(e['evt.type']) && e.params[0]?.[1] === '0');
  });
}

/** sinsp's text of a number in the param's print format (PF_HEX, PF_OCT, else decimal). */
function sinspNumber(text: string, type: PpmPT, format: number): bigint | undefined {
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  // flags print in decimal whatever their format says
  const flags = type === PpmPT.FLAGS8 || type === PpmPT.FLAGS16 || type === PpmPT.FLAGS32;
  const base = flags ? 10 : format === 2 ? 16 : format === 6 ? 8 : 10;
  const valid = base === 16 ? /^[0-9a-f]+$/i : base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!valid.test(digits)) return undefined;
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : '';
  const v = BigInt(prefix + digits);
  return neg ? -v : v;
}

/**
 * How libsinsp's rendering of one event differs from Kestrel's record of it, field by field (empty:
 * the same). Compared: evt.type (libscap's name for the event), thread.tid, evt.rawtime,
 * proc.name, proc.pid, fd.name, and every param both sides have: numbers by value in the PPM
 * param's width (flags after their PPM_* translation), strings exactly, string lists as sinsp
 * prints a NUL-separated buffer (each NUL a '.'), and the resolved text wherever sinsp has one.
 */
export function eventDiffs(r: KestrelRow, s: SinspEvent, explained?: Map<string, number>): string[] {
  const diffs: string[] = [];
  const same = (what: string, k: string | number, v: string) => {
    if (String(k) === v) return;
    const reason = explained && readerDifference(what, String(k), v, r);
    if (reason) explained.set(reason, (explained.get(reason) ?? 0) + 1);
    else diffs.push(`${what}: kestrel ${JSON.stringify(String(k))}, libsinsp ${JSON.stringify(v)}`);
  };
  same('evt.type', r.ppmName, s['evt.type']);
  same('thread.tid', r.tid, s['thread.tid']);
  same('evt.rawtime', r.rawtime, s['evt.rawtime']);
  same('proc.name', r.procName, s['proc.name']);
  same('proc.pid', r.pid, s['proc.pid']);
  // Kestrel and libsinsp differ on two fd names, both libsinsp state, not the file: a failed open
  // names its fd with the path it tried in libsinsp (none in Kestrel), and bind names the socket
  // with the bound address (unnamed in Kestrel until it connects or accepts)
  const sinspOnly = (r.failedOpen && r.fdName === undefined) || (BOUND.has(r.type) && r.fdName === '');
  if (!sinspOnly) same('fd.name', r.fdName ?? '', s['fd.name']);
  const link = writeLinkFor(r.code);
  for (const [name, raw, resolved] of s.params) {
    const k = r.params.get(name);
    const ppm = link?.exit.params.find((p) => p.name === name);
    if (!k || !ppm) continue; // a param the record does not carry: the writer wrote the drivers' empty value
    const bits = ppmSize(ppm.type) * 8;
    if (k.list) {
      const list = link!.fullArgv && name === 'args' ? k.list.slice(1) : k.list;
      same(`${name} (raw)`, list.map((x) => `${x}.`).join(''), raw);
    } else if (k.num !== undefined && bits > 0) {
      const want = k.codec ? BigInt(k.codec.toPpm(Number(BigInt.asUintN(32, k.num)))) : r.type === 'openat2' && name === 'resolve' ? -1n : k.num;
      const got = sinspNumber(raw, ppm.type, ppm.format);
      if (want === -1n) continue; // openat2 resolve: compared by its names below
      if (got === undefined || BigInt.asUintN(bits, got) !== BigInt.asUintN(bits, want)) diffs.push(`${name} (value): kestrel ${want}, libsinsp ${raw}`);
    } else same(`${name} (raw)`, k.raw, raw);
    // libsinsp writes a socket fd's L4 protocol after its type (<4t>); Kestrel's evt.arg does not
    if (resolved) same(`${name} (resolved)`, k.resolved, ppm.type === PpmPT.FD ? resolved.replace(/^<([46])[tuir]>/, '<$1>') : resolved);
  }
  return diffs;
}

const BOUND = new Set(['bind', 'listen']);

/**
 * Where libsinsp 2022 and Kestrel knowingly show the same event differently (their state and
 * rendering, not the file: the scenario tests, which have none of these, compare strictly).
 */
function readerDifference(what: string, k: string, v: string, r: KestrelRow): string | undefined {
  const pidParam = /^(res|tid|pid|ptid|vtid|vpid|pgid) \(resolved\)$/.exec(what);
  const pidNames = pidParam ? r.namesOf.get(Number(r.params.get(what.split(' ')[0]!)?.raw)) : undefined;
  if ((what === 'proc.name' && r.names.includes(v)) || pidNames?.has(v)) {
    return 'thread names: libsinsp shows a thread by its own comm and sees no prctl(PR_SET_NAME) rename (2022 has no prctl event); the name is one Kestrel had for it';
  }
  if (/^(<p>)?pipe:\[\d+\]$/.test(k) && (v === '' || v === '<p>')) return 'pipe fds: Kestrel names them pipe:[inode], libsinsp 2022 leaves them unnamed';
  // libsinsp adds the socket's path after the addresses (a space when it has none)
  if (k.replace(/0x/g, '').trimEnd() === v.trimEnd()) return 'unix socket addresses: Kestrel prints them with 0x';
  if (what === 'flags (resolved)' && r.type.startsWith('execve') && k.split('|').filter((f) => f !== 'EXE_LOWER_LAYER' && f !== 'EXE_FROM_MEMFD').join('|') === v) {
    return 'execve flags the 2022 table has no name for (EXE_LOWER_LAYER, EXE_FROM_MEMFD)';
  }
  if (what === 'fd.name' && k === '' && /^[0-9a-f]+->[0-9a-f]+ /.test(v)) return 'unix sockets Kestrel had no entry for: libsinsp names them from the tuple';
  if (/^(<u>)?0x[0-9a-f]+->0x[0-9a-f]+$/.test(k) && (v === '' || v === '<u>')) return 'socketpair fds: Kestrel names them by their socket addresses, libsinsp 2022 leaves them unnamed';
  if (k === '' && /^family \d+$/.test(v)) return 'socket addresses of other families (netlink...): libsinsp prints "family N", Kestrel nothing';
  return undefined;
}

/** The records a scap file holds: those of an event type libscap 2022 has (the others are counted). */
export function writtenRows(rows: KestrelRow[]): KestrelRow[] {
  return rows.filter((r) => r.ppmName !== '');
}

/** Every difference between Kestrel's events and libsinsp's, event by event ("#N type: ..."). */
export function streamDiffs(all: KestrelRow[], sinsp: SinspEvent[], explained?: Map<string, number>): string[] {
  const rows = writtenRows(all);
  const done = completionEvents(sinsp);
  const out: string[] = [];
  if (done.length !== rows.length) out.push(`event count: kestrel ${rows.length}, libsinsp ${done.length}`);
  for (let i = 0; i < Math.min(rows.length, done.length); i++) {
    for (const d of eventDiffs(rows[i]!, done[i]!, explained)) out.push(`#${i + 1} ${rows[i]!.type}: ${d}`);
  }
  return out;
}
