// Kestrel's library API (package entry point dist/index.js).
export { parseCondition, ConditionSyntaxError } from './condition/parse.js';
import { builtinSources } from './agent/source-list.js';
import * as load from './rules/load.js';
export type { LoadResult, RulesText } from './rules/load.js';

/** Load options; `sources` defaults to Kestrel's built-in sources (syscall, k8s_audit). */
export type LoadOptions = Omit<load.LoadOptions, 'sources'> & Partial<Pick<load.LoadOptions, 'sources'>>;

const withSources = (o: LoadOptions): load.LoadOptions => ({ ...o, sources: o.sources ?? builtinSources() });

/** Loads rules files and directories (their *.yaml/*.yml files, in name order), in the order given. */
export function loadRules(paths: readonly string[], options: LoadOptions = {}): Promise<load.LoadResult> {
  return load.loadRules(paths, withSources(options));
}

/** Loads rules from in-memory texts, each named as a file would be in diagnostics. */
export function loadRulesFromText(texts: readonly load.RulesText[], options: LoadOptions = {}): load.LoadResult {
  return load.loadRulesFromText(texts, withSources(options));
}
export { defaultRulesPath } from './rules/defaults.js';
export { formatDiagnostic, ERROR_CODES, WARNING_CODES } from './rules/diagnostics.js';
export { ENGINE_VERSION, BUILTIN_PLUGINS } from './rules/versions.js';
export { PRIORITIES, type Priority, type RuleSpec } from './engine/rule.js';
export type { Diagnostic, Severity } from './rules/diagnostics.js';
export type { SourceLocation } from './condition/ast.js';
export type * from './condition/ast.js';
export { RuleSet, SourceRuleSet, type CompiledRule, type RuleSetOptions } from './engine/ruleset.js';
export { alertToJson, alertToText, type Alert } from './engine/alert.js';
export { compileRule, compileCondition } from './engine/compile-rule.js';
export { CompileError, type CompileWarning } from './engine/errors.js';
export { compileOutput, type OutputFormatter } from './engine/output-template.js';
export { builtinSources };
export type { EventSource } from './engine/event-source.js';
export { FieldRegistry } from './fields/registry.js';
export type { FieldDef, FieldType, FieldValue, Scalar } from './fields/types.js';
