// Which response rules an alert triggers: rule names (exact or fnmatch glob, as Falco's
// `-D`/`enabled` matching by name), a minimum priority, required tags, the source, and tests on
// fields (the alert's output fields first, else the field read from the event itself).
import { compileGlob, type StringTest } from '../engine/glob.js';
import { PRIORITIES } from '../engine/rule.js';
import type { Alert } from '../engine/alert.js';
import type { FieldMatch, ResponseRule } from './config.js';

export type FieldLookup = (field: string) => string | undefined;
export type AlertTest = (alert: Alert, field: FieldLookup) => boolean;

const GLOB_CHARS = /[*?[]/;

/** A test of a rule name against response-rule patterns (exact names or globs; none: any rule). */
export function ruleNameTest(patterns: readonly string[]): StringTest {
  if (patterns.length === 0) return () => true;
  const exact = new Set(patterns.filter((p) => !GLOB_CHARS.test(p)));
  const globs = patterns.filter((p) => GLOB_CHARS.test(p)).map((p) => compileGlob(p));
  return (name) => exact.has(name) || globs.some((g) => g(name));
}

function fieldTest(m: FieldMatch): (v: string | undefined) => boolean {
  if (m.equals !== undefined) return (v) => v === m.equals;
  if (m.in) {
    const set = new Set(m.in);
    return (v) => v !== undefined && set.has(v);
  }
  if (m.not_in) {
    const set = new Set(m.not_in);
    // a missing value is not "not in": a rule about non-admins must not fire for an unknown user
    return (v) => v !== undefined && !set.has(v);
  }
  const prefix = m.prefix ?? '';
  return (v) => v !== undefined && v.startsWith(prefix);
}

export function compileMatch(rule: ResponseRule): AlertTest {
  const m = rule.match;
  const names = ruleNameTest(m.rules);
  // PRIORITIES runs from most to least severe: "at least Warning" is an index <= Warning's.
  const maxIndex = m.priority ? PRIORITIES.indexOf(m.priority) : PRIORITIES.length;
  const fields = m.fields.map((f) => ({ field: f.field, test: fieldTest(f) }));
  return (alert, field) => {
    if (m.source && alert.source !== m.source) return false;
    if (PRIORITIES.indexOf(alert.priority) > maxIndex) return false;
    if (!names(alert.rule)) return false;
    for (const t of m.tags) if (!alert.tags.includes(t)) return false;
    for (const f of fields) if (!f.test(field(f.field))) return false;
    return true;
  };
}
