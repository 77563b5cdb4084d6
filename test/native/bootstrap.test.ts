// scripts/system-packages.sh and scripts/build-native.sh on a machine without the toolchain:
// a user who cannot install gets one message naming what to install, and the build goes on.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = process.cwd();

describe('bootstrap without the eBPF toolchain', () => {
  let bin: string;
  beforeAll(() => {
    // a PATH with only the basic tools the scripts use: every package probe by command fails
    bin = mkdtempSync(join(tmpdir(), 'kestrel-nopkg-'));
    chmodSync(bin, 0o755);
    for (const t of ['dirname', 'id', 'cat']) symlinkSync(`/usr/bin/${t}`, join(bin, t));
  });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  const run = (script: string, args: string[] = []) =>
    spawnSync('/bin/bash', [join(ROOT, 'scripts', script), ...args], {
      env: { PATH: bin },
      encoding: 'utf8',
      ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}),
    });

  it('system-packages.sh: one message naming every missing package, exit 0, nothing installed', () => {
    const r = run('system-packages.sh');
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kestrel: the eBPF syscall collector and its tests need packages that are not installed: /);
    // (bpftool and runc live in /usr/sbin, which the probes also look at, and the header probes
    // (libbpf-dev, libfalcosecurity0-dev) test files: those count as present here)
    for (const p of ['clang', 'llvm', 'make', 'g++', 'python3', 'podman', 'prometheus', 'sysdig']) expect(lines[0]).toContain(` ${p}`);
    expect(lines[0]).toContain('(as root: apt-get install ');
    expect(r.stdout).toBe('');
  });

  it('build-native.sh --quiet (as bootstrap calls it) adds nothing; alone it says what is missing', () => {
    const quiet = run('build-native.sh', ['--quiet']);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    const alone = run('build-native.sh');
    expect(alone.status).toBe(0);
    expect(alone.stderr.trim().split('\n')).toHaveLength(1);
    expect(alone.stderr).toMatch(/^kestrel: native syscall collector not built: missing clang .*\(install: apt-get install /);
  });
});
