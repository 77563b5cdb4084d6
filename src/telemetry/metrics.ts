// The process-wide Prometheus registry and Kestrel's shared metrics. Modules get their own
// metrics through counter()/gauge()/histogram(), which return the existing metric when the
// name is already registered (so a module may be loaded twice, e.g. in tests).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'kestrel_' });

/** Per counter name, what tallies have counted since the last scrape, flushed when scraped. */
const pendingTallies = new Map<string, Array<() => void>>();

export function counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter<L>({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    collect() {
      for (const flush of pendingTallies.get(name) ?? []) flush();
    },
  });
}

export interface Tally {
  inc(n?: number): void;
}

/**
 * A counter child for per-event paths: inc() adds to a plain number (prom-client hashes and
 * validates the labels on every inc), moved into the counter whenever it is read. Create tallies
 * once (per source, per rule), not per event or request.
 */
export function tally<L extends string>(c: Counter<L>, labels: Partial<Record<L, string | number>>): Tally {
  const name = (c as unknown as { name: string }).name;
  const child = c.labels(labels);
  let n = 0;
  let flushers = pendingTallies.get(name);
  if (!flushers) pendingTallies.set(name, (flushers = []));
  flushers.push(() => {
    if (n > 0) {
      child.inc(n);
      n = 0;
    }
  });
  return {
    inc(k = 1) {
      n += k;
    },
  };
}

/** A gauge; `collect`, when given, sets its values at each scrape. */
export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Gauge<L>) => void): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge<L>({ name, help, labelNames: [...labelNames], registers: [registry], ...(collect ? { collect } : {}) });
}

export function histogram<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[] = [],
  buckets?: number[],
): Histogram<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Histogram<L>;
  return new Histogram<L>({ name, help, labelNames: [...labelNames], registers: [registry], ...(buckets ? { buckets } : {}) });
}

/** Events lost before evaluation (buffer full, kernel ring buffer drops, ...). */
export const eventsDropped = counter('kestrel_events_dropped_total', 'Events lost before evaluation, by source and reason.', ['source', 'reason']);
/** Events deliberately not evaluated (uninteresting audit stage, duplicate delivery, ...). */
export const eventsSkipped = counter('kestrel_events_skipped_total', 'Events deliberately not evaluated, by source and reason.', ['source', 'reason']);
