// .ci/live-skips.mjs, the CI check that a run as root skipped no live eBPF/podman test: fed
// vitest JSON reports naming real files, it fails on a skipped live test and passes otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHECK = new URL('../../.ci/live-skips.mjs', import.meta.url).pathname;
const asRoot = process.getuid?.() === 0;

function check(files: Record<string, { source: string; status: string }>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-live-skips-'));
  const testResults = Object.entries(files).map(([name, f]) => {
    const path = join(dir, name);
    writeFileSync(path, f.source);
    return { name: path, status: 'passed', assertionResults: [{ fullName: `${name} a test`, status: f.status }] };
  });
  const report = join(dir, 'report.json');
  writeFileSync(report, JSON.stringify({ testResults }));
  return spawnSync(process.execPath, [CHECK, report], { encoding: 'utf8', env: { ...process.env, ...env } });
}

// spelled in two parts so that this file is no live test file itself
const LIVE = `const reason = ${'liveSkipReason'}();`;
const PODMAN = `const reason = ${'podmanSkipReason'}();`;

describe.runIf(asRoot)('.ci/live-skips.mjs as root', () => {
  it('fails naming each skipped eBPF or podman test', () => {
    const r = check({ 'a.test.ts': { source: LIVE, status: 'skipped' }, 'b.test.ts': { source: PODMAN, status: 'skipped' }, 'c.test.ts': { source: LIVE, status: 'passed' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('2 live eBPF/podman test(s) skipped while running as root');
    expect(r.stderr).toContain('a.test.ts a test');
    expect(r.stderr).toContain('b.test.ts a test');
  });

  it('passes when every live test ran, whatever other files skipped', () => {
    const r = check({ 'a.test.ts': { source: LIVE, status: 'passed' }, 'other.test.ts': { source: 'const x = 1;', status: 'skipped' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lets a live test that needs the shared fixtures skip only when the fixtures folder is absent', () => {
    const files = { 'up.test.ts': { source: `${LIVE} const UPSTREAM = '../shared/upstream-rules';`, status: 'skipped' } };
    const absent = check(files, { KESTREL_SHARED_DIR: '/nonexistent/shared' });
    expect(absent.status).toBe(0);
    expect(absent.stdout).toContain('1 live test(s) skipped because the shared fixtures are absent');
    const present = check(files, { KESTREL_SHARED_DIR: tmpdir() });
    expect(present.status).toBe(1);
    expect(present.stderr).toContain('up.test.ts a test');
  });

  it('fails when the report cannot be read', () => {
    const r = spawnSync(process.execPath, [CHECK, '/nonexistent/report.json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot read the vitest JSON report');
  });
});
