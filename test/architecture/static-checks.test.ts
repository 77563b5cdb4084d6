// `npm test` also type-checks and lints: this file runs package.json's "typecheck" and "lint" scripts
// (their local binaries, with the scripts' own arguments) and fails with their output.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPTS = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
const TIMEOUT_MS = 180_000;

interface Run {
  code: number;
  output: string;
}

/** Runs a local binary (node_modules/.bin) from the repository root; never rejects. */
function run(bin: string, args: readonly string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      `${ROOT}node_modules/.bin/${bin}`,
      args,
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: TIMEOUT_MS - 10_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, output: `$ ${bin} ${args.join(' ')}\n${stdout}${stderr}${err && code === -1 ? String(err) : ''}` });
      },
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** An npm script's binary and arguments (the scripts are plain `bin arg...` lines, no shell syntax). */
function script(name: string, bin: string): string[] {
  const line = SCRIPTS[name];
  expect(line, `package.json has a "${name}" script`).toBeDefined();
  expect(line, `"${name}" is a plain command line`).not.toMatch(/[&|;<>$`'"]/);
  const [first, ...args] = line!.trim().split(/\s+/);
  expect(first).toBe(bin);
  return args;
}

describe('static checks', () => {
  it('npm run typecheck passes: tsc finds no type error in src/, test/ and bench/', { timeout: TIMEOUT_MS }, async () => {
    const r = await run('tsc', script('typecheck', 'tsc'));
    expect(r.code, r.output).toBe(0);
  });

  it('npm run lint passes: ESLint finds no problem in src/, test/, bench/ and scripts/', { timeout: TIMEOUT_MS }, async () => {
    const r = await run('eslint', script('lint', 'eslint'));
    expect(r.code, r.output).toBe(0);
  });

  it('the type check covers the sources and the tests', { timeout: TIMEOUT_MS }, async () => {
    const r = await run('tsc', [...script('typecheck', 'tsc'), '--listFilesOnly']);
    expect(r.code, r.output).toBe(0);
    const files = r.output.split('\n').map((f) => f.replace(ROOT, ''));
    expect(files).toContain('src/engine/ruleset.ts');
    expect(files).toContain('src/index.ts');
    expect(files).toContain('test/architecture/static-checks.test.ts');
  });

  it('the lint configuration applies the recommended rules to TypeScript under src/', { timeout: TIMEOUT_MS }, async () => {
    // Linted as if it were a file in src/engine/, without the cache: an any and a never-reassigned let.
    const r = await run('eslint', ['--stdin', '--stdin-filename', 'src/engine/lint-probe.ts'], 'let x: any = 1;\nexport const y = x;\n');
    expect(r.code, r.output).toBe(1);
    expect(r.output).toContain('@typescript-eslint/no-explicit-any');
    expect(r.output).toContain('prefer-const');
  });
});
