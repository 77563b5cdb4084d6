// Prometheus metrics of the syscall state (process table, containers, users), read at scrape
// time from the live context: lookups against runtimes and /etc files are counted by result.
import { Counter, Gauge } from 'prom-client';
import { registry } from '../../../telemetry/metrics.js';
import type { SyscallContext } from './context.js';

let current: () => SyscallContext | undefined = () => undefined;
let registered = false;

/** A counter read at scrape time from monotonic totals kept elsewhere (by label value). */
export function scrapedCounter(name: string, help: string, labels: string[], values: () => Record<string, number> | undefined): void {
  const seen = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames: labels,
    registers: [registry],
    collect() {
      const v = values();
      if (!v) return;
      for (const [label, n] of Object.entries(v)) {
        const before = seen.get(label) ?? 0;
        const key = labels.length ? { [labels[0]!]: label } : {};
        if (n > before) this.inc(key, n - before);
        seen.set(label, n);
      }
    },
  });
}

/** Registers the metrics once; later calls just point them at another context. */
export function exportStateMetrics(ctx: () => SyscallContext | undefined): void {
  current = ctx;
  if (registered || registry.getSingleMetric('kestrel_syscall_container_lookups_total')) return;
  registered = true;
  scrapedCounter('kestrel_syscall_container_lookups_total', 'Container metadata lookups against the runtimes, by result (ok, failed: no runtime knew the container).', ['result'], () => {
    const s = current()?.containers.stats;
    return s ? { ok: s.lookupsOk, failed: s.lookupsFailed } : undefined;
  });
  scrapedCounter(
    'kestrel_syscall_user_table_loads_total',
    'Reads of /etc/passwd and /etc/group of a root (host or container), by result (ok, failed: neither file; deferred: the root could not be reached yet, tried again shortly).',
    ['result'],
    () => {
      const u = current()?.users;
      return u ? { ok: u.lookups - u.loadFailures, failed: u.loadFailures, deferred: u.deferred } : undefined;
    },
  );
  scrapedCounter(
    'kestrel_syscall_container_bundle_reads_total',
    "Reads of a new container's OCI bundle (config.json) on first sight, by result (found; missing: no bundle at a known place; bad: unreadable).",
    ['result'],
    () => {
      const s = current()?.containers.initialStats;
      return s ? { found: s.found, missing: s.missing, bad: s.bad } : undefined;
    },
  );
  new Gauge({
    name: 'kestrel_syscall_container_bundle_read_seconds_max',
    help: "Longest synchronous read of a new container's bundle so far (it holds the event loop).",
    registers: [registry],
    collect() {
      const t = current()?.containers.initialTiming;
      if (t) this.set(Number(t.maxNs) / 1e9);
    },
  });
  scrapedCounter('kestrel_syscall_user_table_reloads_total', "Re-reads of a root's /etc/passwd or /etc/group after the file changed.", [], () => {
    const u = current()?.users;
    return u ? { '': u.reloads } : undefined;
  });
  scrapedCounter('kestrel_syscall_threads_evicted_total', 'Threads dropped from the bounded thread table to make room.', [], () => {
    const t = current()?.threads;
    return t ? { '': t.evicted } : undefined;
  });
  scrapedCounter('kestrel_syscall_proc_lookups_total', 'Processes first seen in a record and read from /proc.', [], () => {
    const s = current()?.stats;
    return s ? { '': s.procLookups } : undefined;
  });
  scrapedCounter('kestrel_syscall_truncated_records_total', 'Records processed with at least one truncated argument.', [], () => {
    const s = current()?.stats;
    return s ? { '': s.truncatedRecords } : undefined;
  });
  new Gauge({
    name: 'kestrel_syscall_tracked',
    help: 'Entries in the syscall state tables, by table (threads, processes, containers).',
    labelNames: ['table'],
    registers: [registry],
    collect() {
      const c = current();
      if (!c) return;
      this.set({ table: 'threads' }, c.threads.threads.size);
      this.set({ table: 'processes' }, c.threads.procs.size);
      this.set({ table: 'containers' }, c.containers.all().length);
    },
  });
}
