// Loading the rules the agent runs with, and reporting their diagnostics the way `validate` does.
import type { Logger } from 'pino';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { loadRules } from '../rules/load.js';
import type { Diagnostic } from '../rules/diagnostics.js';
import type { EvaluationErrorHandler, RuleSet } from '../engine/ruleset.js';
import { builtinSources } from './source-list.js';
import type { Priority, RuleSpec } from '../engine/rule.js';
import type { RulesLimits } from '../rules/limits.js';
import type { AppendOutput } from '../engine/append-output.js';

export interface RulesOptions {
  paths: string[];
  hostname?: string;
  minPriority: Priority;
  ruleMatching: 'first' | 'all';
  limits?: RulesLimits;
  /** Told about each rule that throws on an event. */
  onEvaluationError?: EvaluationErrorHandler;
  isEnabled?: (spec: RuleSpec) => boolean;
  /** append_output entries (and -p, as an entry per source). */
  appendOutput?: readonly AppendOutput[];
}

export interface LoadedRules {
  ruleset?: RuleSet;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export async function loadAgentRules(opts: RulesOptions): Promise<LoadedRules> {
  const res = await loadRules(opts.paths, {
    sources: builtinSources(),
    ...(opts.hostname ? { hostname: opts.hostname } : {}),
    minPriority: opts.minPriority,
    ruleMatching: opts.ruleMatching,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.onEvaluationError ? { onEvaluationError: opts.onEvaluationError } : {}),
    ...(opts.isEnabled ? { isEnabled: opts.isEnabled } : {}),
    ...(opts.appendOutput ? { appendOutput: opts.appendOutput } : {}),
  });
  return { ruleset: res.errors.length === 0 ? res.ruleset : undefined, errors: res.errors, warnings: res.warnings };
}

export const describeDiagnostic = formatDiagnostic;

export function logDiagnostics(log: Logger, loaded: LoadedRules): void {
  for (const e of loaded.errors) log.error({ code: e.code }, describeDiagnostic(e));
  if (loaded.warnings.length > 0) log.debug({ count: loaded.warnings.length }, 'rules loaded with warnings (see kestrel validate)');
}
