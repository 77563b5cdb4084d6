// Prometheus metrics of the syscall source's captures (rule-captures.ts: rule-triggered and asked for by responses), read at scrape time.
import { Gauge } from 'prom-client';
import { registry } from '../../../telemetry/metrics.js';
import { scrapedCounter } from '../state/metrics.js';
import type { RuleCaptures } from './rule-captures.js';

let current: () => RuleCaptures | undefined = () => undefined;
let registered = false;

/** Registers the metrics once; later calls point them at another recorder. */
export function exportCaptureMetrics(captures: () => RuleCaptures | undefined): void {
  current = captures;
  if (registered || registry.getSingleMetric('kestrel_rule_captures_total')) return;
  registered = true;
  scrapedCounter(
    'kestrel_rule_captures_total',
    'Capture requests of rules (capture: true) and of capture response actions, by result (started; extended: a capture of that container/process was recording; skipped_limit: capture.max_active were recording; failed: the file could not be written).',
    ['result'],
    () => {
      const s = current()?.stats;
      return s ? { started: s.started, extended: s.extended, skipped_limit: s.skippedLimit, failed: s.failed } : undefined;
    },
  );
  scrapedCounter('kestrel_rule_captures_closed_total', 'Rule-triggered and response captures closed, by reason (duration, size: capture.max_file_size_mb, shutdown).', ['reason'], () => {
    const s = current()?.stats;
    return s ? { duration: s.stoppedDuration, size: s.stoppedSize, shutdown: s.stoppedShutdown } : undefined;
  });
  scrapedCounter('kestrel_rule_capture_records_total', 'Records written into rule-triggered and response captures.', [], () => {
    const s = current()?.stats;
    return s ? { '': s.records } : undefined;
  });
  new Gauge({
    name: 'kestrel_rule_captures_recording',
    help: 'Rule-triggered and response captures recording now.',
    registers: [registry],
    collect() {
      const c = current();
      if (c) this.set(c.recording);
    },
  });
}
