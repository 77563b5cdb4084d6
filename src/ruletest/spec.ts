// Rule test files (rules/tests/*.yaml): read and checked into cases. A file is a mapping with an
// optional `rules:` (rules files or directories, relative to the test file; default: the bundled
// rules), an optional `syscalls_setup:` (a scenario every `syscalls:` case starts from) and `cases:`,
// a list of cases. Each case has a `name`, optional `rules`, exactly one event
// key (`audit`, `audit_log`, `capture`, `syscalls`) and `expect` (a list of alerts, or `no alerts`).
// Every problem names file:line:col; a bad case is reported alone and the others still run.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { Json } from '../sources/k8saudit/event.js';

export interface Where {
  file: string;
  line: number;
  column: number;
}

export const whereText = (w: Where): string => `${w.file}:${w.line}:${w.column}`;

export class SpecError extends Error {
  constructor(
    readonly where: Where,
    readonly reason: string,
  ) {
    super(`${whereText(where)}: ${reason}`);
  }
}

/** The events a case feeds to the rules. */
export type EventSpec =
  | { kind: 'audit'; body: Json; at: Where }
  | { kind: 'audit_log'; path: string; at: Where }
  | { kind: 'capture'; path: string; at: Where }
  | ({ kind: 'syscalls'; setup?: ScenarioText } & ScenarioText);

/** A scenario's text; `line` and `column` are where its first line starts in the file. */
export interface ScenarioText {
  text: string;
  at: Where;
  line: number;
  column: number;
}

export const EVENT_KEYS = ['audit', 'audit_log', 'capture', 'syscalls'] as const;

export interface ExpectedAlert {
  rule: string;
  /** How many alerts of the rule (default 1). */
  count: number;
  /** Output fields every alert of the rule must have, by field name (null: no value). */
  fields: Record<string, string | null>;
  priority?: string;
}

export interface TestCase {
  name: string;
  at: Where;
  /** Absolute paths of the rules files or directories, in load order (empty: the bundled rules). */
  rules: string[];
  events: EventSpec;
  /** Empty for `no alerts`. */
  expect: ExpectedAlert[];
}

/** One case as read: the case, or why it cannot run. */
export type CaseEntry = { ok: true; test: TestCase } | { ok: false; name: string; error: SpecError };

export interface TestFile {
  file: string;
  cases: CaseEntry[];
}

const FILE_KEYS = new Set(['rules', 'syscalls_setup', 'cases']);
const CASE_KEYS = new Set(['name', 'rules', 'expect', ...EVENT_KEYS]);
const ALERT_KEYS = new Set(['rule', 'count', 'fields', 'priority']);
const NO_ALERTS = new Set(['no alerts', 'none']);

/** Reads a test file; throws SpecError when the file as a whole is unusable. */
export async function readTestFile(file: string): Promise<TestFile> {
  const text = await readFile(file, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const at = (node: Node | null | undefined, offset = 0): Where => {
    const p = lc.linePos(node?.range?.[0] ?? offset);
    return { file, line: p.line, column: p.col };
  };
  const first = doc.errors[0];
  if (first) throw new SpecError(at(undefined, first.pos[0]), `YAML: ${first.message.split('\n')[0]}`);
  const root = doc.contents;
  if (!isMap(root)) throw new SpecError(at(root), 'a rule test file is a mapping with "cases:" (and optionally "rules:")');
  const lines = text.split('\n');
  // Where a scenario's text starts: a "|" or ">" block on the next line, at its indentation.
  const scenarioText = (node: Scalar, value: string): ScenarioText => {
    const w = at(node);
    if (node.type !== 'BLOCK_LITERAL' && node.type !== 'BLOCK_FOLDED') return { text: value, at: w, line: w.line, column: w.column };
    const next = lines[w.line] ?? ''; // lines[] is 0-based: the line after the indicator
    return { text: value, at: w, line: w.line + 1, column: next.length - next.trimStart().length + 1 };
  };
  const r = new CaseReader(file, at, scenarioText);
  r.onlyKeys(root, FILE_KEYS, 'the file');
  const fileRules = root.has('rules') ? r.paths(root.get('rules', true) as Node) : [];
  const setupNode = root.get('syscalls_setup', true) as Node | undefined;
  let setup: ScenarioText | undefined;
  if (setupNode !== undefined) {
    if (!isScalar(setupNode) || typeof setupNode.value !== 'string') throw new SpecError(at(setupNode), '"syscalls_setup:" is a scenario text (use a "|" block)');
    setup = scenarioText(setupNode, setupNode.value);
  }
  const cases = root.get('cases', true) as Node | undefined;
  if (!isSeq(cases) || cases.items.length === 0) throw new SpecError(at(cases ?? root), '"cases:" must be a non-empty list of cases');
  return { file, cases: cases.items.map((c, i) => r.entry(c as Node, i, fileRules, setup)) };
}

class CaseReader {
  private readonly dir: string;

  constructor(
    file: string,
    private readonly at: (node: Node | null | undefined) => Where,
    private readonly scenarioText: (node: Scalar, value: string) => ScenarioText,
  ) {
    this.dir = dirname(file);
  }

  entry(node: Node, index: number, fileRules: string[], setup?: ScenarioText): CaseEntry {
    const fallback = `case ${index + 1}`;
    const name = isMap(node) ? node.get('name') : undefined;
    try {
      return { ok: true, test: this.testCase(node, fileRules, setup) };
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      return { ok: false, name: typeof name === 'string' && name !== '' ? name : fallback, error: e };
    }
  }

  private testCase(node: Node, fileRules: string[], setup?: ScenarioText): TestCase {
    if (!isMap(node)) throw this.error(node, 'a case is a mapping (name, events, expect)');
    this.onlyKeys(node, CASE_KEYS, 'a case');
    const name = this.string(node, 'name');
    const given = EVENT_KEYS.filter((k) => node.has(k));
    if (given.length !== 1) {
      throw this.error(node, `a case needs exactly one of ${EVENT_KEYS.join(', ')}${given.length > 1 ? ` (has ${given.join(', ')})` : ''}`);
    }
    const rules = node.has('rules') ? this.paths(node.get('rules', true) as Node) : fileRules;
    const events = this.events(node, given[0]!);
    if (events.kind === 'syscalls' && setup) events.setup = setup;
    return { name, at: this.at(node), rules, events, expect: this.expectations(node) };
  }

  private events(node: YAMLMap, key: (typeof EVENT_KEYS)[number]): EventSpec {
    const value = node.get(key, true) as Node;
    const at = this.at(value);
    if (key === 'audit') {
      if (!isMap(value) && !isSeq(value)) throw this.error(value, '"audit:" is an audit Event or an EventList (a mapping)');
      return { kind: 'audit', body: value.toJSON() as Json, at };
    }
    if (!isScalar(value) || typeof value.value !== 'string' || value.value.trim() === '') {
      throw this.error(value, key === 'syscalls' ? '"syscalls:" is a scenario text (use a "|" block)' : `"${key}:" is a file path`);
    }
    if (key === 'syscalls') return { kind: 'syscalls', ...this.scenarioText(value, value.value) };
    return { kind: key, path: resolve(this.dir, value.value), at };
  }

  private expectations(node: YAMLMap): ExpectedAlert[] {
    const value = node.get('expect', true) as Node | undefined;
    if (value === undefined) throw this.error(node, 'a case needs "expect:" (a list of alerts, or "no alerts")');
    if (isScalar(value) && typeof value.value === 'string' && NO_ALERTS.has(value.value)) return [];
    if (!isSeq(value) || value.items.length === 0) throw this.error(value, '"expect:" is a list of alerts ({rule, count, fields}) or "no alerts"');
    const seen = new Set<string>();
    return value.items.map((item) => {
      const n = item as Node;
      const alert = this.alert(n);
      if (seen.has(alert.rule)) throw this.error(n, `rule "${alert.rule}" is expected twice; give one entry with a count`);
      seen.add(alert.rule);
      return alert;
    });
  }

  private alert(node: Node): ExpectedAlert {
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '') return { rule: node.value, count: 1, fields: {} };
    if (!isMap(node)) throw this.error(node, 'an expected alert is a rule name or a mapping with "rule:"');
    this.onlyKeys(node, ALERT_KEYS, 'an expected alert');
    const out: ExpectedAlert = { rule: this.string(node, 'rule'), count: 1, fields: {} };
    if (node.has('count')) {
      const c = node.get('count', true) as Node;
      if (!isScalar(c) || typeof c.value !== 'number' || !Number.isInteger(c.value) || c.value < 1) throw this.error(c, '"count:" is a whole number, 1 or more');
      out.count = c.value;
    }
    if (node.has('priority')) out.priority = this.string(node, 'priority');
    if (node.has('fields')) {
      const f = node.get('fields', true) as Node;
      if (!isMap(f)) throw this.error(f, '"fields:" maps output field names to values');
      for (const pair of f.items) {
        const k = pair.key as Node;
        const v = pair.value as Node | null;
        if (!isScalar(k) || typeof k.value !== 'string') throw this.error(k, 'a field name is a string');
        if (v !== null && !isScalar(v)) throw this.error(v, `the value of ${k.value} is a single value (string, number, true/false or null)`);
        const raw = v === null ? null : v.value;
        out.fields[k.value] = raw === null || raw === undefined ? null : String(raw);
      }
    }
    return out;
  }

  paths(node: Node): string[] {
    const items = isSeq(node) ? (node.items as Node[]) : [node];
    if (items.length === 0) throw this.error(node, '"rules:" names at least one rules file or directory');
    return items.map((i) => {
      if (!isScalar(i) || typeof i.value !== 'string' || i.value === '') throw this.error(i, '"rules:" is a path or a list of paths');
      return resolve(this.dir, i.value);
    });
  }

  onlyKeys(map: YAMLMap, allowed: ReadonlySet<string>, what: string): void {
    for (const pair of map.items) {
      const k = pair.key as Node;
      const name = isScalar(k) ? String(k.value) : '?';
      if (!allowed.has(name)) throw this.error(k, `unknown key "${name}" in ${what} (expected one of ${[...allowed].join(', ')})`);
    }
  }

  private string(map: YAMLMap, key: string): string {
    const v = map.get(key, true) as Node | undefined;
    if (v === undefined) throw this.error(map, `missing "${key}:"`);
    if (!isScalar(v) || typeof v.value !== 'string' || v.value === '') throw this.error(v, `"${key}:" is a non-empty string`);
    return v.value;
  }

  private error(node: Node | null | undefined, reason: string): SpecError {
    return new SpecError(this.at(node), reason);
  }
}
