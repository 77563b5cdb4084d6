// The agent accepts what the manifests give it: each shipped configuration loads through the
// agent's config loader from a file, and the rules ConfigMap, laid out as the kubelet writes a
// ConfigMap volume (timestamped directory, ..data and per-key symlinks), validates with
// `kestrel validate` without an error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/agent/config.js';
import { ROOT, kubectlSkipReason } from './k8s.js';
import { configMapVolume, loadShipped, type Shipped } from './shipped.js';

const CLI = join(ROOT, 'dist', 'cli.js');
const skip = kubectlSkipReason() ?? (existsSync(CLI) ? undefined : `${CLI} is not built (scripts/build.sh)`);
if (skip) console.warn(`test/deploy: skipped: ${skip}`);

describe.skipIf(skip)('shipped agent configuration', () => {
  let s: Shipped;
  let tmp: string;
  beforeAll(() => {
    s = loadShipped();
    tmp = mkdtempSync(join(tmpdir(), 'kestrel-deploy-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('loads from the file each DaemonSet mounts, through the agent config loader', async () => {
    for (const w of s.workloads) {
      const file = join(tmp, w.configKey);
      writeFileSync(file, w.configText);
      const cfg = await loadConfig(file);
      expect(cfg, w.daemonSet.metadata.name).toEqual(w.config);
    }
  });

  it('rejects a config with a misspelled key (the loader is strict, so the check above means something)', async () => {
    const w = s.workloads[0]!;
    const file = join(tmp, 'typo.yaml');
    writeFileSync(file, w.configText.replace('listen_port:', 'listen_prot:'));
    await expect(loadConfig(file)).rejects.toThrow(/unknown setting webserver\.listen_prot/);
  });

  it('validates the rules ConfigMap, as mounted by the kubelet, with no error', () => {
    const dir = configMapVolume(join(tmp, 'rules'), s.rulesMap.data);
    const r = spawnSync(process.execPath, [CLI, 'validate', '-r', dir, '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const diags = JSON.parse(r.stdout) as Array<{ severity: string; message: string }>;
    expect(diags.filter((d) => d.severity === 'error')).toEqual([]);
    const text = spawnSync(process.execPath, [CLI, 'validate', '-r', dir], { encoding: 'utf8' });
    // Every key of the ConfigMap is loaded once: the ..data links are not read as rules files.
    expect(text.stdout).toContain(`${Object.keys(s.rulesMap.data).length} file(s)`);
    expect(text.stdout).toMatch(/ 0 error\(s\)/);
  });
});
