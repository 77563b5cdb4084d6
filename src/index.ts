// Kestrel's library API (package entry point dist/index.js).
export { parseCondition, ConditionSyntaxError } from './rules/parse.js';
export { loadRules, loadRulesFromText, type LoadOptions, type LoadResult, type RulesText } from './rules/load.js';
export { defaultRulesPath } from './rules/defaults.js';
export { formatDiagnostic, ERROR_CODES, WARNING_CODES } from './rules/diagnostics.js';
export { ENGINE_VERSION, BUILTIN_PLUGINS } from './rules/versions.js';
export { PRIORITIES, type Priority, type RuleSpec, type Diagnostic, type Severity, type SourceLocation } from './rules/types.js';
export type * from './rules/ast.js';
export { RuleSet, SourceRuleSet, type CompiledRule, type RuleSetOptions } from './engine/ruleset.js';
export { alertToJson, alertToText, type Alert } from './engine/alert.js';
export { compileRule, compileCondition } from './engine/compile.js';
export { CompileError, type CompileWarning } from './engine/errors.js';
export { compileOutput, type OutputFormatter } from './engine/output.js';
export { builtinSources } from './sources/index.js';
export type { EventSource } from './sources/source.js';
export { FieldRegistry } from './fields/registry.js';
export type { FieldDef, FieldType, FieldValue, Scalar } from './fields/types.js';
