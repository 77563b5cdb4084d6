// The live syscall source's collector: the eBPF programs and their ring buffer, seen from
// TypeScript. Records arrive in batches (one Buffer of back-to-back records per call, laid out
// as native/events.h says); which syscalls produce records is set by Falco event name.
import { loadAddon, type Addon, type CollectorCounters, type CollectorOptions, type HookInfo, type NativeCollector, type Unavailable } from './addon.js';

export type { CollectorCounters, CollectorOptions, Unavailable };

/** Why the collector cannot run here (not built, kernel, privileges), or undefined when it can. */
export function collectorUnavailableReason(): string | undefined {
  const addon = loadAddon();
  if (addon instanceof Error) return addon.message;
  return addon.support() ?? undefined;
}

export class CollectorError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CollectorError';
  }
}

/**
 * Receives `count` records back to back in `batch`. The memory is reused for a later batch once
 * the handler returns: copy what is kept beyond the call, and never transfer or detach
 * `batch.buffer` (the reader thread keeps writing into it).
 */
export type BatchHandler = (batch: Buffer, count: number) => void;

export class SyscallCollector {
  private readonly addon: Addon;
  private readonly native: NativeCollector;
  private readonly hooks: HookInfo[];
  private running = false;
  private wantedNames: string[] = [];

  /** Loads and verifies the BPF programs; nothing is attached yet. Throws CollectorError. */
  constructor(options: CollectorOptions = {}) {
    const addon = loadAddon();
    if (addon instanceof Error) throw new CollectorError(addon.message, 'ENOADDON');
    this.addon = addon;
    this.hooks = addon.hooks();
    try {
      this.native = new addon.Collector(options);
      this.native.open();
    } catch (e) {
      const err = e as Error & { code?: string };
      throw new CollectorError(err.message, err.code ?? 'EBPF');
    }
  }

  /** Falco event names the kernel can produce records for. */
  get eventNames(): string[] {
    return [...new Set(this.hooks.filter((h) => h.kind !== 'none').map((h) => h.name))];
  }

  /** CLOCK_REALTIME - CLOCK_BOOTTIME: add to a record's ts for ns since the epoch. */
  bootEpochNs(): bigint {
    return this.addon.bootEpochNs();
  }

  /**
   * Produce records for exactly these Falco event names from now on (every code sharing a name;
   * 'all': everything the collector covers). Takes effect at once, without a restart. Names the
   * collector does not cover are returned in `unknown`; hooks this kernel lacks in `unavailable`.
   */
  setEventNames(names: Iterable<string> | 'all'): { unknown: string[]; unavailable: Unavailable[] } {
    const want = names === 'all' ? new Set(this.eventNames) : new Set(names);
    const types: number[] = [];
    const known = new Set<string>();
    for (const h of this.hooks) {
      if (h.kind !== 'none' && want.has(h.name)) {
        types.push(h.type);
        known.add(h.name);
      }
    }
    const { unavailable } = this.native.setInterest(types);
    this.wantedNames = [...known].sort();
    return { unknown: [...want].filter((n) => !known.has(n)).sort(), unavailable };
  }

  /** The names records are produced for now. */
  get wanted(): readonly string[] {
    return this.wantedNames;
  }

  /** What the kernel side is doing now, by name: in the filter map, and hooks attached. */
  kernelState(): { wanted: string[]; attached: string[] } {
    const { wanted, attached } = this.native.interest();
    const name = (t: number) => this.hooks[t]!.name;
    return { wanted: [...new Set(wanted.map(name))], attached: [...new Set(attached.map(name))] };
  }

  /**
   * Attaches and starts delivering. `onBatch` runs on the JS thread, synchronously per batch:
   * while it runs (and while a few more batches wait), the reader stops reading, records stay in
   * the kernel ring buffer, and what does not fit is counted in counters().dropped. The batch's
   * memory is refilled once the handler has returned: copy what is kept.
   */
  start(onBatch: BatchHandler): void {
    if (this.running) throw new CollectorError('collector already started', 'ESTARTED');
    try {
      // One Buffer per reader slot, made once: a batch is a view of its first `bytes`.
      const views = new Map<ArrayBuffer, Buffer>();
      this.native.start((ab: ArrayBuffer, count: number, bytes: number) => {
        let view = views.get(ab);
        if (!view) views.set(ab, (view = Buffer.from(ab)));
        onBatch(view.subarray(0, bytes), count);
      });
    } catch (e) {
      const err = e as Error & { code?: string };
      throw new CollectorError(err.message, err.code ?? 'EATTACH');
    }
    this.running = true;
  }

  /** Stops reading; resolves once every record read so far has been delivered. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await this.native.stop();
    this.running = false;
  }

  /** Detaches every hook and unloads the programs. */
  async close(): Promise<void> {
    await this.stop();
    await this.native.close();
  }

  counters(): CollectorCounters {
    return this.native.counters();
  }

  /**
   * Learning mode (kestrel learn): records which syscalls each task outside the host mount
   * namespace `hostMntNs` makes, per mount namespace, on a sys_enter program attached only while
   * learning. Costs every syscall a few loads (host tasks) or a map update (containers).
   */
  learnSyscalls(on: boolean, hostMntNs: number): void {
    try {
      this.native.learnSyscalls(on, hostMntNs);
    } catch (e) {
      const err = e as Error & { code?: string };
      throw new CollectorError(err.message, err.code ?? 'EATTACH');
    }
  }

  /** Syscall numbers (this machine's ABI) seen per mount namespace since learnSyscalls(true), by seccomp filter depth. */
  learnedSyscalls(): { mntNs: number; levels: number[][] }[] {
    return this.native.learnedSyscalls();
  }
}
