// bench/vs-libsinsp: the conditions Kestrel's loader expands are printed so that libsinsp 2022's
// string compiler (no precedence, its own quoting) reads them as Falco's grammar does, and both
// engines then count the same matches per rule on a Falco fixture capture. Measures nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RULES = join(ROOT, 'test/bench/fixtures/vs-libsinsp-syntax.yaml');
const CAT_WRITE = join(ROOT, '../shared/falco-fixtures/scap/cat_write.scap');
const built = existsSync(join(ROOT, 'dist/rules/load.js'));
if (!built) console.warn('SKIPPED: dist/ not built (run scripts/build.sh)');

const bench = (file: string) => import(pathToFileURL(join(ROOT, 'bench/vs-libsinsp', file)).href);
const dir = mkdtempSync(join(tmpdir(), 'kestrel-vs-libsinsp-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!built)('export-conditions.mjs', () => {
  it('parenthesises every compound operand, quotes every value with \\xHH for quotes and backslashes, folds empty lists away and leaves rules on enter events out', async () => {
    const { exportConditions } = await bench('export-conditions.mjs');
    const { lines, skipped } = await exportConditions([RULES]);
    expect(lines).toEqual([
      'and binds tighter than or\t(evt.type = "execve" and evt.dir = "<") or (evt.type = "open" and evt.dir = "<" and fd.name = "/etc/ld.so.cache")',
      'quotes and backslashes in a value\tevt.type = "execve" and evt.dir = "<" and proc.name != "it\\x27s \\x22quoted\\x22 \\x5c here"',
      'not over an in list\tevt.dir = "<" and evt.type in ("open", "openat") and (not (fd.name in ("/etc/ld.so.cache", "/dev/null")))',
      'pmatch over prefixes\tevt.type = "open" and evt.dir = "<" and fd.name pmatch ("/lib", "/usr/lib")',
      'an empty list under not folds away\tevt.type = "execve" and evt.dir = "<"',
    ]);
    expect(skipped).toEqual([
      { name: 'an empty list folds to false', why: 'condition always false (empty list)' },
      { name: 'a rule on enter events is left out', why: 'matches enter events (evt.dir = >), which Kestrel does not have' },
    ]);
  });
});

describe.skipIf(!built)('sinsp_bench.cpp and kestrel_bench.mjs on cat_write.scap', async () => {
  const { missingPrerequisites } = built ? await bench('build.mjs') : { missingPrerequisites: () => 'dist/' };
  const missing: string | undefined = missingPrerequisites();
  // as root scripts/system-packages.sh installs the packages: a missing one fails the test there
  const absent = (process.getuid?.() === 0 ? undefined : missing) ?? (existsSync(CAT_WRITE) ? undefined : `${CAT_WRITE} is absent`);
  if (absent) console.warn(`SKIPPED: ${absent}`);

  it.skipIf(absent !== undefined)('libsinsp compiles every exported condition and both engines count the same matches per rule', { timeout: 180_000 }, async () => {
    const { buildSinspBench, prepareRules } = await bench('build.mjs');
    const { runEngine } = await bench('engines.mjs');
    const capture = join(dir, 'cat_write.scap');
    writeFileSync(capture, gunzipSync(readFileSync(CAT_WRITE)));
    const sinspBench = buildSinspBench(dir);
    const rules = await prepareRules(dir, 'syntax', RULES, sinspBench, capture);
    expect(rules.refused).toEqual([]);
    const expected = {
      'and binds tighter than or': 2,
      'quotes and backslashes in a value': 1,
      'not over an in list': 2,
      'pmatch over prefixes': 2,
      'an empty list under not folds away': 1,
    };
    const job = { sinspBench, capture, mode: 'all', rules };
    expect(runEngine('libsinsp', job).matches).toEqual(expected);
    expect(runEngine('kestrel', job).matches).toEqual(expected);
    // the parse-only mode reads the whole capture too
    expect(execFileSync(sinspBench, ['--mode', 'parse', capture], { encoding: 'utf8' })).toMatch(/"events":345,/);
  });
});
