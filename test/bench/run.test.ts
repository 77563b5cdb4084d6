// bench/run.js (npm run bench) with --quick: every default benchmark still loads its dist/ modules
// and runs to the end. Measures nothing; a renamed module or export breaks it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(`${ROOT}dist/index.js`);
if (!built) console.warn('SKIPPED: dist/ not built (run scripts/build.sh)');

function runBench(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bench/run.js', ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: stdout + stderr });
    });
  });
}

describe.skipIf(!built)('npm run bench', () => {
  it('runs eval-synthetic, syscall and load one after another and sums them up (--quick)', { timeout: 240_000 }, async () => {
    const r = await runBench(['--quick']);
    expect(r.code, r.output).toBe(0);
    const summary = r.output.slice(r.output.lastIndexOf('=== summary'));
    expect(summary, r.output).toMatch(/^\s+eval-synthetic\s+(ok|skipped)\s/m);
    expect(summary, r.output).toMatch(/^\s+syscall\s+(ok|skipped)\s/m);
    expect(summary, r.output).toMatch(/^\s+load\s+(ok|skipped)\s/m);
  });

  it('runs only the benchmark named, and refuses an unknown name', { timeout: 120_000 }, async () => {
    const one = await runBench(['--quick', 'syscall']);
    expect(one.code, one.output).toBe(0);
    const summary = one.output.slice(one.output.lastIndexOf('=== summary'));
    expect(summary.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]), one.output).toEqual(['syscall']);
    const bad = await runBench(['no-such-bench']);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("no benchmark named 'no-such-bench'");
  });
});
