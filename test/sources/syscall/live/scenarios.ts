// The behaviours the end-to-end tests provoke with real processes, and their near misses.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runProcess } from './agent-harness.js';

export const BUSYBOX = '/bin/busybox';

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'kestrel-e2e-'));
}

/** A loopback TCP listener that closes every connection; resolves with its port and a close(). */
export async function loopbackListener(): Promise<{ port: number; close(): void }> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/** `nc` (busybox under that name) connecting to a loopback port. `execProg`: nc -e PROG. */
export async function netcatConnect(dir: string, port: number, execProg?: string): Promise<number> {
  const nc = join(dir, 'nc');
  if (!existsSync(nc)) symlinkSync(BUSYBOX, nc);
  const args = execProg ? ['-w', '2', '-e', execProg, '127.0.0.1', String(port)] : ['-w', '2', '127.0.0.1', String(port)];
  return (await runProcess(nc, args)).pid;
}

/** A non-network-tool process connecting to the same loopback port (near miss). */
export async function plainConnect(port: number): Promise<number> {
  return (await runProcess(process.execPath, ['-e', `require('net').connect(${port},'127.0.0.1',function(){this.end()}).on('error',()=>{})`])).pid;
}

/** A binary named `name` (a copy of dash) that runs a shell as its child. */
export async function shellSpawnedBy(dir: string, name: string): Promise<{ pid: number }> {
  const bin = join(dir, name);
  if (!existsSync(bin)) copyFileSync(realDash(), bin);
  spawnSync('chmod', ['755', bin]);
  // "; true" keeps dash from exec'ing the last command in place: sh is a real child
  return runProcess(bin, ['-c', '/bin/sh -c "echo kestrel-e2e"; true']);
}

function realDash(): string {
  for (const p of ['/bin/dash', '/usr/bin/dash', '/bin/sh']) if (existsSync(p)) return p;
  throw new Error('no dash/sh to copy');
}

/** Creates then removes a file below /etc (or below `base` for the near miss). */
export async function writeBelow(base: string): Promise<{ path: string; pid: number }> {
  const path = join(base, `kestrel-e2e-${process.pid}-${Date.now()}`);
  try {
    const { pid } = await runProcess('/usr/bin/touch', [path]);
    return { path, pid };
  } finally {
    rmSync(path, { force: true });
  }
}

/** Copies /bin/true into `dir` and runs it from there (`/dev/shm` fires; elsewhere is the near miss). */
export async function executeFrom(dir: string): Promise<{ path: string; pid: number }> {
  const sub = mkdtempSync(join(dir, 'kestrel-e2e-'));
  const path = join(sub, 'true');
  copyFileSync('/bin/true', path);
  try {
    spawnSync('chmod', ['755', path]);
    const { pid } = await runProcess(path, []);
    return { path, pid };
  } finally {
    rmSync(sub, { recursive: true, force: true });
  }
}

/** A busybox image for podman, made from the host's static busybox (`extra`: more applet links, /etc/passwd and /etc/group lines). */
export function buildBusyboxImage(tag: string, extra: { applets?: string[]; passwd?: string[]; group?: string[] } = {}): string {
  const root = scratchDir();
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
  for (const a of ['sh', 'cat', 'true', 'nc', ...(extra.applets ?? [])]) symlinkSync('busybox', join(root, 'bin', a));
  writeFileSync(join(root, 'etc', 'passwd'), ['root:x:0:0:root:/root:/bin/sh', ...(extra.passwd ?? [])].join('\n') + '\n');
  writeFileSync(join(root, 'etc', 'group'), ['root:x:0:', ...(extra.group ?? [])].join('\n') + '\n');
  writeFileSync(join(root, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
  const tar = join(root, '..', `${root.split('/').pop()}.tar`);
  const t = spawnSync('tar', ['-C', root, '-cf', tar, '.']);
  if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
  const imp = spawnSync('podman', ['import', tar, tag], { encoding: 'utf8' });
  rmSync(root, { recursive: true, force: true });
  rmSync(tar, { force: true });
  if (imp.status !== 0) throw new Error(`podman import failed: ${imp.stderr}`);
  return tag;
}

export const PODMAN_RUN = [
  '--cgroup-manager', 'cgroupfs', '--runtime', 'runc', 'run', '--rm', '--network', 'none',
  '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
];

/** `podman run [RUNARGS] IMAGE args...`; resolves with the container's full id. */
export async function podmanRun(image: string, args: string[], runArgs: string[] = []): Promise<{ id: string; code: number | null }> {
  const dir = scratchDir();
  const cidfile = join(dir, 'cid');
  const r = await runProcess('podman', [...PODMAN_RUN, '--cidfile', cidfile, ...runArgs, image, ...args]);
  const id = readFileSync(cidfile, 'utf8').trim();
  rmSync(dir, { recursive: true, force: true });
  return { id, code: r.code };
}

/** Why the container scenario cannot run here, or undefined. */
export function podmanSkipReason(): string | undefined {
  const v = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return 'podman is not installed (scripts/system-packages.sh installs it as root)';
  if (spawnSync('runc', ['--version']).error && !existsSync('/usr/sbin/runc')) return 'runc is not installed';
  if (!existsSync(BUSYBOX) || spawnSync('ldd', [BUSYBOX]).status === 0) return 'no static busybox (busybox-static) to build the test image from';
  return undefined;
}
