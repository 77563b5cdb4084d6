// Workload identity (src/learn/identity.ts) and write-path collapsing (src/learn/profile.ts).
import { describe, expect, it } from 'vitest';
import { fileStem, identify, imageRepository, podOwner } from '../../src/learn/identity.js';
import { collapseWritePath, minimalPrefixes } from '../../src/learn/profile.js';

const pod = (name: string, ns: string, labels: Record<string, string> = {}) => ({
  labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': ns, 'io.kubernetes.container.name': 'c', ...labels },
});

describe('workload identity', () => {
  it('names a Deployment by its name, without the ReplicaSet hash or pod suffix', () => {
    expect(podOwner('api-server-5c9d7f8b6-qx2lp', { 'pod-template-hash': '5c9d7f8b6' })).toMatchObject({ kind: 'Deployment', name: 'api-server' });
  });

  it('names StatefulSet, DaemonSet, Job and CronJob pods by their controller', () => {
    expect(podOwner('db-2', { 'statefulset.kubernetes.io/pod-name': 'db-2', 'controller-revision-hash': 'db-7f' })).toMatchObject({ kind: 'StatefulSet', name: 'db' });
    expect(podOwner('fluentd-x7k2p', { 'pod-template-generation': '3', 'controller-revision-hash': '6d5f' })).toMatchObject({ kind: 'DaemonSet', name: 'fluentd' });
    expect(podOwner('migrate-abcde', { 'job-name': 'migrate' })).toMatchObject({ kind: 'Job', name: 'migrate' });
    expect(podOwner('backup-28512345-abcde', { 'batch.kubernetes.io/job-name': 'backup-28512345' })).toMatchObject({ kind: 'CronJob', name: 'backup' });
  });

  it('names a bare pod by its own name', () => {
    expect(podOwner('debug', {})).toMatchObject({ kind: 'Pod', name: 'debug' });
  });

  it('keys a pod by namespace and workload, with the pod labels less per-pod ones as its selector', () => {
    const id = identify(pod('web-7d9f8c6b5-x2x9q', 'shop', { app: 'web', 'pod-template-hash': '7d9f8c6b5' }), true, '/usr/sbin/nginx');
    expect(id).toMatchObject({ key: 'shop/web', kind: 'Deployment', namespace: 'shop', podSelector: { app: 'web' } });
    expect(fileStem(id!)).toBe('shop-web');
  });

  it('falls back to the image repository (no tag, no digest) for containers outside Kubernetes', () => {
    expect(imageRepository('registry.local:5000/team/cache:3.2@sha256:abc')).toBe('registry.local:5000/team/cache');
    expect(imageRepository('registry.local:5000/team/cache')).toBe('registry.local:5000/team/cache');
    expect(identify({ image: 'docker.io/library/redis:7' }, true, '/usr/bin/redis-server')).toMatchObject({ key: 'image:docker.io/library/redis', kind: 'image' });
  });

  it('keys host processes per executable, and learns nothing for a container with no metadata yet', () => {
    expect(identify(undefined, false, '/usr/sbin/sshd')).toMatchObject({ key: 'host:/usr/sbin/sshd', kind: 'host' });
    expect(identify(undefined, true, '/bin/sh')).toBeUndefined();
  });
});

describe('write-path collapsing', () => {
  it('collapses temporary dirs to the dir itself and other files to their directory', () => {
    expect(collapseWritePath('/tmp/abc/def.txt')).toBe('/tmp');
    expect(collapseWritePath('/dev/shm/x')).toBe('/dev/shm');
    expect(collapseWritePath('/var/log/nginx/access.log')).toBe('/var/log/nginx');
  });

  it('cuts per-PID and other numeric components with what is below them', () => {
    expect(collapseWritePath('/proc/4242/attr/current')).toBe('/proc');
    expect(collapseWritePath('/var/spool/job/4411/out')).toBe('/var/spool/job');
  });

  it('keeps only prefixes no other prefix covers', () => {
    expect(minimalPrefixes(['/var/log/nginx', '/var/log', '/tmp', '/var/logs'])).toEqual(['/tmp', '/var/log', '/var/logs']);
  });
});
