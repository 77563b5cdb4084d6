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

/** One event as Kestrel's replay of a capture shows it. */
export interface KestrelRow {
  type: string;
  tid: number;
  rawtime: string;
  procName: string;
  pid: number;
  fdName: string;
  /** param name -> [raw, resolved] as evt.arg renders them */
  params: Map<string, [string, string]>;
}

export async function kestrelRows(kcap: string): Promise<KestrelRow[]> {
  const rows: KestrelRow[] = [];
  for await (const e of readCapture(kcap).events()) {
    const params = new Map<string, [string, string]>();
    e.spec.params.forEach((p, i) => {
      const raw = paramRaw(e, i);
      if (raw !== undefined) params.set(p.name, [raw, paramResolved(e, i)]);
    });
    rows.push({
      type: e.spec.name,
      tid: e.tid,
      rawtime: e.timeNs().toString(),
      procName: e.proc?.comm ?? '',
      pid: e.proc?.pid ?? e.pid,
      fdName: e.fd?.name ?? '',
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
