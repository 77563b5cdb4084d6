// A DaemonSet's pod spec run for real under podman: its security context (pod and container),
// host namespaces, mounts, environment, working directory, user and command, translated one for
// one into `podman run` arguments. Only the listening ports move: the agent's config is the
// shipped one with its listeners on loopback ports chosen free at run time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT } from './k8s.js';
import { configMapVolume, volumeOf, type Shipped, type Workload } from './shipped.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Run {
  child: ChildProcess;
  name: string;
  /** The metrics/probes port (webserver.listen_port). */
  port: number;
  stdout: string;
  stderr: string;
  /** Host paths of the pod spec that do not exist here (DirectoryOrCreate would make them). */
  skipped: string[];
  /** The full `podman` command line. */
  args: string[];
}

export interface PodOptions {
  /** An image built from deploy/Containerfile; without it this machine's root filesystem stands
   * in for the image, with the repository mounted where the image has it. */
  image?: string;
  /** Applied to a copy of the container's security context. */
  securityContext?: (sc: Any) => Any;
  /** Further changes to the shipped config (after the metrics listener moved to loopback). */
  config?: (config: Any) => void;
  /** Secret name -> its files (the kubelet writes them with the volume's defaultMode, group fsGroup). */
  secrets?: Record<string, Record<string, Buffer>>;
}

/** `podman run` of the DaemonSet's pod; the container shares this machine's network namespace so
 * that the test reaches its loopback listeners. */
export async function runPod(w: Workload, s: Shipped, parent: string, opts: PodOptions = {}): Promise<Run> {
  const dir = mkdtempSync(join(parent, 'pod-'));
  chmodSync(dir, 0o755);
  const spec = w.pod.spec;
  const psc = spec.securityContext ?? {};
  const c = w.container;
  const sc = (opts.securityContext ?? ((x) => x))(structuredClone(c.securityContext ?? {}));
  const port = await freePort();
  const name = `kestrel-deploy-${randomBytes(4).toString('hex')}`;
  const config = parse(w.configText);
  config.webserver = { ...config.webserver, listen_address: '127.0.0.1', listen_port: port };
  opts.config?.(config);

  const args = ['--cgroup-manager', 'cgroupfs', '--runtime', 'runc', 'run', '--rm', '--name', name, '--network', 'host'];
  args.push('--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096');
  if (spec.hostPID) args.push('--pid', 'host');
  if (sc.privileged) args.push('--privileged');
  if (sc.capabilities?.drop?.includes('ALL')) args.push('--cap-drop', 'all');
  if (sc.capabilities?.add?.length) args.push('--cap-add', sc.capabilities.add.join(','));
  const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
  if (seccomp === 'Unconfined') args.push('--security-opt', 'seccomp=unconfined');
  else if (seccomp !== undefined && seccomp !== 'RuntimeDefault') throw new Error(`no podman equivalent for seccompProfile ${seccomp}`);
  if ((sc.appArmorProfile?.type ?? psc.appArmorProfile?.type) === 'Unconfined') args.push('--security-opt', 'apparmor=unconfined');
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  const uid = sc.runAsUser ?? psc.runAsUser;
  const gid = sc.runAsGroup ?? psc.runAsGroup ?? uid;
  if ((sc.runAsNonRoot ?? psc.runAsNonRoot) && !uid) throw new Error('runAsNonRoot without a non-zero runAsUser');
  if (uid !== undefined) args.push('--user', `${uid}:${gid}`);
  if (psc.fsGroup !== undefined) args.push('--group-add', String(psc.fsGroup));
  for (const e of c.env ?? []) args.push('-e', `${e.name}=${envValue(e)}`);

  const skipped: string[] = [];
  for (const m of c.volumeMounts) {
    const v = volumeOf(w.pod, m.name);
    const ro = m.readOnly ? 'ro' : 'rw';
    if (v.hostPath) {
      if (existsSync(v.hostPath.path)) args.push('-v', `${v.hostPath.path}:${m.mountPath}:${ro}`);
      else skipped.push(v.hostPath.path);
    } else if (v.configMap?.name === s.configMap.metadata.name) {
      const file = join(dir, m.subPath);
      writeFileSync(file, stringify(config), { mode: 0o644 });
      args.push('-v', `${file}:${m.mountPath}:ro`);
    } else if (v.configMap?.name === s.rulesMap.metadata.name) {
      args.push('-v', `${configMapVolume(join(dir, 'rules'), s.rulesMap.data)}:${m.mountPath}:ro`);
    } else if (v.secret && opts.secrets?.[v.secret.secretName]) {
      const sdir = join(dir, `secret-${m.name}`);
      mkdirSync(sdir, { mode: 0o755 });
      for (const [k, data] of Object.entries(opts.secrets[v.secret.secretName]!)) {
        const f = join(sdir, k);
        writeFileSync(f, data);
        chmodSync(f, v.secret.defaultMode ?? 0o644);
        if (psc.fsGroup !== undefined) chownSync(f, 0, psc.fsGroup);
      }
      args.push('-v', `${sdir}:${m.mountPath}:ro`);
    } else if (v.emptyDir) {
      args.push('--tmpfs', `${m.mountPath}:rw,notmpcopyup,mode=1777`);
    } else {
      throw new Error(`no podman equivalent for volume ${JSON.stringify(v)}`);
    }
  }
  args.push('-w', c.workingDir);
  if (opts.image) {
    args.push('--pull', 'never', opts.image, ...c.command, ...(c.args ?? []));
  } else {
    args.push('-v', `${ROOT}:${c.workingDir}:ro`, '--rootfs', '/:O', ...c.command, ...(c.args ?? []));
  }

  const child = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, name, port, stdout: '', stderr: '', skipped, args };
  child.stdout!.on('data', (d) => (run.stdout += d));
  child.stderr!.on('data', (d) => (run.stderr += d));
  return run;
}

export async function readyz(run: Run, until: (status: number, body: Any) => boolean, timeoutMs = 60_000): Promise<{ status: number; body: Any }> {
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

/** The JSON alerts the pod printed so far. */
export function alertsOf(run: Run): Any[] {
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

/** Waits for an alert the pod prints on stdout. */
export async function alertFrom(run: Run, what: string, match: (a: Any) => boolean, timeoutMs = 20_000): Promise<Any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const a = alertsOf(run).find(match);
    if (a) return a;
    if (Date.now() > end || run.child.exitCode !== null) {
      throw new Error(`no alert for ${what}; stdout:\n${run.stdout.slice(-2000)}\nstderr:\n${run.stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stop(run: Run): Promise<void> {
  spawnSync('podman', ['--cgroup-manager', 'cgroupfs', 'stop', '-t', '10', run.name], { encoding: 'utf8' });
  if (run.child.exitCode === null) await new Promise((r) => run.child.once('exit', r));
}

/** A container env entry's value as the kubelet would set it; podman runs on "the node". */
function envValue(e: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }): string {
  if (e.value !== undefined) return e.value;
  if (e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName') return hostname();
  throw new Error(`env ${e.name}: no podman equivalent for ${JSON.stringify(e.valueFrom)}`);
}
