// The contract between the rules loader (read -> collect -> resolve) and the engine (compile).
import type { Expr, SourceLocation } from './ast.js';

export type { SourceLocation } from './ast.js';

/** Falco's priorities, most severe first, spelled as Falco prints them in alerts. */
export const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** A rule ready to compile: macros and lists expanded, exceptions merged into the condition. */
export interface RuleSpec {
  name: string;
  desc: string;
  condition: Expr;
  /**
   * The condition text after append/override, with the exceptions composed in as Falco does
   * (`(cond) and not (...)`), before list and macro expansion (for messages).
   */
  conditionText: string;
  output: string;
  priority: Priority;
  source: string;
  tags: string[];
  enabled: boolean;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  capture: boolean;
  captureDuration?: number;
  /** Where the rule item starts (its `- rule:` line). */
  location: SourceLocation;
  /** Where the output template starts, for output-field errors. */
  outputLocation?: SourceLocation;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `unknown-field`, `macro-cycle`, `unused-list`. */
  code: string;
  /** The Falco load_result code this corresponds to, e.g. `LOAD_ERR_YAML_VALIDATE`, `LOAD_UNUSED_MACRO`. */
  falcoCode?: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** The item the message is about. */
  item?: { type: 'rule' | 'macro' | 'list' | 'required_engine_version' | 'required_plugin_versions' | 'file'; name?: string };
}
