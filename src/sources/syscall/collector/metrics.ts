// Prometheus metrics of the live syscall source, read from the collector's counters at scrape
// time (the kernel keeps per-CPU counts; nothing is counted twice or on the hot path).
import { Counter, Gauge } from 'prom-client';
import { eventsDropped, registry } from '../../../telemetry/metrics.js';
import type { CollectorCounters } from './collector.js';
import type { SyscallStats } from '../state/context.js';

type Source = () => { collector?: CollectorCounters; stats?: SyscallStats } | undefined;

let current: Source = () => undefined;
let last: CollectorCounters | undefined;

const COLLECTOR: Array<[keyof CollectorCounters, string, string]> = [
  ['produced', 'kestrel_syscall_records_total', 'Records the eBPF collector wrote into its ring buffer.'],
  ['dropped', 'kestrel_syscall_dropped_total', 'Records lost in the kernel: the ring buffer was full (the agent fell behind).'],
  ['truncated', 'kestrel_syscall_truncated_total', 'Records with at least one string or buffer cut at its bound.'],
  ['readFaults', 'kestrel_syscall_read_faults_total', 'Records with an argument the kernel could not read (left empty).'],
  ['batches', 'kestrel_syscall_batches_total', 'Batches of records handed from the ring buffer reader to JavaScript.'],
  ['records', 'kestrel_syscall_records_delivered_total', 'Records handed from the ring buffer reader to JavaScript.'],
];

const STATE: Array<[keyof SyscallStats, string, string]> = [
  ['records', 'kestrel_syscall_records_processed_total', 'Records decoded and applied to the process/fd state.'],
  ['unknownType', 'kestrel_syscall_unknown_type_total', 'Records of a type this build does not know (skipped).'],
  ['threadsFromRecords', 'kestrel_syscall_threads_from_records_total', 'Threads first seen in a record rather than /proc or a fork.'],
  ['procLookupFailures', 'kestrel_syscall_proc_lookup_failures_total', 'Processes first seen in a record that /proc no longer had.'],
  ['fdMisses', 'kestrel_syscall_fd_misses_total', 'fd numbers used by a record but unknown to the state.'],
];

function monotonic(name: string, help: string, value: () => number | undefined): void {
  if (registry.getSingleMetric(name)) return;
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const v = value();
      if (v !== undefined && v > seen) {
        this.inc(v - seen);
        seen = v;
      } else if (v !== undefined && v < seen) {
        seen = v; // a new collector started from zero
      }
    },
  });
}

function init(): void {
  for (const [key, name, help] of COLLECTOR) monotonic(name, help, () => current()?.collector?.[key]);
  for (const [key, name, help] of STATE) monotonic(name, help, () => current()?.stats?.[key]);
  if (!registry.getSingleMetric('kestrel_syscall_backpressure_seconds_total')) {
    monotonic('kestrel_syscall_backpressure_seconds_total', 'Time the ring buffer reader waited for JavaScript to take batches.', () => {
      const c = current()?.collector;
      return c ? c.blockedNs / 1e9 : undefined;
    });
    new Gauge({
      name: 'kestrel_syscall_pending_batches',
      help: 'Batches handed to JavaScript and not yet processed.',
      registers: [registry],
      collect() {
        this.set(current()?.collector?.pendingBatches ?? 0);
      },
    });
  }
}

/** Points the metrics at the running collector (one per process). */
export function exportCollectorMetrics(source: Source): void {
  init();
  current = source;
  last = undefined;
}

/** Adds new kernel drops to the shared kestrel_events_dropped_total{source="syscall"}. */
export function syncDropCounter(c: CollectorCounters): void {
  const prev = last?.dropped ?? 0;
  if (c.dropped > prev) eventsDropped.labels({ source: 'syscall', reason: 'ring_buffer_full' }).inc(c.dropped - prev);
  last = c;
}
