// Helpers for loader tests: rules texts in, LoadResult out; real k8s audit events to evaluate.
import { loadRulesFromText, type LoadOptions, type LoadResult } from '../../src/index.js';
import type { Diagnostic } from '../../src/rules/diagnostics.js';
import { AuditEvent, type JsonObject } from '../../src/sources/k8saudit/event.js';

/** Strips the common indentation of a template literal's lines (and its first/last blank line). */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  // An interpolated multi-line value is indented like the line it is placed on.
  const raw = strings.reduce((acc, s, i) => {
    acc += s;
    if (i >= values.length) return acc;
    const indent = /[ \t]*$/.exec(acc.slice(acc.lastIndexOf('\n') + 1))![0];
    return acc + String(values[i]).replace(/\n(?!$)/g, `\n${indent}`);
  }, '');
  const lines = raw.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** Loads texts named file1.yaml, file2.yaml... (or the names given), in order. */
export function load(files: string | string[] | Record<string, string>, options: LoadOptions = {}): LoadResult {
  const named =
    typeof files === 'string'
      ? [{ name: 'rules.yaml', content: files }]
      : Array.isArray(files)
        ? files.map((content, i) => ({ name: `file${i + 1}.yaml`, content }))
        : Object.entries(files).map(([name, content]) => ({ name, content }));
  return loadRulesFromText(named, { hostname: 'test-host', ruleMatching: 'all', ...options });
}

/** `file:line:col` of the n-th (0-based) occurrence of `marker` in `content`. */
export function posOf(file: string, content: string, marker: string, nth = 0): string {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = content.indexOf(marker, at + 1);
    if (at < 0) throw new Error(`marker ${JSON.stringify(marker)} not found`);
  }
  const before = content.slice(0, at).split('\n');
  return `${file}:${before.length}:${before[before.length - 1]!.length + 1}`;
}

export const where = (d: Diagnostic | undefined): string => (d ? `${d.file}:${d.line}:${d.column}` : 'none');

/** Error codes, in order. */
export const errorCodes = (r: LoadResult): string[] => r.errors.map((d) => d.code);
export const warningCodes = (r: LoadResult): string[] => r.warnings.map((d) => d.code);

/** A k8s audit event (audit.k8s.io/v1 Event shape). */
export function audit(obj: JsonObject): AuditEvent {
  return new AuditEvent({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', stage: 'ResponseComplete', ...obj });
}

/** Names of the rules that fire for a k8s audit event. */
export function fired(r: LoadResult, event: AuditEvent): string[] {
  return r.ruleset.evaluate(event, 'k8s_audit').map((a) => a.rule);
}

/** A k8s_audit rule with the given condition (and extra YAML lines, indented by 2). */
export function k8sRule(name: string, condition: string, extra = ''): string {
  return (
    `- rule: ${name}\n  desc: ${name}\n  condition: ${condition}\n  output: "${name} user=%ka.user.name"\n` +
    `  priority: WARNING\n  source: k8s_audit\n${extra}`
  );
}
