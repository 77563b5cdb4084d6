// The node agent's pod spec, run for real: the kestrel DaemonSet's security context, host
// namespaces, mounts, environment, working directory and command, translated one for one into
// a podman container. This machine's root filesystem stands in for the image, with the
// repository mounted where the image has it; KESTREL_DEPLOY_IMAGE=<image built from
// deploy/Containerfile> runs that image instead. The eBPF collector must attach with exactly those privileges
// and alert on a host process reading /etc/shadow; without CAP_PERFMON it must not.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ROOT, kubectlSkipReason } from './k8s.js';
import { configMapVolume, loadShipped, volumeOf, workloadRunning, type Shipped, type Workload } from './shipped.js';

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

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  child: ChildProcess;
  name: string;
  port: number;
  stdout: string;
  stderr: string;
  /** Host paths of the pod spec that do not exist here (DirectoryOrCreate would make them). */
  skipped: string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** `podman run` for the DaemonSet's pod, with `transform` applied to its security context. */
async function runPod(w: Workload, s: Shipped, parent: string, transform: (sc: Any) => Any = (x) => x): Promise<Run> {
  const dir = mkdtempSync(join(parent, 'pod-'));
  const spec = w.pod.spec;
  const c = w.container;
  const sc = transform(structuredClone(c.securityContext));
  const port = await freePort();
  const name = `kestrel-deploy-${randomBytes(4).toString('hex')}`;
  // The shipped config; only the metrics listener moves to loopback on a free port (the
  // container shares this machine's network namespace so that the test can reach it).
  const config = parse(w.configText);
  config.webserver = { ...config.webserver, listen_address: '127.0.0.1', listen_port: port };

  const args = ['--cgroup-manager', 'cgroupfs', '--runtime', 'runc', 'run', '--rm', '--name', name, '--network', 'host'];
  args.push('--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096');
  if (spec.hostPID) args.push('--pid', 'host');
  if (sc.privileged) args.push('--privileged');
  if (sc.capabilities?.drop?.includes('ALL')) args.push('--cap-drop', 'all');
  if (sc.capabilities?.add?.length) args.push('--cap-add', sc.capabilities.add.join(','));
  if (sc.seccompProfile?.type === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
  if (sc.appArmorProfile?.type === 'Unconfined') args.push('--security-opt', 'apparmor=unconfined');
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  if (sc.runAsUser !== undefined) args.push('--user', `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  for (const e of c.env ?? []) args.push('-e', `${e.name}=${e.value}`);

  const skipped: string[] = [];
  for (const m of c.volumeMounts) {
    const v = volumeOf(w.pod, m.name);
    const ro = m.readOnly ? 'ro' : 'rw';
    if (v.hostPath) {
      if (existsSync(v.hostPath.path)) args.push('-v', `${v.hostPath.path}:${m.mountPath}:${ro}`);
      else skipped.push(v.hostPath.path);
    } else if (v.configMap?.name === s.configMap.metadata.name) {
      const file = join(dir, m.subPath);
      writeFileSync(file, stringify(config));
      args.push('-v', `${file}:${m.mountPath}:ro`);
    } else if (v.configMap?.name === s.rulesMap.metadata.name) {
      args.push('-v', `${configMapVolume(join(dir, 'rules'), s.rulesMap.data)}:${m.mountPath}:ro`);
    } else if (v.emptyDir) {
      args.push('--tmpfs', `${m.mountPath}:rw,notmpcopyup`);
    } else {
      throw new Error(`no podman equivalent for volume ${JSON.stringify(v)}`);
    }
  }
  args.push('-w', c.workingDir);
  if (IMAGE) {
    args.push(IMAGE, ...c.command, ...(c.args ?? []));
  } else {
    // The image's content: this machine's root filesystem, the built repository where the image has it.
    args.push('-v', `${ROOT}:${c.workingDir}:ro`, '--rootfs', '/:O', ...c.command, ...(c.args ?? []));
  }

  const child = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, name, port, stdout: '', stderr: '', skipped };
  child.stdout!.on('data', (d) => (run.stdout += d));
  child.stderr!.on('data', (d) => (run.stderr += d));
  return run;
}

async function readyz(run: Run, until: (status: number, body: Any) => boolean, timeoutMs = 60_000): Promise<{ status: number; body: Any }> {
  const end = Date.now() + timeoutMs;
  let last: { status: number; body: Any } = { status: 0, body: undefined };
  while (Date.now() < end) {
    if (run.child.exitCode !== null) throw new Error(`the pod exited (${run.child.exitCode})\n${run.stderr}`);
    try {
      const r = await fetch(`http://127.0.0.1:${run.port}/readyz`);
      last = { status: r.status, body: await r.json() };
      if (until(last.status, last.body)) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out; last /readyz ${JSON.stringify(last)}\n${run.stderr}`);
}

async function stop(run: Run): Promise<void> {
  spawnSync('podman', ['--cgroup-manager', 'cgroupfs', 'stop', '-t', '10', run.name], { encoding: 'utf8' });
  if (run.child.exitCode === null) await new Promise((r) => run.child.once('exit', r));
}

describe.skipIf(skip)('the node agent pod (kestrel DaemonSet) under podman', () => {
  let s: Shipped;
  let w: Workload;
  let dir: string;
  beforeAll(() => {
    s = loadShipped();
    w = workloadRunning(s, 'syscall');
    dir = mkdtempSync(join(tmpdir(), 'kestrel-deploy-pod-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('attaches the eBPF collector with the shipped privileges and alerts on a host process', async () => {
    const run = await runPod(w, s, dir);
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
      const end = Date.now() + 20_000;
      let alert: Any;
      while (!alert && Date.now() < end) {
        alert = run.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
          .find((a) => a.rule === 'Read sensitive file untrusted' && String(a.output_fields?.['proc.cmdline']).includes(token));
        if (!alert) await new Promise((r) => setTimeout(r, 200));
      }
      expect(alert, `no alert for cat /etc/shadow; stdout:\n${run.stdout.slice(-2000)}\nstderr:\n${run.stderr.slice(-2000)}`).toBeDefined();
      expect(alert.output_fields).toMatchObject({ 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'user.uid': 0, 'container.id': 'host' });
      // Host user names come from /host/proc/1/root/etc/passwd; some sandboxes (not Kubernetes
      // nodes, where pid 1 is the init system) refuse everyone access to their pid 1's root.
      if (readable('/proc/1/root/etc/passwd')) expect(alert.output_fields['user.name']).toBe('root');
    } finally {
      await stop(run);
    }
  }, 120_000);

  it('is not ready, and says why, without CAP_PERFMON', async () => {
    const run = await runPod(w, s, dir, (sc) => ({ ...sc, capabilities: { ...sc.capabilities, add: sc.capabilities.add.filter((c: string) => c !== 'PERFMON') } }));
    try {
      const { status, body } = await readyz(run, (st, b) => st === 503 && b?.sources?.syscall?.ready === false);
      expect(status).toBe(503);
      expect(body.sources.syscall.reason).toMatch(/CAP_PERFMON/);
    } finally {
      await stop(run);
    }
  }, 120_000);
});
