// Container metadata from the OCI bundle on disk, found where podman, CRI-O, containerd, runc
// and crun keep it, read when the container is first seen.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { metaFromOciSpec, readBundleMeta } from '../../../src/sources/syscall/state/bundle.js';
import { ContainerStore } from '../../../src/sources/syscall/state/containers.js';

const ID = 'ab'.repeat(32);
const put = (root: string, path: string, v: unknown) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), typeof v === 'string' ? v : JSON.stringify(v));
};
const stats = () => ({ found: 0, missing: 0, bad: 0 });

const podmanSpec = {
  annotations: { 'io.container.manager': 'libpod', 'io.podman.annotations.privileged': 'TRUE' },
  process: { capabilities: { bounding: ['CAP_CHOWN'] } },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] },
    { destination: '/host/proc', type: 'bind', source: '/proc', options: ['ro', 'rprivate', 'rbind'] },
    { destination: '/etc/hosts', type: 'bind', source: `/run/containers/storage/overlay-containers/${ID}/userdata/hosts`, options: ['bind', 'rprivate'] },
    { destination: '/var/run/docker.sock', source: '/var/run/docker.sock', options: ['rbind', 'rshared'] },
  ],
  linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }] },
};

describe('metaFromOciSpec', () => {
  it("takes privileged from podman's annotation and keeps the user's bind mounts, not the runtime's own files", () => {
    const m = metaFromOciSpec(podmanSpec, ID);
    expect(m.privileged).toBe(true);
    expect(m.mounts).toEqual([
      { source: '/proc', dest: '/host/proc', mode: '', rdwr: false, propagation: 'rprivate' },
      { source: '/var/run/docker.sock', dest: '/var/run/docker.sock', mode: '', rdwr: true, propagation: 'rshared' },
    ]);
    expect(m).toMatchObject({ hostPid: false, hostIpc: false, hostNetwork: true, source: 'bundle' });
  });

  it('without an annotation, privileged is what runc makes of it: no masked or read-only paths and CAP_SYS_ADMIN', () => {
    const priv = { process: { capabilities: { bounding: ['CAP_SYS_ADMIN'] } }, linux: {} };
    expect(metaFromOciSpec(priv, ID).privileged).toBe(true);
    expect(metaFromOciSpec({ ...priv, linux: { maskedPaths: ['/proc/kcore'] } }, ID).privileged).toBe(false);
    expect(metaFromOciSpec({ process: { capabilities: { bounding: ['CAP_CHOWN'] } }, linux: {} }, ID).privileged).toBe(false);
    expect(metaFromOciSpec({ annotations: { 'io.podman.annotations.privileged': 'FALSE' }, ...priv }, ID).privileged).toBe(false);
  });

  it("reads the pod and image containerd's CRI plugin writes into the annotations", () => {
    const m = metaFromOciSpec(
      {
        annotations: {
          'io.kubernetes.cri.sandbox-name': 'web-7d9',
          'io.kubernetes.cri.sandbox-namespace': 'shop',
          'io.kubernetes.cri.sandbox-uid': 'u-1',
          'io.kubernetes.cri.container-name': 'nginx',
          'io.kubernetes.cri.sandbox-id': 'cd'.repeat(32),
          'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.25',
        },
      },
      ID,
    );
    expect(m).toMatchObject({ name: 'nginx', image: 'docker.io/library/nginx:1.25', imageRepository: 'docker.io/library/nginx', imageTag: '1.25' });
    expect(m.labels).toEqual({
      'io.kubernetes.pod.name': 'web-7d9',
      'io.kubernetes.pod.namespace': 'shop',
      'io.kubernetes.pod.uid': 'u-1',
      'io.kubernetes.container.name': 'nginx',
      'io.kubernetes.sandbox.id': 'cd'.repeat(32),
    });
  });

  it("reads CRI-O's labels annotation (JSON) and image name", () => {
    const m = metaFromOciSpec({ annotations: { 'io.kubernetes.cri-o.Labels': '{"io.kubernetes.pod.name":"p","app":"x"}', 'io.kubernetes.cri-o.ImageName': 'quay.io/a/b@sha256:00' } }, ID);
    expect(m.labels).toEqual({ 'io.kubernetes.pod.name': 'p', app: 'x' });
    expect(m).toMatchObject({ imageRepository: 'quay.io/a/b', imageDigest: 'sha256:00' });
  });
});

describe('readBundleMeta: where each runtime keeps the bundle', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const mk = () => (root = mkdtempSync(join(tmpdir(), 'kestrel-bundle-')));

  it("podman: the bundle in its storage, the name and image from the storage's containers.json", () => {
    mk();
    put(root, `var/lib/containers/storage/overlay-containers/${ID}/userdata/config.json`, podmanSpec);
    put(root, 'var/lib/containers/storage/overlay-containers/containers.json', [
      { id: 'ff'.repeat(32), names: ['other'] },
      { id: ID, names: ['web1'], image: '33b31112d87c723b198b', metadata: JSON.stringify({ 'image-name': 'localhost/app:v2', name: 'web1' }) },
    ]);
    const s = stats();
    expect(readBundleMeta({ fullId: ID }, root, s)).toMatchObject({ name: 'web1', image: 'localhost/app:v2', imageTag: 'v2', imageId: '33b31112d87c', privileged: true });
    expect(s).toEqual({ found: 1, missing: 0, bad: 0 });
  });

  it('containerd: the shim bundle directory of any namespace', () => {
    mk();
    put(root, `run/containerd/io.containerd.runtime.v2.task/k8s.io/${ID}/config.json`, { annotations: { 'io.kubernetes.cri.sandbox-name': 'p' } });
    expect(readBundleMeta({ fullId: ID }, root, stats())?.labels).toEqual({ 'io.kubernetes.pod.name': 'p' });
  });

  it("docker: the bundle in containerd's moby namespace; name, image and labels from docker's config.v2.json", () => {
    mk();
    put(root, `run/containerd/io.containerd.runtime.v2.task/moby/${ID}/config.json`, { process: { capabilities: { bounding: ['CAP_SYS_ADMIN'] } }, linux: {} });
    put(root, `var/lib/docker/containers/${ID}/config.v2.json`, { Name: '/web', Image: 'sha256:0e65490f359a1234', Config: { Image: 'nginx:1.25', Labels: { team: 'a' } } });
    expect(readBundleMeta({ fullId: ID }, root, stats())).toMatchObject({ name: 'web', image: 'nginx:1.25', imageTag: '1.25', imageId: '0e65490f359a', labels: { team: 'a' }, privileged: true });
  });

  it("runc's and crun's state name the bundle", () => {
    mk();
    put(root, `run/runc/${ID}/state.json`, { config: { labels: ['x=y', `bundle=/srv/b1`] } });
    put(root, 'srv/b1/config.json', { annotations: { 'io.podman.annotations.privileged': 'TRUE' } });
    expect(readBundleMeta({ fullId: ID }, root, stats())?.privileged).toBe(true);
    rmSync(join(root, 'run'), { recursive: true });
    put(root, `run/crun/${ID}/status`, { bundle: '/srv/b1' });
    expect(readBundleMeta({ fullId: ID }, root, stats())?.privileged).toBe(true);
  });

  it('no bundle anywhere, or a corrupt one: no metadata, counted', () => {
    mk();
    const s = stats();
    expect(readBundleMeta({ fullId: ID }, root, s)).toBeUndefined();
    put(root, `run/containers/storage/overlay-containers/${ID}/userdata/config.json`, '{"annotations":');
    expect(readBundleMeta({ fullId: ID }, root, s)).toBeUndefined();
    expect(s).toEqual({ found: 0, missing: 1, bad: 1 });
  });

  it('the container store reads it when it first sees the container, before any runtime answers', () => {
    mk();
    put(root, `var/lib/containers/storage/overlay-containers/${ID}/userdata/config.json`, podmanSpec);
    let lookups = 0;
    const store = new ContainerStore(
      () => (lookups++, new Promise(() => {})),
      (c, s) => readBundleMeta(c, root, s),
    );
    const c = store.ensure({ fullId: ID, type: 'podman' });
    expect(c).toMatchObject({ id: ID.slice(0, 12), privileged: true, lookup: 'pending' });
    expect(lookups).toBe(1);
    expect(store.initialTiming.count).toBe(1);
    expect(store.initialStats.found).toBe(1);
  });
});
