// Every condition of every rule and macro in the upstream Falco rules files must parse.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseCondition } from '../../src/condition/parse.js';
import { show } from './parse-print.js';

const DIR = new URL('../../../shared/upstream-rules/', import.meta.url).pathname;
const present = existsSync(DIR);
if (!present) console.warn(`SKIPPED upstream condition parsing: ${DIR} not found`);

interface Item {
  file: string;
  name: string;
  condition: string;
}

function conditions(file: string): Item[] {
  const doc: unknown = parseYaml(readFileSync(DIR + file, 'utf8'));
  if (!Array.isArray(doc)) return [];
  return doc.flatMap((entry: Record<string, unknown>) => {
    const name = entry.rule ?? entry.macro;
    return typeof name === 'string' && typeof entry.condition === 'string'
      ? [{ file, name, condition: entry.condition }]
      : [];
  });
}

describe.skipIf(!present)('upstream rules files', () => {
  const files = present ? readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort() : [];

  it('has the four upstream files', () => {
    expect(files).toEqual(['falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml', 'falco_rules.yaml', 'k8s_audit_rules.yaml']);
  });

  it.each(files)('parses every rule and macro condition of %s', (file) => {
    const items = conditions(file);
    expect(items.length).toBeGreaterThan(50);
    const failures = items.flatMap(({ name, condition }) => {
      try {
        parseCondition(condition);
        return [];
      } catch (err) {
        return [`${name}: ${(err as Error).message}`];
      }
    });
    expect(failures).toEqual([]);
  });

  it('reads known upstream conditions into the expected trees', () => {
    const byName = new Map(files.flatMap(conditions).map((i) => [i.name, i.condition]));
    const tree = (name: string) => show(parseCondition(byName.get(name)!));
    expect(tree('open_write')).toBe(
      '(and (in evt.type [open, openat, openat2]) (= evt.is_open_write true) (= fd.typechar "f") (>= fd.num 0))',
    );
    expect(tree('spawned_process')).toBe('(in evt.type [execve, execveat])');
    // "\ " is libsinsp's legacy escape for a backslash; the upstream rule relies on it
    const withBackslash = [...byName.values()].find((c) => c.includes('proc.args contains "\\ "'));
    expect(withBackslash).toBeDefined();
    expect(show(parseCondition(withBackslash!))).toContain('(contains proc.args "\\\\")');
  });
});
