// What the alert outputs delivered, retried and could not deliver, and what they hold.
import { counter, gauge } from '../telemetry/metrics.js';

export const outputWritten = counter('kestrel_output_written_total', 'Alerts delivered by an output.', ['output']);
/**
 * reason: queue-full (in-memory bound reached), spool-full (spool bound reached), closed (alert
 * after shutdown began), shutdown (still queued when the drain time ran out, no spool),
 * rejected (the receiver refused it for good: HTTP 4xx other than 408/425/429), gave-up
 * (max_attempts reached), too-large (a syslog datagram over the socket's limit), program-failed
 * (program_output without keep_alive exited non-zero).
 */
export const outputDropped = counter('kestrel_output_dropped_total', 'Alerts an output lost, by reason.', ['output', 'reason']);
export const outputRetries = counter('kestrel_output_retries_total', 'Failed delivery attempts that will be retried, by output.', ['output']);
export const programRestarts = counter('kestrel_output_program_restarts_total', 'Times a keep_alive program_output process was started again after it ended.', ['output']);

const queued = new Map<string, () => number>();

/** Registers where kestrel_output_queued reads an output's backlog (at scrape time). */
export function reportQueued(output: string, length: () => number): void {
  queued.set(output, length);
}

export const outputQueued = gauge('kestrel_output_queued', 'Alerts waiting in an output queue or spool, not yet delivered.', ['output'], function collect() {
  for (const [output, length] of queued) this.labels({ output }).set(length());
});
