// The node agent's pod spec, run for real: the kestrel DaemonSet's security context, host
// namespaces, mounts, environment, working directory and command, translated one for one into
// a podman container. This machine's root filesystem stands in for the image, with the
// repository mounted where the image has it; KESTREL_DEPLOY_IMAGE=<image built from
// deploy/Containerfile> runs that image instead. The eBPF collector must attach with exactly those privileges
// and alert on a host process reading /etc/shadow; without CAP_PERFMON it must not.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, kubectlSkipReason } from './k8s.js';
import { alertFrom, readyz, runPod, stop } from './pod.js';
import { loadShipped, workloadRunning, type Shipped, type Workload } from './shipped.js';
import { acquireLiveLock } from '../sources/syscall/live/helpers.js';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: the eBPF collector needs root to load';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'this kernel has no BTF (/sys/kernel/btf/vmlinux)';
  if (!existsSync(join(ROOT, 'native/build/Release/kestrel_collector.node'))) return 'the native collector is not built (scripts/build-native.sh)';
  if (!existsSync(join(ROOT, 'dist/cli.js'))) return 'dist/cli.js is not built (scripts/build.sh)';
  const p = spawnSync('podman', ['--version']);
  if (p.error || p.status !== 0) return 'podman is not installed (scripts/system-packages.sh installs it as root)';
  return kubectlSkipReason();
}
/** An image built from deploy/Containerfile to run instead of this machine's filesystem. */
const IMAGE = process.env.KESTREL_DEPLOY_IMAGE;
const skip = skipReason();
if (skip) console.warn(`test/deploy/node-agent: skipped: ${skip}`);

function readable(path: string): boolean {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skip)('the node agent pod (kestrel DaemonSet) under podman', () => {
  let s: Shipped;
  let w: Workload;
  let dir: string;
  let release: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    s = loadShipped();
    w = workloadRunning(s, 'syscall');
    dir = mkdtempSync(join(tmpdir(), 'kestrel-deploy-pod-'));
    release = await acquireLiveLock();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await release?.();
  });

  it('attaches the eBPF collector with the shipped privileges and alerts on a host process', async () => {
    const run = await runPod(w, s, dir, { image: IMAGE });
    try {
      const { body } = await readyz(run, (status) => status === 200);
      expect(body.sources).toEqual({ syscall: { ready: true } });
      const attached = run.stderr.split('\n').find((l) => l.includes('eBPF collector attached'));
      expect(attached, run.stderr).toBeDefined();
      // The host's processes, read through the /host/proc mount.
      expect(JSON.parse(attached!).processes).toBeGreaterThan(10);
      expect(attached).toContain('/host/proc');

      const token = randomBytes(6).toString('hex');
      spawnSync('cat', ['/etc/shadow', `/nonexistent-${token}`]);
      const alert = await alertFrom(run, 'cat /etc/shadow', (a) => a.rule === 'Read sensitive file untrusted' && String(a.output_fields?.['proc.cmdline']).includes(token));
      expect(alert.output_fields).toMatchObject({ 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'user.uid': 0, 'container.id': 'host' });
      // Host user names come from /host/proc/1/root/etc/passwd; some sandboxes (not Kubernetes
      // nodes, where pid 1 is the init system) refuse everyone access to their pid 1's root.
      if (readable('/proc/1/root/etc/passwd')) expect(alert.output_fields['user.name']).toBe('root');
    } finally {
      await stop(run);
    }
  }, 120_000);

  it('is not ready, and says why, without CAP_PERFMON', async () => {
    const run = await runPod(w, s, dir, {
      image: IMAGE,
      securityContext: (sc) => ({ ...sc, capabilities: { ...sc.capabilities, add: sc.capabilities.add.filter((c: string) => c !== 'PERFMON') } }),
    });
    try {
      const { status, body } = await readyz(run, (st, b) => st === 503 && b?.sources?.syscall?.ready === false);
      expect(status).toBe(503);
      expect(body.sources.syscall.reason).toMatch(/CAP_PERFMON/);
    } finally {
      await stop(run);
    }
  }, 120_000);
});
