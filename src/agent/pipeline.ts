// Events in, alerts out: evaluates each event against the active rules of its source and hands
// the alerts to every output. The rules are swapped atomically on reload; an event is always
// evaluated entirely against one rule set.
import type { Logger } from 'pino';
import type { RuleSet, SourceRuleSet } from '../engine/ruleset.js';
import type { Alert } from '../engine/alert.js';
import type { AlertOutput } from '../outputs/alert-output.js';
import { tally, type Tally } from '../telemetry/metrics.js';
import { alertsTotal, evaluationErrors, eventsTotal } from './metrics.js';
import { BurstLog } from '../telemetry/burst-log.js';

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

export class Pipeline {
  private active: RuleSet;
  private generation = 0;
  private readonly errorLog: BurstLog;
  private readonly alertTallies = new Map<string, Tally>();

  constructor(
    rules: RuleSet,
    private readonly outputs: readonly AlertOutput[],
    log: Logger,
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

  /** The per-event entry point for one source (what SourceContext.emit is). */
  emitter<E>(source: string): (event: E) => void {
    return this.evaluator<E>(source);
  }

  /** As emitter, returning the alerts sent (SourceContext.evaluate). */
  evaluator<E>(source: string): (event: E) => readonly Alert[] {
    let seen = -1;
    let rules: SourceRuleSet<E> | undefined;
    const events = tally(eventsTotal, { source });
    const errors = tally(evaluationErrors, { source });
    return (event: E) => {
      if (seen !== this.generation) {
        rules = this.active.forSource<E>(source);
        seen = this.generation;
      }
      events.inc();
      if (!rules) return NO_ALERTS;
      let alerts: readonly Alert[];
      try {
        alerts = rules.evaluate(event);
      } catch (err) {
        errors.inc();
        this.errorLog.note({ source, error: (err as Error).message });
        return NO_ALERTS;
      }
      for (let i = 0; i < alerts.length; i++) this.publish(alerts[i]!);
      return alerts;
    };
  }

  publish(alert: Alert): void {
    const key = `${alert.source}\u0000${alert.priority}\u0000${alert.rule}`;
    let t = this.alertTallies.get(key);
    if (!t) this.alertTallies.set(key, (t = tally(alertsTotal, { rule: alert.rule, priority: alert.priority, source: alert.source })));
    t.inc();
    for (const o of this.outputs) o.write(alert);
  }
}
