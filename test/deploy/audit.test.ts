// deploy/audit: the audit policy kube-apiserver loads (valid, and recording what the rules need
// without Secret payloads), the webhook kubeconfig and apiserver flags agreeing with the shipped
// receiver, and the whole chain working: gen-certs.sh's certificates in the Secret, the shipped
// kestrel-audit configuration, and a client presenting what the kubeconfig names gets its exec
// event turned into an alert; clients without that certificate do not get in.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Agent } from '../../src/agent/agent.js';
import type { AgentConfig } from '../../src/agent/config.js';
import { kubectlSkipReason, schemaErrors } from './k8s.js';
import { AUDIT, apiserverClient, execEvent, genCerts, postAudit, secretFiles, webhookKubeconfig } from './audit-client.js';
import { atLeast, levelOf, policyErrors, type Level, type Policy, type Request } from './audit-policy.js';
import { configMapVolume, loadShipped, workloadRunning, type Shipped } from './shipped.js';

const policy = parse(readFileSync(join(AUDIT, 'audit-policy.yaml'), 'utf8')) as Policy;

const alice = { user: 'alice@example.com', groups: ['developers', 'system:authenticated'] };
const anonymous = { user: 'system:anonymous', groups: ['system:unauthenticated'] };
const kubelet = { user: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] };
const scheduler = { user: 'system:kube-scheduler', groups: ['system:authenticated'] };
const rsController = { user: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };

const res = (who: typeof alice, verb: string, resource: string, extra: Partial<Request> = {}): Request => ({ ...who, verb, resource, namespace: 'default', ...extra });
const url = (who: typeof alice, path: string): Request => ({ ...who, verb: 'get', path });

describe('audit policy', () => {
  it('is a policy kube-apiserver loads (audit.k8s.io/v1 fields and validation)', () => {
    expect(policyErrors(policy)).toEqual([]);
    expect(policy.omitStages).toEqual(['RequestReceived']);
  });

  it('is checked strictly: a misspelled field or an invalid rule is reported', () => {
    const bad = structuredClone(policy) as unknown as { rules: Array<Record<string, unknown>> };
    bad.rules[0]!.verb = ['get'];
    bad.rules[1]!.level = 'Everything';
    bad.rules.push({ level: 'None', nonResourceURLs: ['/x'], resources: [{ group: 'apps/v1' }] });
    const errors = policyErrors(bad);
    expect(errors).toContain('rules[0]: unknown field "verb"');
    expect(errors.some((e) => e.startsWith('rules[1].level'))).toBe(true);
    expect(errors.some((e) => /apps\/v1 is not a DNS subdomain/.test(e))).toBe(true);
    expect(errors.some((e) => /both regular resources and non-resource URLs/.test(e))).toBe(true);
  });

  it('never records a Secret, token or review payload, whatever the request', () => {
    const sensitive: Array<Partial<Request>> = [
      { resource: 'secrets' },
      { resource: 'serviceaccounts', subresource: 'token' },
      { group: 'authentication.k8s.io', resource: 'tokenreviews' },
      { group: 'authorization.k8s.io', resource: 'subjectaccessreviews' },
      { group: 'certificates.k8s.io', resource: 'certificatesigningrequests' },
    ];
    for (const who of [alice, anonymous, kubelet, scheduler, rsController]) {
      for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']) {
        for (const r of sensitive) {
          const level = levelOf(policy, { ...who, verb, namespace: 'default', ...r } as Request);
          expect(['None', 'Metadata'], `${who.user} ${verb} ${JSON.stringify(r)}: ${level}`).toContain(level);
        }
      }
    }
  });

  // What each rule reads, and the least level that gives it to the rule.
  const needs: Array<[string, Request, Level]> = [
    ['Attach/Exec Pod: user, pod, command (in the URI)', res(alice, 'create', 'pods', { subresource: 'exec' }), 'Metadata'],
    ['Attach/Exec Pod via websocket (GET)', res(alice, 'get', 'pods', { subresource: 'attach' }), 'Metadata'],
    ['port-forward', res(alice, 'create', 'pods', { subresource: 'portforward' }), 'Metadata'],
    ['EphemeralContainers Created: the container image', res(alice, 'patch', 'pods', { subresource: 'ephemeralcontainers' }), 'Request'],
    ['privileged / hostNetwork / hostPath pods: the pod spec and its generated name', res(alice, 'create', 'pods'), 'RequestResponse'],
    ['pods created by a controller', res(rsController, 'create', 'pods'), 'RequestResponse'],
    ['Attach to cluster-admin role: the binding', res(alice, 'create', 'clusterrolebindings', { group: 'rbac.authorization.k8s.io', namespace: '' }), 'Request'],
    ['RoleBinding subjects', res(alice, 'create', 'rolebindings', { group: 'rbac.authorization.k8s.io' }), 'Request'],
    ['ClusterRole with wildcard: the rules', res(alice, 'create', 'clusterroles', { group: 'rbac.authorization.k8s.io', namespace: '' }), 'Request'],
    ['Role with pod exec', res(alice, 'patch', 'roles', { group: 'rbac.authorization.k8s.io' }), 'Request'],
    ['ConfigMap with private credentials', res(alice, 'create', 'configmaps'), 'Request'],
    ['NodePort Service: type and ports', res(alice, 'create', 'services'), 'Request'],
    ['Ingress without TLS', res(alice, 'create', 'ingresses', { group: 'networking.k8s.io' }), 'Request'],
    ['Service account created in kube namespace', res(alice, 'create', 'serviceaccounts', { namespace: 'kube-system' }), 'Metadata'],
    ['Create Disallowed Namespace', res(alice, 'create', 'namespaces', { namespace: '' }), 'Metadata'],
    ['K8s secret read by unexpected user (get)', res(alice, 'get', 'secrets'), 'Metadata'],
    ['K8s secret read by unexpected user (list)', res(alice, 'list', 'secrets'), 'Metadata'],
    ['K8s secret read by unexpected user (watch)', res(alice, 'watch', 'secrets'), 'Metadata'],
    ['K8s Secret Deleted', res(alice, 'delete', 'secrets'), 'Metadata'],
    ['K8s Deployment Created', res(alice, 'create', 'deployments', { group: 'apps' }), 'Metadata'],
    ['Untrusted Node joined the cluster (kubelet registers its node)', res(kubelet, 'create', 'nodes', { namespace: '' }), 'Metadata'],
    ['System ClusterRole modified', res(alice, 'delete', 'clusterroles', { group: 'rbac.authorization.k8s.io', namespace: '' }), 'Metadata'],
    ['Disallowed K8s User: any request of a non-system user', res(alice, 'get', 'pods'), 'Metadata'],
    ['Anonymous request allowed: API discovery', url(anonymous, '/api'), 'Metadata'],
    ['Anonymous request allowed: /version', url(anonymous, '/version'), 'Metadata'],
    ['Anonymous request allowed: a resource', res(anonymous, 'list', 'pods'), 'Metadata'],
    ['event deletion (covering tracks)', res(alice, 'delete', 'events'), 'Metadata'],
  ];
  it.each(needs)('records %s', (_what, req, min) => {
    const level = levelOf(policy, req);
    expect(atLeast(level, min), `${JSON.stringify(req)} is recorded at ${level}, the rules need ${min}`).toBe(true);
  });

  const noise: Array<[string, Request]> = [
    ['health probes', url(anonymous, '/healthz')],
    ['readiness probes with a query', url(alice, '/readyz?verbose')],
    ['discovery by kubectl', url(alice, '/apis/apps/v1')],
    ['OpenAPI by kubectl', url(alice, '/openapi/v3')],
    ['node heartbeats', res(kubelet, 'update', 'leases', { group: 'coordination.k8s.io', namespace: 'kube-node-lease' })],
    ['leader election', res(rsController, 'update', 'leases', { group: 'coordination.k8s.io', namespace: 'kube-system' })],
    ['events written by controllers', res(rsController, 'create', 'events')],
    ['events.k8s.io events', res(kubelet, 'patch', 'events', { group: 'events.k8s.io' })],
    ['the scheduler watching pods', res(scheduler, 'watch', 'pods')],
    ['kubelets listing services', res(kubelet, 'list', 'services')],
  ];
  it.each(noise)('leaves out %s', (_what, req) => {
    expect(levelOf(policy, req)).toBe('None');
  });
});

const skip = kubectlSkipReason() ?? (spawnSync('openssl', ['version']).status === 0 ? undefined : 'openssl is not installed (deploy/audit/gen-certs.sh needs it)');
if (skip) console.warn(`test/deploy: skipped: ${skip}`);

/** The kube-apiserver flags deploy/audit/README.md tells users to set. */
function apiserverFlags(): Map<string, string> {
  const text = readFileSync(join(AUDIT, 'README.md'), 'utf8');
  const flags = new Map<string, string>();
  for (const m of text.matchAll(/^--([a-z-]+)=(\S+)$/gm)) flags.set(m[1]!, m[2]!);
  return flags;
}

describe.skipIf(skip)('audit webhook wiring', () => {
  let s: Shipped;
  let cfg: AgentConfig;
  let tmp: string;
  beforeAll(() => {
    s = loadShipped();
    cfg = workloadRunning(s, 'k8s_audit').config;
    tmp = mkdtempSync(join(tmpdir(), 'kestrel-deploy-audit-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('points kube-apiserver at the shipped receiver with the credentials gen-certs.sh makes', () => {
    const kc = webhookKubeconfig();
    const a = cfg.sources.k8s_audit;
    expect(kc.server).toBe(`https://${a.address}:${a.port}${a.path}`);
    expect(new Set([dirname(kc.ca), dirname(kc.cert), dirname(kc.key)])).toEqual(new Set(['/etc/kubernetes/kestrel']));
    const flags = apiserverFlags();
    expect(flags.get('audit-policy-file')).toBe('/etc/kubernetes/kestrel/audit-policy.yaml');
    expect(flags.get('audit-webhook-config-file')).toBe('/etc/kubernetes/kestrel/webhook-kubeconfig.yaml');
    expect(flags.get('audit-webhook-version')).toBe('audit.k8s.io/v1');
    expect(flags.get('audit-webhook-mode')).toBe('batch');
    // Truncation keeps what the apiserver sends within what the receiver accepts.
    expect(flags.get('audit-webhook-truncate-enabled')).toBe('true');
    expect(Number(flags.get('audit-webhook-truncate-max-event-size'))).toBeLessThanOrEqual(a.max_event_bytes);
    expect(Number(flags.get('audit-webhook-truncate-max-batch-size'))).toBeLessThanOrEqual(a.max_body_bytes);
    // The apiserver's directory is mounted into its pod where the flags and kubeconfig look.
    const readme = readFileSync(join(AUDIT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!)).find((y) => y?.spec?.volumes);
    expect(block.spec.volumes[0].hostPath.path).toBe('/etc/kubernetes/kestrel');
    expect(block.spec.containers[0].volumeMounts[0].mountPath).toBe('/etc/kubernetes/kestrel');
  });

  it('delivers audit events from a client with the kubeconfig credentials to the shipped receiver, and refuses others', async () => {
    // The certificates and the Secret, as a user makes them.
    const certs = join(tmp, 'certs');
    const secret = genCerts(certs, 30);
    expect(schemaErrors(secret)).toEqual([]);
    expect(secret[0]!.metadata).toMatchObject({ name: 'kestrel-audit-tls', namespace: 'kestrel' });

    // The pod's view: the Secret at /etc/kestrel/tls, the rules ConfigMap at /etc/kestrel/rules.
    const a = cfg.sources.k8s_audit;
    const secretDir = join(tmp, 'secret');
    mkdirSync(secretDir);
    for (const [k, v] of Object.entries(secretFiles(secret[0]!))) writeFileSync(join(secretDir, k), v);
    for (const f of [a.tls.cert_file!, a.tls.key_file!, a.tls.client_ca_file!]) expect(dirname(f)).toBe('/etc/kestrel/tls');
    const rulesDir = configMapVolume(join(tmp, 'rules'), s.rulesMap.data);
    expect(cfg.rules_files).toEqual(['/etc/kestrel/rules']);

    // The shipped config; only where the files are and the ports differ (this machine is not a node).
    const config: AgentConfig = structuredClone(cfg);
    config.rules_files = [rulesDir];
    config.webserver = { ...config.webserver, listen_address: '127.0.0.1', listen_port: 0 };
    config.sources.k8s_audit = {
      ...a,
      port: 0,
      tls: { cert_file: join(secretDir, basename(a.tls.cert_file!)), key_file: join(secretDir, basename(a.tls.key_file!)), client_ca_file: join(secretDir, basename(a.tls.client_ca_file!)) },
    };
    let alerts = '';
    const stdout = new Writable({
      write(chunk, _enc, done) {
        alerts += chunk;
        done();
      },
    });
    const agent = await Agent.start({ config, log: pino({ level: 'silent' }), stdout });
    try {
      expect(agent.sourceStatus()).toEqual([{ name: 'k8s_audit', ready: true }]);
      const port = (agent.runner('k8s_audit') as unknown as { address(): { port: number } }).address().port;

      // The client side: what webhook-kubeconfig.yaml names, from gen-certs.sh's output.
      const kc = webhookKubeconfig();
      const fromCerts = (p: string) => readFileSync(join(certs, basename(p)));
      expect(new URL(kc.server).hostname).toBe('127.0.0.1');
      const post = (tls: { cert?: Buffer; key?: Buffer }) => postAudit(kc, certs, port, [execEvent], tls);

      // kube-apiserver's view: it verifies the server (CA + SAN 127.0.0.1) and presents its certificate.
      expect(await post(apiserverClient(kc, certs))).toBe(200);
      await (agent.runner('k8s_audit') as unknown as { idle(): Promise<void> }).idle();
      const alert = alerts.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.rule === 'Attach/Exec Pod');
      expect(alert, alerts).toBeDefined();
      expect(alert.output_fields).toMatchObject({ 'ka.user.name': 'alice@example.com', 'ka.target.name': 'cart-7c9d', 'ka.target.namespace': 'shop' });

      // No client certificate, or one Kestrel's CA did not sign (the server's own, serverAuth only): refused.
      await expect(post({})).rejects.toThrow();
      const other = join(tmp, 'other');
      expect(spawnSync('bash', [join(AUDIT, 'gen-certs.sh'), other], { encoding: 'utf8' }).status).toBe(0);
      await expect(post({ cert: readFileSync(join(other, 'apiserver-client.crt')), key: readFileSync(join(other, 'apiserver-client.key')) })).rejects.toThrow();
      await expect(post({ cert: fromCerts('tls.crt'), key: fromCerts('tls.key') })).rejects.toThrow();
    } finally {
      await agent.stop();
    }
  });
});
