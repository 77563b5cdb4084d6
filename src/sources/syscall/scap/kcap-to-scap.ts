// Converts a Kestrel capture (.kcap, docs/capture-format.md) to a libscap savefile that sysdig,
// Falco and anything linked against libsinsp read (`kestrel convert`, `kestrel capture --format
// scap`). The capture's starting state becomes the metadata blocks (writer-state.ts); each record,
// replayed through Kestrel's own state so the events are the ones `kestrel replay` evaluates,
// becomes its enter and exit events (writer-events.ts); a container's metadata becomes a
// `container` event (CONTAINER_JSON_E, as libsinsp's own dumper writes) where it entered the
// capture. What scap cannot hold is counted by reason in the summary, never dropped silently.
import { open } from 'node:fs/promises';
import { readCapture } from '../capture/reader.js';
import { CAPTURE_MAGIC, CHUNK_HEADER_SIZE, ChunkType, FILE_HEADER_SIZE, MAX_CHUNK, padding, type CaptureInfo } from '../capture/format.js';
import { processToJson, type StateSnapshot } from '../state/snapshot.js';
import { KT } from '../record/event-table.js';
import type { ProcessInfo } from '../state/process.js';
import type { ContainerInfo } from '../state/containers.js';
import { containerJsonEvent } from './writer-container.js';
import { ScapEventEncoder } from './writer-events.js';
import { scapFd, scapThreads, scapUsers } from './writer-state.js';
import { removePartialOutput, ScapFileWriter, type ScapFdEntry, type ScapThreadEntry, type ScapInterfaceEntry, type ScapMachineInfo } from './writer.js';

export interface ToScapOptions {
  /** Machine facts a capture does not record (a live capture knows them); zero otherwise. */
  machine?: Partial<Omit<ScapMachineInfo, 'hostname'>>;
  /** The host's interface addresses (a live capture knows them); none otherwise (counted). */
  interfaces?: ScapInterfaceEntry[];
  /** gzip the output (default: when the path ends in .gz). */
  gzip?: boolean;
}

export interface ToScapSummary {
  records: number;
  /** Event blocks written (enter + exit events, container events). */
  events: number;
  threads: number;
  /** Of those, threads first seen in a record (no entry in the capture's starting state). */
  lateThreads: number;
  fds: number;
  users: number;
  containers: number;
  bytes: number;
  durationMs: number;
  /** What the scap file does not hold, by reason, with counts. */
  lost: Record<string, number>;
}

const CLONES = new Set<number>([KT.CLONE, KT.CLONE3, KT.FORK, KT.VFORK]);
const EXECS = new Set<number>([KT.EXECVE, KT.EXECVEAT]);

/** The INFO and STATE chunks at the start of a capture (checked in full by the replay after). */
async function readCaptureHead(file: string): Promise<{ info: CaptureInfo | undefined; state: StateSnapshot | undefined }> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(FILE_HEADER_SIZE);
    await fh.read(head, 0, FILE_HEADER_SIZE, 0);
    if (!head.subarray(0, 8).equals(CAPTURE_MAGIC)) return { info: undefined, state: undefined };
    let pos = FILE_HEADER_SIZE;
    let info: CaptureInfo | undefined;
    const ch = Buffer.alloc(CHUNK_HEADER_SIZE);
    for (;;) {
      const { bytesRead } = await fh.read(ch, 0, CHUNK_HEADER_SIZE, pos);
      if (bytesRead < CHUNK_HEADER_SIZE) return { info, state: undefined };
      const type = ch.readUInt32LE(0);
      const len = ch.readUInt32LE(4);
      if (type === ChunkType.RECORDS || type === ChunkType.END || len > MAX_CHUNK) return { info, state: undefined };
      if (type === ChunkType.INFO || type === ChunkType.STATE) {
        const payload = Buffer.alloc(len);
        await fh.read(payload, 0, len, pos + CHUNK_HEADER_SIZE);
        try {
          const value: unknown = JSON.parse(payload.toString('utf8'));
          if (type === ChunkType.STATE) return { info, state: value as StateSnapshot };
          info = value as CaptureInfo;
        } catch {
          return { info, state: undefined }; // the replay reports the damage where it is
        }
      }
      pos += CHUNK_HEADER_SIZE + len + padding(len);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Threads whose first record comes with no process-list entry and no clone record before it
 * (started while the collector was attaching, or a capture cut from a longer one): Kestrel knew
 * them from the record header (pid, ppid, comm, uid...), so they join the process list as Kestrel
 * had them at that record, without fds (Kestrel had none for them either). A first pass over the
 * capture finds them: the process list is written before any event.
 */
async function threadsFirstSeenInRecords(input: string, listed: ReadonlySet<number>): Promise<ScapThreadEntry[]> {
  const known = new Set(listed);
  const out: ScapThreadEntry[] = [];
  for await (const e of readCapture(input).events()) {
    if (!known.has(e.tid) && e.thread && e.proc) {
      known.add(e.tid);
      const [entry] = scapThreads({ ...processToJson(e.proc, [e.thread]), fds: [] });
      if (entry) out.push(entry);
    }
    if (CLONES.has(e.type) && e.ret > 0) known.add(e.ret);
  }
  return out;
}

/** Writes `output` (scap) from the Kestrel capture `input`. On failure the partial output is removed. */
export async function kcapToScap(input: string, output: string, opts: ToScapOptions = {}): Promise<ToScapSummary> {
  const t0 = process.hrtime.bigint();
  const lost: Record<string, number> = {};
  const lose = (reason: string, n = 1) => {
    lost[reason] = (lost[reason] ?? 0) + n;
  };
  const { info, state } = await readCaptureHead(input);
  const replay = readCapture(input);
  const w = new ScapFileWriter(output, opts.gzip === undefined ? {} : { gzip: opts.gzip });
  const summary: ToScapSummary = { records: 0, events: 0, threads: 0, lateThreads: 0, fds: 0, users: 0, containers: 0, bytes: 0, durationMs: 0, lost };
  try {
    w.machineInfo({ numCpus: 0, memoryBytes: 0n, maxPid: 0n, ...opts.machine, hostname: info?.hostname ?? '' });
    if (!opts.interfaces) lose('interface list (a Kestrel capture does not record the host interfaces)');
    w.interfaces(opts.interfaces ?? []);
    const snapshot: StateSnapshot = state ?? { processes: [], containers: [], users: [], cgroups: [] };
    if (!state) lose('starting state (the capture has no STATE chunk)');
    const { users, groups } = scapUsers(snapshot, lose);
    if (users.length) lose('user primary group ids (Kestrel keeps name, home and shell)', users.length);
    w.users(users, groups);
    summary.users = users.length;
    const known = new Set<number>();
    const threads = snapshot.processes.flatMap((p) => scapThreads(p));
    for (const t of threads) known.add(t.tid);
    const late = await threadsFirstSeenInRecords(input, known);
    threads.push(...late);
    summary.lateThreads = late.length;
    w.processes(threads);
    summary.threads = threads.length;
    for (const p of snapshot.processes) {
      const fds = p.fds.map((f) => scapFd(f, lose)).filter((f): f is ScapFdEntry => f !== undefined);
      w.fds(p.pid, fds);
      summary.fds += fds.length;
    }
    if (snapshot.cgroups.length) lose('cgroup id -> path table entries (scap processes carry their cgroup paths instead)', snapshot.cgroups.length);

    // a container enters the stream before the first record of its processes, and again when
    // the capture learned more of it (a CONTAINER chunk replaces the entry)
    const written = new Map<string, ContainerInfo>();
    const writeContainer = (c: ContainerInfo, cpu: number, ts: bigint) => {
      written.set(c.id, c);
      writeEvent(cpu, containerJsonEvent(c, ts));
      summary.containers++;
    };
    const encoder = new ScapEventEncoder(lose);
    let lastTs = 0n;
    const writeEvent = (cpu: number, evt: Uint8Array) => {
      if (w.event(cpu, 0, evt)) return;
      lose('events larger than libscap reads (64 KiB)');
    };
    for await (const e of replay.events()) {
      summary.records++;
      const ts = e.timeNs();
      lastTs = ts;
      if (summary.records === 1) for (const c of replay.ctx.containers.all()) writeContainer(c, e.cpu, ts);
      const cid = e.proc?.containerId;
      if (cid) {
        const c = replay.ctx.containers.get(cid);
        if (c && written.get(cid) !== c) writeContainer(c, e.cpu, ts);
      }
      const link = encoder.linkFor(e);
      if (!link) continue;
      let fill: ProcessInfo | undefined;
      if (CLONES.has(e.type) && e.ret > 0) {
        fill = replay.ctx.threads.threads.get(e.ret)?.proc;
      } else if (EXECS.has(e.type) && e.ret === 0) fill = e.proc;
      const { enter, exit } = encoder.encode(e, link, ts, fill);
      if (enter) writeEvent(e.cpu, enter);
      writeEvent(e.cpu, exit);
      if (CLONES.has(e.type) && e.ret > 0) writeEvent(e.cpu, encoder.childClone(e, link, ts, fill));
    }
    for (const c of replay.ctx.containers.all()) if (written.get(c.id) !== c) writeContainer(c, 0, lastTs);
    if (w.truncatedFields) lose('fields cut to libscap size limits', w.truncatedFields);
    w.close();
  } catch (err) {
    w.abort();
    removePartialOutput(output);
    throw err;
  }
  summary.events = w.events;
  summary.bytes = w.bytes;
  summary.durationMs = Number((process.hrtime.bigint() - t0) / 1_000_000n);
  return summary;
}
