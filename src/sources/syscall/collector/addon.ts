// The native addon behind the live syscall source (native/addon, built by scripts/build-native.sh
// into native/build/Release/kestrel_collector.node). Loading never throws: callers get the
// reason the collector is unavailable instead.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface CollectorOptions {
  /** BPF ring buffer size: a power of two, at least one page. Default 16 MiB. */
  ringBufferBytes?: number;
  /** Bytes of records handed to JS per crossing (>= 64 KiB). Default 512 KiB. */
  batchBytes?: number;
  /** Batches queued for JS before the reader stops reading (backpressure). Default 4. */
  maxPendingBatches?: number;
  /** The reader's poll period: the longest a record waits in the kernel. Default 10 ms. */
  pollIntervalMs?: number;
  /** Pending bytes at which the producer wakes the reader early. Default ringBufferBytes / 8. */
  wakeupBytes?: number;
  /** Do not record this process's own syscalls. Default true. */
  ignoreSelf?: boolean;
  /** Bytes of send/recv data captured per record (<= 256). Default 256. */
  dataSnaplen?: number;
}

export interface CollectorCounters {
  /** Records the kernel side wrote into the ring buffer. */
  produced: number;
  /** Records lost in the kernel: no room in the ring buffer. */
  dropped: number;
  /** Records with at least one truncated param. */
  truncated: number;
  /** Records with a param the kernel could not read. */
  readFaults: number;
  /** Hook runs for a type that was just switched off (before its detach). */
  filtered: number;
  /** Batches and records handed to JS, and their bytes. */
  batches: number;
  records: number;
  bytes: number;
  /** Time the reader waited for JS to take batches (backpressure), ns. */
  blockedNs: number;
  /** Batch callbacks that threw. */
  callbackErrors: number;
  /** Batches handed over and not yet processed by JS. */
  pendingBatches: number;
}

export interface HookInfo {
  type: number;
  name: string;
  /** syscall: attached only while wanted; lifecycle: always attached; none: never produced. */
  kind: 'syscall' | 'lifecycle' | 'none';
  program: string;
}

export interface Unavailable {
  type: number;
  name: string;
  reason: string;
}

export interface NativeCollector {
  /** Loads and verifies the BPF programs (throws an Error with `code` and an actionable message). */
  open(): void;
  /** Sets the record types produced from now on; attaches/detaches their hooks. */
  setInterest(types: readonly number[]): { unavailable: Unavailable[] };
  interest(): { wanted: number[]; attached: number[] };
  /**
   * Attaches the lifecycle hooks and starts the reader thread. The first `bytes` of `batch` hold
   * `count` records; `batch` is one of a few slots the reader refills once onBatch has returned.
   */
  start(onBatch: (batch: ArrayBuffer, count: number, bytes: number) => void): void;
  /** Resolves once every record read so far has reached onBatch and the reader has exited. */
  stop(): Promise<void>;
  /** Detaches and unloads (after stop); resolves when done (about 2 s: kernel grace periods). */
  close(): Promise<void>;
  counters(): CollectorCounters;
  /** Learning mode: attaches/detaches the sys_enter program recording syscalls per mount namespace. */
  learnSyscalls(on: boolean, hostMntNs: number): void;
  /** Syscall numbers recorded so far per mount namespace (outside the host's), by the caller's seccomp filter depth (0-3). */
  learnedSyscalls(): { mntNs: number; levels: number[][] }[];
}

export interface Addon {
  Collector: new (options?: CollectorOptions) => NativeCollector;
  /** null when this process can run the collector; otherwise why not and how to fix it. */
  support(): string | null;
  /** CLOCK_REALTIME - CLOCK_BOOTTIME in ns: add to record timestamps. */
  bootEpochNs(): bigint;
  hooks(): HookInfo[];
}

export const ADDON_PATH = fileURLToPath(new URL('../../../../native/build/Release/kestrel_collector.node', import.meta.url));

let cached: Addon | Error | undefined;

/** The addon, or an Error saying why it cannot be loaded. */
export function loadAddon(): Addon | Error {
  if (cached) return cached;
  if (!existsSync(ADDON_PATH)) {
    cached = new Error(
      `the native syscall collector is not built (${ADDON_PATH} is missing): run scripts/build-native.sh ` +
        '(needs clang, llvm, libbpf-dev, bpftool, libelf-dev, zlib1g-dev, make, g++; `npm test`/`npm start` build it as root)',
    );
    return cached;
  }
  try {
    cached = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (e) {
    cached = new Error(`the native syscall collector failed to load from ${ADDON_PATH}: ${(e as Error).message}`);
  }
  return cached;
}
