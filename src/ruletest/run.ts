// `kestrel test`: runs rule test files (spec.ts) and reports one line per case, a diff under each
// failure, and a last line `N passed, M failed`. Rules are loaded once per distinct list of rules
// paths; each case's events go through the rules of their source, every rule evaluated
// (rule_matching: all), as replay does.
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { builtinSources } from '../agent/source-list.js';
import type { Alert } from '../engine/alert.js';
import type { RuleSet } from '../engine/ruleset.js';
import { defaultRulesPath } from '../rules/defaults.js';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { loadRules } from '../rules/load.js';
import { caseEvents } from './events.js';
import { judge } from './expect.js';
import { readTestFile, SpecError, whereText, type CaseEntry, type TestCase } from './spec.js';

/** Alert times and hostnames in tests do not depend on the machine. */
export const TEST_HOSTNAME = 'kestrel-test';

export interface RunSummary {
  passed: number;
  failed: number;
}

type Print = (line: string) => void;

/** The test files named by `path`: the file itself, or a directory's *.yaml / *.yml in name order. */
export async function testFiles(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path, { withFileTypes: true })).filter((d) => d.isFile() && /\.ya?ml$/.test(d.name)).map((d) => d.name);
  return names.sort().map((n) => join(path, n));
}

export async function runRuleTests(paths: readonly string[], print: Print): Promise<RunSummary> {
  const summary: RunSummary = { passed: 0, failed: 0 };
  const rulesets = new Map<string, Promise<RuleSet | string[]>>();
  // paths below the working directory are shown relative to it, as the user typed them
  const here = process.cwd() + sep;
  const say: Print = (line) => print(line.replaceAll(here, ''));
  const fail = (title: string, details: readonly string[] = []) => {
    say(`FAIL ${title}`);
    for (const l of details) say(`     ${l}`);
    summary.failed++;
  };
  const files: string[] = [];
  for (const p of paths) {
    try {
      files.push(...(await testFiles(p)));
    } catch (e) {
      if (!isFsError(e)) throw e;
      fail(`${p}: ${(e as Error).message}`);
    }
  }
  for (const file of files) {
    let cases: CaseEntry[];
    try {
      cases = (await readTestFile(file)).cases;
    } catch (e) {
      if (!(e instanceof SpecError) && !isFsError(e)) throw e;
      fail(e instanceof SpecError ? `${whereText(e.where)}: ${e.reason}` : `${file}: ${(e as Error).message}`);
      continue;
    }
    for (const entry of cases) {
      if (!entry.ok) {
        fail(`${whereText(entry.error.where)} ${entry.name}`, [entry.error.reason]);
        continue;
      }
      const t = entry.test;
      const result = await runCase(t, rulesets);
      const title = `${t.at.file}:${t.at.line} ${t.name}`;
      if (!result.pass) {
        fail(title, result.lines);
        continue;
      }
      say(`ok   ${title}`);
      summary.passed++;
    }
  }
  say(`${summary.passed} passed, ${summary.failed} failed`);
  return summary;
}

function isFsError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

async function runCase(t: TestCase, rulesets: Map<string, Promise<RuleSet | string[]>>): Promise<{ pass: boolean; lines: string[] }> {
  const paths = t.rules.length > 0 ? t.rules : [defaultRulesPath()];
  const key = JSON.stringify(paths);
  let loading = rulesets.get(key);
  if (!loading) {
    loading = load(paths);
    rulesets.set(key, loading);
  }
  const ruleset = await loading;
  if (Array.isArray(ruleset)) return { pass: false, lines: ['the rules did not load:', ...ruleset] };
  const problems: string[] = [];
  const alerts: Alert[] = [];
  try {
    const { source, events } = caseEvents(t.events, (p) => problems.push(p));
    const rules = ruleset.forSource(source);
    let count = 0;
    for await (const e of events) {
      count++;
      if (rules) alerts.push(...rules.evaluate(e));
    }
    // "no alerts" from no events would pass without testing anything
    if (count === 0 && problems.length === 0) problems.push(`${whereText(t.events.at)}: the case has no events`);
  } catch (e) {
    if (e instanceof SpecError) problems.push(`${whereText(e.where)}: ${e.reason}`);
    else problems.push(`${whereText(t.events.at)}: cannot read the events: ${(e as Error).message}`);
  }
  if (problems.length > 0) return { pass: false, lines: problems };
  const verdict = judge(t.expect, alerts);
  return { pass: verdict.pass, lines: verdict.pass ? [] : ['- expected', '+ produced', ...verdict.diff] };
}

async function load(paths: string[]): Promise<RuleSet | string[]> {
  const r = await loadRules(paths, { sources: builtinSources(), hostname: TEST_HOSTNAME, ruleMatching: 'all' });
  return r.errors.length > 0 ? r.errors.map(formatDiagnostic) : r.ruleset;
}
