// Containers with a real podman: the container id comes from the process's cgroup, the metadata
// from the OCI bundle on disk at once (privileged, mounts, name, image) and from the runtime
// (asynchronously, labels and the rest); a record never waits for the runtime.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../../src/sources/syscall/record/encode.js';
import { KT } from '../../../src/sources/syscall/record/event-table.js';
import { newLiveContext } from '../../../src/sources/syscall/state/live-context.js';
import { SyscallProcessor } from '../../../src/sources/syscall/batch-processor.js';
import { containerFromCgroups, parseProcCgroup } from '../../../src/sources/syscall/state/cgroup.js';
import { ProcFs, bootEpochNs } from '../../../src/sources/syscall/state/procfs.js';
import { isoToNs, metaFromDockerInspect, runtimeLookup } from '../../../src/sources/syscall/state/runtimes.js';
import { buildBusyboxImage, PODMAN_RUN, podmanSkipReason } from './live/scenarios.js';
import { getter } from './helpers.js';

const reason = process.getuid?.() !== 0 ? 'not root (podman containers need root here)' : podmanSkipReason();
if (reason) console.warn(`SKIPPED: container runtime tests: ${reason}`);

describe('runtime metadata parsing', () => {
  it('reads docker/podman inspect output into container metadata', () => {
    const m = metaFromDockerInspect(
      {
        Name: '/web',
        Image: 'sha256:0e65490f359a1234',
        Config: { Image: 'nginx', Labels: { 'io.kubernetes.pod.name': 'p' } },
        HostConfig: { Privileged: true, PidMode: 'host', NetworkMode: 'bridge' },
        Mounts: [{ Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock', Mode: '', RW: true, Propagation: 'rprivate' }],
        State: { StartedAt: '2024-05-01T10:00:00.123456789Z' },
        NetworkSettings: { IPAddress: '172.17.0.2' },
      },
      'docker',
    );
    expect(m).toEqual({
      name: 'web',
      image: 'nginx',
      imageRepository: 'nginx',
      imageTag: 'latest',
      imageId: '0e65490f359a',
      privileged: true,
      mounts: [{ source: '/var/run/docker.sock', dest: '/var/run/docker.sock', mode: '', rdwr: true, propagation: 'rprivate' }],
      labels: { 'io.kubernetes.pod.name': 'p' },
      ip: '172.17.0.2',
      hostPid: true,
      hostNetwork: false,
      hostIpc: false,
      startTs: '1714557600123456789',
      source: 'docker',
    });
    expect(isoToNs('0001-01-01T00:00:00Z')).toBeUndefined();
  });
});

describe.skipIf(!!reason)(`a real podman container${reason ? ` (SKIPPED: ${reason})` : ''}`, () => {
  const tag = 'localhost/kestrel-meta:test';
  const name = `kestrel-meta-${process.pid}`;
  let id = '';
  let pid = 0;
  let dataDir = '';

  beforeAll(() => {
    buildBusyboxImage(tag);
    dataDir = mkdtempSync(join(tmpdir(), 'kestrel-meta-'));
    const run = spawnSync(
      'podman',
      [...PODMAN_RUN.filter((a) => a !== '--rm'), '-d', '--name', name, '--privileged', '--label', 'app=demo', '-v', `${dataDir}:/data:ro`, tag, '/bin/busybox', 'sleep', '60'],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`podman run failed: ${run.stderr}`);
    id = run.stdout.trim().split('\n').pop()!;
    pid = Number(spawnSync('podman', ['inspect', '--format', '{{.State.Pid}}', id], { encoding: 'utf8' }).stdout.trim());
  }, 60_000);

  afterAll(() => {
    if (id) spawnSync('podman', ['rm', '-f', id], { stdio: 'ignore' });
    spawnSync('podman', ['rmi', '-f', tag], { stdio: 'ignore' });
  });

  it('finds the container id in the process cgroup', () => {
    const c = containerFromCgroups(parseProcCgroup(readFileSync(`/proc/${pid}/cgroup`, 'utf8')));
    expect(c).toEqual({ fullId: id, type: 'podman' });
  });

  it('asks podman for the metadata', async () => {
    const meta = await runtimeLookup()({ id: id.slice(0, 12), fullId: id, type: 'podman', lookup: 'pending' });
    expect(meta).toMatchObject({
      name,
      image: tag,
      imageRepository: 'localhost/kestrel-meta',
      imageTag: 'test',
      privileged: true,
      labels: expect.objectContaining({ app: 'demo' }),
    });
    expect(meta!.mounts).toContainEqual(expect.objectContaining({ source: dataDir, dest: '/data', rdwr: false }));
    expect(BigInt(meta!.startTs!)).toBeGreaterThan(1_700_000_000_000_000_000n);
  }, 30_000);

  it("container.* of a record from the container: the bundle's metadata on the first record, the runtime's once it answered", async () => {
    const boot = bootEpochNs();
    const ctx = newLiveContext({ bootEpochNs: boot });
    const procfs = new ProcFs({ bootEpochNs: boot });
    procfs.scan(ctx.threads);
    const processor = new SyscallProcessor(ctx, { procfs });
    const fields = ['container.id', 'container.name', 'container.image.repository', 'container.privileged', 'container.mount.dest[/tmp/kestrel-meta-*]', 'container.label[app]', 'user.name', 'proc.name'];
    const gets = fields.map((f) => [f, getter(f)] as const);
    const rec = encodeRecord({ type: KT.OPENAT, ts: 1n, ret: 3, tid: pid, pid, ppid: 0, comm: 'busybox', params: { fd: 3, dirfd: -100, name: '/etc/passwd', flags: 0 } });
    const rows: Record<string, unknown>[] = [];
    const t0 = Date.now();
    processor.process(rec, (e) => rows.push(Object.fromEntries(gets.map(([f, g]) => [f, g(e)]))));
    expect(Date.now() - t0).toBeLessThan(500); // never waits for the runtime
    await ctx.containers.settle();
    processor.process(rec, (e) => rows.push(Object.fromEntries(gets.map(([f, g]) => [f, g(e)]))));
    expect(rows[0]).toMatchObject({
      'container.id': id.slice(0, 12),
      'container.name': name,
      'container.image.repository': 'localhost/kestrel-meta',
      'container.privileged': true,
      'container.mount.dest[/tmp/kestrel-meta-*]': '/data',
      'container.label[app]': undefined, // podman keeps labels in its database, not in the bundle
      'user.name': 'root',
      'proc.name': 'busybox',
    });
    expect(ctx.containers.initialStats).toEqual({ found: 1, missing: 0, bad: 0 });
    expect(rows[1]).toMatchObject({
      'container.id': id.slice(0, 12),
      'container.name': name,
      'container.image.repository': 'localhost/kestrel-meta',
      'container.privileged': true,
      'container.mount.dest[/tmp/kestrel-meta-*]': '/data',
      'container.label[app]': 'demo',
    });
    expect(ctx.containers.stats).toEqual({ lookupsStarted: 1, lookupsOk: 1, lookupsFailed: 0 });
  }, 30_000);
});
