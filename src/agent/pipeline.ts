// Events in, alerts out: evaluates each event against the active rules of its source and hands
// the alerts to every output. The rules are swapped atomically on reload; an event is always
// evaluated entirely against one rule set.
import type { Logger } from 'pino';
import type { RuleSet, SourceRuleSet } from '../engine/ruleset.js';
import type { Alert } from '../engine/alert.js';
import type { AlertOutput } from '../outputs/alert-output.js';
import { tally, type Tally } from '../telemetry/metrics.js';
import { alertsTotal, evaluationErrors, eventsTotal, NO_RULE } from './metrics.js';
import { BurstLog } from '../telemetry/burst-log.js';
import type { AlertMetrics } from './alert-metrics.js';

export class Pipeline {
  private active: RuleSet;
  private generation = 0;
  private readonly errorLog: BurstLog;
  private readonly alertTallies = new Map<string, Tally>();
  /** Sees every alert with its event, after the outputs (automatic responses). */
  private respond: ((alert: Alert, event: unknown) => void) | undefined;

  constructor(
    rules: RuleSet,
    private outputs: readonly AlertOutput[],
    log: Logger,
    /** falco_events and falcosecurity_falco_rules_matches_total. */
    private readonly alertMetrics?: AlertMetrics,
  ) {
    this.active = rules;
    this.errorLog = new BurstLog(log, 'evaluation failed for events');
  }

  get rules(): RuleSet {
    return this.active;
  }

  swap(rules: RuleSet): void {
    this.active = rules;
    this.generation++;
  }

  /** Alerts from now on go to these outputs (config reload); the caller closes the old ones. */
  setOutputs(outputs: readonly AlertOutput[]): void {
    this.outputs = outputs;
  }

  respondWith(fn: (alert: Alert, event: unknown) => void): void {
    this.respond = fn;
  }

  /** The per-event entry point for one source (what SourceContext.emit is). */
  emitter<E>(source: string): (event: E) => void {
    let seen = -1;
    let rules: SourceRuleSet<E> | undefined;
    const events = tally(eventsTotal, { source });
    const errors = tally(evaluationErrors, { rule: NO_RULE, source });
    return (event: E) => {
      if (seen !== this.generation) {
        rules = this.active.forSource<E>(source);
        seen = this.generation;
      }
      events.inc();
      if (!rules) return;
      let alerts: readonly Alert[];
      try {
        alerts = rules.evaluate(event);
      } catch (err) {
        errors.inc();
        this.errorLog.note({ source, error: (err as Error).message });
        return;
      }
      for (let i = 0; i < alerts.length; i++) {
        this.publish(alerts[i]!);
        this.respond?.(alerts[i]!, event);
      }
    };
  }

  publish(alert: Alert): void {
    const key = `${alert.source}\u0000${alert.priority}\u0000${alert.rule}`;
    let t = this.alertTallies.get(key);
    if (!t) this.alertTallies.set(key, (t = tally(alertsTotal, { rule: alert.rule, priority: alert.priority, source: alert.source })));
    t.inc();
    this.alertMetrics?.count(alert);
    for (const o of this.outputs) o.write(alert);
  }
}
