// The rule model the engine compiles (like Falco's falco_rule.h): what the rules loader
// (read -> collect -> resolve) hands to the engine, and the priorities alerts carry.
import type { Expr, SourceLocation } from '../condition/ast.js';

export type { SourceLocation } from '../condition/ast.js';

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
