// The agent's metrics: events evaluated, alerts raised, evaluation errors, the rules in force and
// each source's readiness.
import { counter, gauge } from '../telemetry/metrics.js';

/** Events a source handed to the engine. */
export const eventsTotal = counter('kestrel_events_total', 'Events evaluated against the rules, by source.', ['source']);
/** Alerts emitted (before outputs; output drops are counted separately). */
export const alertsTotal = counter('kestrel_alerts_total', 'Alerts raised, by rule, priority and source.', ['rule', 'priority', 'source']);
/**
 * Evaluation errors: a rule's condition (a field extraction, a comparison) or its alert (the output
 * fields) threw on an event. That rule is skipped for the event; the other rules still run.
 * rule="(none)" counts an event that failed before any rule (its type could not be read).
 */
export const evaluationErrors = counter(
  'kestrel_evaluation_errors_total',
  'Rule evaluations that threw on an event (the rule is skipped for that event, the other rules still run), by rule and source.',
  ['rule', 'source'],
);
/** The rule label of an evaluation error that happened before any rule ran. */
export const NO_RULE = '(none)';
export const rulesReloads = counter('kestrel_rules_reloads_total', 'Rules reloads, by result (ok, error).', ['result']);
/** Config reloads (SIGHUP, watch_config_files): error when the new config or its rules were refused. */
export const configReloads = counter('kestrel_config_reloads_total', 'Configuration reloads, by result (ok, error: the running configuration was kept).', ['result']);
export const rulesLoaded = gauge('kestrel_rules_loaded', 'Enabled rules in the active rule set, by source.', ['source']);

let readiness: () => ReadonlyArray<{ name: string; ready: boolean }> = () => [];
let known: readonly string[] = [];

/** Where kestrel_source_ready reads each source's state: every known source, 1 when ready. */
export function reportReadiness(status: typeof readiness, sources: readonly string[]): void {
  readiness = status;
  known = sources;
}

export const sourceReady = gauge('kestrel_source_ready', '1 when the source is attached and delivering events, else 0.', ['source'], function collect() {
  const ready = new Map(readiness().map((s) => [s.name, s.ready]));
  for (const name of known) this.labels({ source: name }).set(ready.get(name) ? 1 : 0);
});
