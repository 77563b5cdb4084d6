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

export function gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Gauge<L>;
  return new Gauge<L>({ name, help, labelNames: [...labelNames], registers: [registry] });
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

/** Events a source handed to the engine. */
export const eventsTotal = counter('kestrel_events_total', 'Events evaluated against the rules, by source.', ['source']);
/** Alerts emitted (before outputs; output drops are counted separately). */
export const alertsTotal = counter('kestrel_alerts_total', 'Alerts raised, by rule, priority and source.', ['rule', 'priority', 'source']);
/** Events lost before evaluation (buffer full, kernel ring buffer drops, ...). */
export const eventsDropped = counter('kestrel_events_dropped_total', 'Events lost before evaluation, by source and reason.', ['source', 'reason']);
/** Events deliberately not evaluated (uninteresting audit stage, duplicate delivery, ...). */
export const eventsSkipped = counter('kestrel_events_skipped_total', 'Events deliberately not evaluated, by source and reason.', ['source', 'reason']);
/** Evaluation errors (an extractor or rule threw on an event); the event is skipped for that rule set. */
export const evaluationErrors = counter('kestrel_evaluation_errors_total', 'Events whose evaluation failed, by source.', ['source']);
export const auditEventsRejected = counter(
  'kestrel_audit_events_rejected_total',
  'Audit events rejected by the webhook as not being valid audit events, by reason.',
  ['reason'],
);
export const auditRequests = counter('kestrel_audit_requests_total', 'Audit webhook HTTP requests answered, by status code.', ['code']);
export const outputWritten = counter('kestrel_output_written_total', 'Alerts written by an output.', ['output']);
export const outputDropped = counter('kestrel_output_dropped_total', 'Alerts an output could not deliver (queue full or delivery failed).', [
  'output',
  'reason',
]);
export const rulesReloads = counter('kestrel_rules_reloads_total', 'Rules reloads, by result (ok, error).', ['result']);
export const rulesLoaded = gauge('kestrel_rules_loaded', 'Enabled rules in the active rule set, by source.', ['source']);
export const sourceReady = gauge('kestrel_source_ready', '1 when the source is attached and delivering events, else 0.', ['source']);
