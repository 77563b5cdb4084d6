// kube-apiserver's side of the audit webhook, as deploy/audit sets it up: the webhook kubeconfig,
// gen-certs.sh's certificates and Secret, and an audit event POSTed over mTLS.
import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DEPLOY, type K8sObject } from './k8s.js';

export const AUDIT = join(DEPLOY, 'audit');

export interface Kubeconfig {
  server: string;
  ca: string;
  cert: string;
  key: string;
}

export function webhookKubeconfig(): Kubeconfig {
  const file = join(AUDIT, 'webhook-kubeconfig.yaml');
  // kubectl is the real kubeconfig parser: it refuses what the apiserver's client-go would.
  const r = spawnSync('kubectl', ['config', 'view', '--kubeconfig', file, '--raw', '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl cannot read ${file}: ${r.stderr}`);
  const kc = JSON.parse(r.stdout);
  const ctx = kc.contexts.find((c: { name: string }) => c.name === kc['current-context']).context;
  const cluster = kc.clusters.find((c: { name: string }) => c.name === ctx.cluster).cluster;
  const user = kc.users.find((u: { name: string }) => u.name === ctx.user).user;
  return { server: cluster.server, ca: cluster['certificate-authority'], cert: user['client-certificate'], key: user['client-key'] };
}

/** Runs gen-certs.sh into `dir`; returns the Secret it writes (kestrel-audit-tls). */
export function genCerts(dir: string, days?: number): K8sObject[] {
  const gen = spawnSync('bash', [join(AUDIT, 'gen-certs.sh'), dir, ...(days ? [String(days)] : [])], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`gen-certs.sh failed: ${gen.stderr}`);
  return parseAllDocuments(readFileSync(join(dir, 'kestrel-audit-tls.secret.yaml'), 'utf8')).map((d) => d.toJS() as K8sObject);
}

/** A Secret's data, decoded. */
export function secretFiles(secret: K8sObject): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}

/** `kubectl exec` into a pod, as kube-apiserver records it: the Attach/Exec Pod rule's event. */
export const execEvent = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '0c3f1c4e-4d4b-4bd4-9a55-5a0d8d7e2f01',
  stage: 'ResponseStarted',
  requestURI: '/api/v1/namespaces/shop/pods/cart-7c9d/exec?command=sh&command=-c&command=id&container=cart&stdin=true&tty=true',
  verb: 'create',
  user: { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] },
  sourceIPs: ['10.0.0.12'],
  userAgent: 'kubectl/v1.30.2 (linux/amd64) kubernetes/3968350',
  objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-7c9d', apiVersion: 'v1', subresource: 'exec' },
  responseStatus: { metadata: {}, code: 101 },
  requestReceivedTimestamp: '2025-03-01T10:00:00.000000Z',
  stageTimestamp: '2025-03-01T10:00:00.020000Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
};

/**
 * POSTs an EventList of `events` to the kubeconfig's server URL on `port`, verifying the server
 * with the kubeconfig's CA (from `certs`, gen-certs.sh's output) and presenting `tls`; resolves
 * with the status code.
 */
export function postAudit(kc: Kubeconfig, certs: string, port: number, events: object[], tls: { cert?: Buffer; key?: Buffer }): Promise<number> {
  const target = new URL(kc.server);
  const body = JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items: events });
  return new Promise<number>((resolve, reject) => {
    const req = request(
      { host: target.hostname, port, path: target.pathname, method: 'POST', ca: readFileSync(join(certs, basename(kc.ca))), ...tls, headers: { 'content-type': 'application/json' } },
      (r) => {
        r.resume();
        r.on('end', () => resolve(r.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** kube-apiserver's client certificate and key, as the kubeconfig names them, from `certs`. */
export function apiserverClient(kc: Kubeconfig, certs: string): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(join(certs, basename(kc.cert))), key: readFileSync(join(certs, basename(kc.key))) };
}
