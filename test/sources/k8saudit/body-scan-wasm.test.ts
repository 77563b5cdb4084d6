// The committed WebAssembly scanner (body-scan-wasm.ts) is what wasm/body-scan.c compiles to.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = new URL('../../../src/sources/k8saudit/wasm/', import.meta.url).pathname;
const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const toolchain = has('clang') && (has('wasm-ld') || has('wasm-ld-14'));
// as root scripts/system-packages.sh installs clang and lld-14: a missing one fails here
const skip = !toolchain && process.getuid?.() !== 0;
if (skip) console.warn('SKIPPED (body-scan-wasm.test.ts): clang or wasm-ld not installed (apt-get install clang lld-14)');

describe.skipIf(skip)('the WebAssembly body scanner', () => {
  it('body-scan-wasm.ts is up to date with body-scan.c (rebuild: src/sources/k8saudit/wasm/build.sh)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kestrel-wasm-')), 'body-scan-wasm.ts');
    execFileSync('bash', [join(dir, 'build.sh'), out], { stdio: 'pipe' });
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(dir, 'body-scan-wasm.ts'), 'utf8'));
  });
});
