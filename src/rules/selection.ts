// Which loaded rules run: Falco's rule selection, applied after every rules file loaded (so it
// wins over `enabled:` in the files and their overrides), in Falco's order
// (app/actions/load_rules_files.cpp): the config's `rules:` entries in order (enable/disable by
// rule name, `*` wildcards, or by tag), then -D (disable rules whose name contains the text),
// -T (disable rules with the tag), and -t (only rules with one of the tags).
import type { RuleSpec } from '../engine/rule.js';

export interface SelectionEntry {
  enable?: { rule?: string; tag?: string };
  disable?: { rule?: string; tag?: string };
}

export interface CommandLineSelection {
  /** -t: only rules with one of these tags. */
  onlyTags?: readonly string[];
  /** -T: rules with one of these tags are disabled. */
  disableTags?: readonly string[];
  /** -D: rules whose name contains one of these are disabled. */
  disableNames?: readonly string[];
}

/** Falco's restriction: -t cannot be mixed with -T/-D. Returns the message, or undefined. */
export function selectionConflict(s: CommandLineSelection): string | undefined {
  if ((s.onlyTags?.length ?? 0) > 0 && ((s.disableTags?.length ?? 0) > 0 || (s.disableNames?.length ?? 0) > 0)) {
    return 'you can not specify both disabled (-D/-T) and enabled (-t) rules';
  }
  return undefined;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

/** Whether a rule runs, or undefined when nothing selects anything (each rule's own `enabled`). */
export function ruleSelector(entries: readonly SelectionEntry[], cmd: CommandLineSelection = {}): ((spec: RuleSpec) => boolean) | undefined {
  const steps: Array<(spec: RuleSpec, enabled: boolean) => boolean> = [];
  for (const e of entries) {
    const on = e.enable !== undefined;
    const sel = e.enable ?? e.disable ?? {};
    const name = sel.rule !== undefined ? wildcard(sel.rule) : undefined;
    const tag = sel.tag;
    steps.push((spec, enabled) => ((name && name.test(spec.name)) || (tag !== undefined && spec.tags.includes(tag)) ? on : enabled));
  }
  for (const text of cmd.disableNames ?? []) steps.push((spec, enabled) => (spec.name.includes(text) ? false : enabled));
  if (cmd.disableTags?.length) {
    const tags = new Set(cmd.disableTags);
    steps.push((spec, enabled) => (spec.tags.some((t) => tags.has(t)) ? false : enabled));
  }
  if (cmd.onlyTags?.length) {
    const tags = new Set(cmd.onlyTags);
    steps.push((spec) => spec.tags.some((t) => tags.has(t)));
  }
  if (steps.length === 0) return undefined;
  return (spec) => steps.reduce((enabled, step) => step(spec, enabled), spec.enabled);
}
