// Where the Kubernetes actions get their credentials: a kubeconfig context, or the pod's service
// account (in-cluster), as client-go would pick them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inClusterConnection, KubeConfigError, kubeconfigConnection } from '../../src/respond/kube/client.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-kubeconfig-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('Kubernetes credentials', () => {
  it('reads the current context of a kubeconfig: server, CA and client certificate (inline or files, relative to the kubeconfig), token file', () => {
    write('ca.crt', 'CA-PEM');
    write('token', 'file-token\n');
    const file = write(
      'config',
      `apiVersion: v1
kind: Config
current-context: prod
contexts:
- {name: prod, context: {cluster: c1, user: u1}}
- {name: other, context: {cluster: c1, user: u2}}
clusters:
- {name: c1, cluster: {server: "https://10.0.0.1:6443", certificate-authority: ca.crt}}
users:
- {name: u1, user: {client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')}}}
- {name: u2, user: {tokenFile: token}}
`,
    );
    const c = kubeconfigConnection(file);
    expect(c.server).toBe('https://10.0.0.1:6443');
    expect(c.ca!.toString()).toBe('CA-PEM');
    expect([c.cert!.toString(), c.key!.toString()]).toEqual(['CERT', 'KEY']);
    expect(kubeconfigConnection(file, 'other').tokenFile).toBe(join(dir, 'token'));
    expect(() => kubeconfigConnection(file, 'nope')).toThrow(new KubeConfigError(`kubeconfig ${file}: no context named "nope"`));
    const plain = write('plain', 'current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\nclusters: [{name: c, cluster: {server: "http://x"}}]\nusers: [{name: u, user: {}}]\n');
    expect(() => kubeconfigConnection(plain)).toThrow('server must be an https:// URL');
  });

  it('in a pod: KUBERNETES_SERVICE_HOST/PORT and the mounted service account; outside one: none', () => {
    const sa = mkdtempSync(join(tmpdir(), 'kestrel-sa-'));
    writeFileSync(join(sa, 'ca.crt'), 'SA-CA');
    writeFileSync(join(sa, 'token'), 't');
    expect(inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, sa)).toMatchObject({ server: 'https://10.96.0.1:443', tokenFile: join(sa, 'token') });
    expect(inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, sa)?.server).toBe('https://[fd00::1]:443');
    expect(inClusterConnection({}, sa)).toBeUndefined();
    expect(inClusterConnection({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, join(sa, 'missing'))).toBeUndefined();
  });
});
