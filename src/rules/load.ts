// Loading rules: read -> collect -> resolve -> compile, every stage reporting into one list of
// errors and warnings (all of them, not just the first).
import { RuleSet, type CompiledRule, type RuleSetOptions } from '../engine/ruleset.js';
import type { EventSource } from '../engine/event-source.js';
import type { AppendOutput } from '../engine/append-output.js';
import { Collector } from './collect.js';
import { compileRules } from './compile-rules.js';
import { ItemReader } from './read-item.js';
import { DiagnosticSink } from './diagnostics.js';
import type { PluginRequirement } from './items.js';
import { parseRulesText, readRulesPaths, type RulesText } from './read.js';
import { resolveRules } from './resolve.js';
import type { RuleSpec } from '../engine/rule.js';
import type { Diagnostic } from './diagnostics.js';
import { ENGINE_VERSION, formatSemver } from './versions.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from './limits.js';

export type { RulesText } from './read.js';

export interface LoadOptions extends RuleSetOptions {
  /**
   * The event sources rules may name in `source:`, by name. The loader is given them (it does
   * not know which sources exist; the agent and the library entry point pass the built-in ones).
   */
  sources: ReadonlyMap<string, EventSource>;
  /** Bounds on the rules input (limits.ts); each unset one takes its default. */
  limits?: Partial<RulesLimits>;
  /** Falco's append_output (and -p): text and fields added to the output of the rules each entry matches. */
  appendOutput?: readonly AppendOutput[];
}

export interface LoadResult {
  /** The compiled, enabled rules, ready to evaluate events. */
  ruleset: RuleSet;
  /** Every rule that compiled, in load order, disabled ones included (`enabled: false`). */
  rules: RuleSpec[];
  /** The compiled rules (same order as `rules`). */
  compiled: CompiledRule[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** The rules files read, in load order. */
  files: string[];
  /** The Falco engine version Kestrel implements. */
  engineVersion: string;
  /** The highest `required_engine_version` of the files, as x.y.z. */
  requiredEngineVersion?: string;
  /** Each `required_plugin_versions` entry: any one alternative satisfies it. */
  requiredPluginVersions: PluginRequirement[][];
}

/** Loads rules files and directories (their *.yaml/*.yml files, in name order), in the order given. */
export async function loadRules(paths: readonly string[], options: LoadOptions): Promise<LoadResult> {
  const sink = new DiagnosticSink();
  const texts = await readRulesPaths(paths, sink, limitsOf(options));
  return loadTexts(texts, options, sink);
}

/** Loads rules from in-memory texts, each named as a file would be in diagnostics. */
export function loadRulesFromText(texts: readonly RulesText[], options: LoadOptions): LoadResult {
  return loadTexts(texts, options, new DiagnosticSink());
}

function limitsOf(options: LoadOptions): RulesLimits {
  return { ...DEFAULT_RULES_LIMITS, ...options.limits };
}

function loadTexts(texts: readonly RulesText[], options: LoadOptions, sink: DiagnosticSink): LoadResult {
  const sources = options.sources;
  const limits = limitsOf(options);
  const collector = new Collector(sources, sink);
  const reader = new ItemReader(collector, sink);
  for (const text of texts) {
    for (const doc of parseRulesText(text, sink, limits)) for (const item of doc.items) reader.read(doc.ctx, item);
  }
  const resolved = resolveRules(collector, sink, limits);
  const compiled = compileRules(resolved, sources, sink, options.appendOutput);
  const result: LoadResult = {
    ruleset: new RuleSet(compiled, sources, options),
    rules: compiled.map((c) => c.spec),
    compiled,
    errors: sink.errors,
    warnings: sink.warnings,
    files: texts.map((t) => t.name),
    engineVersion: ENGINE_VERSION,
    requiredPluginVersions: collector.pluginRequirements.map((p) => p.alternatives),
  };
  if (collector.requiredEngineVersion) result.requiredEngineVersion = formatSemver(collector.requiredEngineVersion.version);
  return result;
}
