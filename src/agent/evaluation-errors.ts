// What the agent does when a rule throws on an event (SourceRuleSet skips that rule and goes on
// with the others): count it in kestrel_evaluation_errors_total{rule,source} and log it, once per
// burst per rule, with the rule, the event's identity (audit ID, record number) and the error.
import type { Logger } from 'pino';
import type { EvaluationErrorHandler } from '../engine/ruleset.js';
import { BurstLog } from '../telemetry/burst-log.js';
import { tally, type Tally } from '../telemetry/metrics.js';
import { evaluationErrors } from './metrics.js';

interface PerRule {
  count: Tally;
  log: BurstLog;
}

/** A handler for RuleSetOptions.onEvaluationError; one per agent (its tallies outlive reloads). */
export function evaluationErrorReporter(log: Logger): EvaluationErrorHandler {
  const byRule = new Map<string, PerRule>();
  return (rule, error, event) => {
    const source = rule.source.name;
    const key = `${source}\u0000${rule.name}`;
    let r = byRule.get(key);
    if (!r) {
      r = { count: tally(evaluationErrors, { rule: rule.name, source }), log: new BurstLog(log, 'rule evaluation failed: the rule was skipped for this event') };
      byRule.set(key, r);
    }
    r.count.inc();
    let identity: Record<string, string | number> | undefined;
    try {
      identity = rule.source.identify?.(event);
    } catch {
      identity = undefined; // the event may be what is broken; the error itself is still logged
    }
    r.log.note({ rule: rule.name, source, event: identity, error: error instanceof Error ? error.message : String(error) });
  };
}
