// Events in, alerts out: evaluates each event against the active rules of its source and hands
// the alerts to every output. The rules are swapped atomically on reload; an event is always
// evaluated entirely against one rule set.
import type { Logger } from 'pino';
import type { RuleSet, SourceRuleSet } from '../engine/ruleset.js';
import type { Alert } from '../engine/alert.js';
import type { AlertOutput } from '../outputs/alert-output.js';
import { tally, type Tally } from '../telemetry/metrics.js';
import { alertsTotal, evaluationErrors, eventsTotal, NO_RULE } from './metrics.js';
import { outputDropped } from '../outputs/metrics.js';
import { BurstLog } from '../telemetry/burst-log.js';
import type { AlertMetrics } from './alert-metrics.js';

const NO_ALERTS: readonly Alert[] = Object.freeze([]);

export class Pipeline {
  private active: RuleSet;
  private generation = 0;
  private readonly errorLog: BurstLog;
  private readonly alertTallies = new Map<string, Tally>();
  /** While set (a reload closing spooled outputs), alerts wait here for the next outputs. */
  private held: Alert[] | undefined;
  private heldLimit = 0;
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

  /**
   * Until the next setOutputs, alerts are kept for the next outputs instead of going to the
   * current ones (which are being closed): up to `limit`, the rest counted as dropped
   * (output "reload-hold", reason queue-full).
   */
  holdAlerts(limit: number): void {
    this.held = [];
    this.heldLimit = limit;
  }

  /** Alerts from now on go to these outputs (config reload), the held ones first; the caller closes the old ones. */
  setOutputs(outputs: readonly AlertOutput[]): void {
    this.outputs = outputs;
    const held = this.held;
    this.held = undefined;
    if (held) for (const a of held) for (const o of outputs) o.write(a);
  }

  respondWith(fn: (alert: Alert, event: unknown) => void): void {
    this.respond = fn;
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
    const errors = tally(evaluationErrors, { rule: NO_RULE, source });
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
      for (let i = 0; i < alerts.length; i++) {
        this.publish(alerts[i]!);
        this.respond?.(alerts[i]!, event);
      }
      return alerts;
    };
  }

  publish(alert: Alert): void {
    const key = `${alert.source}\u0000${alert.priority}\u0000${alert.rule}`;
    let t = this.alertTallies.get(key);
    if (!t) this.alertTallies.set(key, (t = tally(alertsTotal, { rule: alert.rule, priority: alert.priority, source: alert.source })));
    t.inc();
    this.alertMetrics?.count(alert);
    if (this.held) {
      if (this.held.length < this.heldLimit) this.held.push(alert);
      else outputDropped.labels({ output: 'reload-hold', reason: 'queue-full' }).inc();
      return;
    }
    for (const o of this.outputs) o.write(alert);
  }
}
