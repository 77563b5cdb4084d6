// `kestrel capture`: records from a live record source into a capture file, with the state the
// records need to be evaluated later exactly as they would have been live.
import { arch, release } from 'node:os';
import { agentHostname } from '../../../engine/hostname.js';
import type { SyscallContext } from '../state/context.js';
import { EVENT_NAMES } from '../record/event-table.js';
import { HDR_SIZE } from '../record/layout.js';
import { newLiveContext } from '../state/live-context.js';
import { SyscallProcessor } from '../batch-processor.js';
import { ProcFs } from '../state/procfs.js';
import { takeSnapshot } from '../state/snapshot.js';
import type { RuntimeOptions } from '../state/runtimes.js';
import { CaptureWriter } from './writer.js';

/** What `kestrel capture` needs of a live source; the eBPF collector (SyscallCollector) is one. */
export interface LiveRecordSource {
  /** CLOCK_REALTIME - CLOCK_BOOTTIME, ns. */
  bootEpochNs(): bigint;
  /** Starts delivering batches of whole records (native/events.h layout), on the JS thread. */
  start(onBatch: (batch: Buffer, count: number) => void): void;
  /** Stops; resolves once every record read so far was delivered. */
  stop(): Promise<void>;
  /** Kernel-side counters, stored in the capture's end chunk. */
  counters?(): object;
}

export interface CaptureOptions {
  source: LiveRecordSource;
  output: string;
  /** Stop after this long (ms); otherwise when `signal` aborts. */
  durationMs?: number;
  signal?: AbortSignal;
  procRoot?: string;
  runtimes?: RuntimeOptions;
  /** Kestrel's version, for the info chunk. */
  version?: string;
}

export interface CaptureSummary {
  records: number;
  batches: number;
  bytes: number;
  processes: number;
  durationMs: number;
  /** Records the capture's own decoding rejected (never expected; counted, not hidden). */
  badBatches: number;
  counters?: object;
}

export async function captureLive(opts: CaptureOptions): Promise<CaptureSummary> {
  const { source } = opts;
  const bootEpochNs = source.bootEpochNs();
  const ctx: SyscallContext = newLiveContext({ bootEpochNs, ...(opts.procRoot ? { procRoot: opts.procRoot } : {}), ...(opts.runtimes ? { runtimes: opts.runtimes } : {}) });
  const procfs = new ProcFs({ ...(opts.procRoot ? { root: opts.procRoot } : {}), bootEpochNs });
  const writer = new CaptureWriter(opts.output, {
    kestrelVersion: opts.version ?? '0.0.0',
    createdAt: new Date().toISOString(),
    hostname: ctx.hostname || agentHostname(),
    bootEpochNs: bootEpochNs.toString(),
    kernel: release(),
    arch: arch(),
    recordHeaderSize: HDR_SIZE,
    eventTypes: [...EVENT_NAMES],
  });

  // State updates found while a batch is processed are written before that batch's records;
  // updates arriving between batches (runtime answers) are written where they arrive.
  let inBatch = false;
  const queued: (() => void)[] = [];
  const later = (f: () => void) => (inBatch ? queued.push(f) : f());
  const processor = new SyscallProcessor(ctx, { procfs, onCgroup: (id, entries) => later(() => writer.cgroup(id, entries)) });
  ctx.containers.onUpdate = (c) => later(() => writer.container({ ...c }));
  ctx.users.onLoad = (key, t) => later(() => writer.users(key, t));

  const usersSeen = new Set<string>(['']);
  const onEvent = (e: { proc?: { containerId: string; pid: number } }) => {
    const id = e.proc?.containerId;
    if (id && !usersSeen.has(id)) {
      usersSeen.add(id);
      ctx.users.get(id, e.proc!.pid);
    }
  };
  let badBatches = 0;
  const onBatch = (batch: Buffer, count: number) => {
    inBatch = true;
    try {
      processor.process(batch, onEvent);
    } catch {
      badBatches++;
    } finally {
      inBatch = false;
      for (const f of queued.splice(0)) f();
    }
    writer.recordBatch(batch, count);
  };

  const t0 = process.hrtime.bigint();
  // Attach first, then read /proc (as the agent does): a process started in between is in one or
  // the other. Batches wait until the snapshot below is written.
  source.start(onBatch);
  const processes = procfs.scan(ctx.threads);
  ctx.users.get('', 1);
  writer.state(takeSnapshot(ctx, processor.parser.cgroupPaths));
  writer.flush();

  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = opts.durationMs !== undefined ? setTimeout(done, opts.durationMs) : undefined;
    if (opts.signal?.aborted) done();
    opts.signal?.addEventListener('abort', done);
  });
  await source.stop();
  // Runtime answers still on their way are worth waiting a moment for.
  await Promise.race([ctx.containers.settle(), new Promise((r) => setTimeout(r, 2000).unref())]);
  const durationNs = process.hrtime.bigint() - t0;
  const counters = source.counters?.();
  writer.close({ durationNs: durationNs.toString(), ...(counters ? { counters: counters as Record<string, number> } : {}) });
  return {
    records: writer.records,
    batches: writer.batches,
    bytes: writer.bytes,
    processes,
    durationMs: Number(durationNs / 1_000_000n),
    badBatches,
    ...(counters ? { counters } : {}),
  };
}
