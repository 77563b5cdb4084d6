// Falco's k8s_audit_rules.yaml, unchanged, against audit events shaped as kube-apiserver sends them.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/engine/alert.js';
import type { SourceRuleSet } from '../../../src/engine/ruleset.js';
import { loadRules } from '../../../src/index.js';
import { AuditEvent, type JsonObject } from '../../../src/sources/k8saudit/event.js';
import * as fx from './fixtures.js';

const UPSTREAM = new URL('../../../../shared/upstream-rules/k8s_audit_rules.yaml', import.meta.url).pathname;
const haveUpstream = existsSync(UPSTREAM);
if (!haveUpstream) console.warn(`SKIPPED: upstream k8s audit rules not found at ${UPSTREAM}`);

describe.skipIf(!haveUpstream)('upstream k8s_audit_rules.yaml on realistic audit events', () => {
  let all: SourceRuleSet<AuditEvent>;
  let first: SourceRuleSet<AuditEvent>;
  beforeAll(async () => {
    const a = await loadRules([UPSTREAM], { ruleMatching: 'all' });
    expect(a.errors).toEqual([]);
    all = a.ruleset.forSource<AuditEvent>('k8s_audit')!;
    first = (await loadRules([UPSTREAM])).ruleset.forSource<AuditEvent>('k8s_audit')!;
  });
  const fire = (e: object): Alert[] => [...all.evaluate(new AuditEvent(e as JsonObject))];
  const rulesOf = (e: object) => fire(e).map((a) => a.rule);
  const alertFor = (e: object, rule: string): Alert => {
    const a = fire(e).find((x) => x.rule === rule);
    if (!a) throw new Error(`${rule} did not fire; fired: ${rulesOf(e).join(', ') || 'nothing'}`);
    return a;
  };
  const fired = new Set<string>();
  const expectRules = (e: object, rules: string[]) => {
    expect(rulesOf(e).sort()).toEqual([...rules].sort());
    for (const r of rules) fired.add(r);
  };

  it('the published example: admin@example.com execs mkdir into deckhouse in d8-system', () => {
    const e = fx.execDeckhouse();
    const alerts = [...first.evaluate(new AuditEvent(e as JsonObject))];
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a.rule).toBe('Attach/Exec Pod');
    expect(a.priority).toBe('Notice');
    expect(a.source).toBe('k8s_audit');
    expect(a.output).toMatch(
      /^\d\d:\d\d:\d\d\.\d{9}: Notice Attach\/Exec to pod \(user=admin@example.com pod=deckhouse-77f868d554-8zpt4 resource=pods ns=d8-system action=exec command=mkdir\)$/,
    );
    expect(a.output_fields).toMatchObject({
      'ka.user.name': 'admin@example.com',
      'ka.target.name': 'deckhouse-77f868d554-8zpt4',
      'ka.target.namespace': 'd8-system',
      'ka.target.subresource': 'exec',
      'ka.uri.param[command]': 'mkdir',
    });
    expect(a.time).toBe(`${e.stageTimestamp.slice(0, 26)}000Z`);
    expectRules(e, ['Attach/Exec Pod']);
    // The same exec once the session ended (ResponseComplete) is not reported again.
    expectRules(fx.execDeckhouse('ResponseComplete'), ['Disallowed K8s User']);
  });

  it('privileged pods, in containers or initContainers, v1 and v1beta1', () => {
    const e = fx.podCreate({ privileged: true, ns: 'payments', name: 'api-6c9f7d5b8-mz4tw' });
    const a = alertFor(e, 'Create Privileged Pod');
    expect(a.output_fields).toMatchObject({
      'ka.user.name': 'system:serviceaccount:kube-system:replicaset-controller',
      'ka.resp.name': 'api-6c9f7d5b8-mz4tw',
      'ka.target.namespace': 'payments',
    });
    expect(a.output).toContain('images=(docker.io/library/nginx:1.25.4)');
    expectRules(e, ['Create Privileged Pod']);
    expectRules(fx.podCreate({ initPrivileged: true }), ['Create Privileged Pod']);
    expectRules(fx.podCreate({ privileged: true, apiVersion: 'audit.k8s.io/v1beta1' }), ['Create Privileged Pod']);
    // near misses: privileged: false, an allowed privileged image, Metadata level (no request body)
    expectRules(fx.podCreate({ privileged: false, initPrivileged: false }), []);
    expectRules(fx.podCreate({ privileged: true, image: 'docker.io/falcosecurity/falco:0.38.1' }), []);
    expectRules({ ...fx.podCreate({ privileged: true }), level: 'Metadata', requestObject: undefined, responseObject: undefined }, []);
  });

  it('host namespaces and sensitive hostPath mounts', () => {
    expectRules(fx.podCreate({ hostNetwork: true }), ['Create HostNetwork Pod']);
    expectRules(fx.podCreate({ hostPID: true }), ['Create HostPid Pod']);
    expectRules(fx.podCreate({ hostIPC: true }), ['Create HostIPC Pod']);
    const mount = fx.podCreate({ hostPaths: ['/var/log', '/var/run/docker.sock'] });
    const a = alertFor(mount, 'Create Sensitive Mount Pod');
    expect(a.output).toContain('"hostPath":{"path":"/var/run/docker.sock","type":""}');
    expectRules(mount, ['Create Sensitive Mount Pod']);
    // near misses: hostPath below /etc is not /etc; an allowed hostNetwork image
    expectRules(fx.podCreate({ hostPaths: ['/var/log', '/etc/nginx'] }), []);
    expectRules(fx.podCreate({ hostNetwork: true, image: 'gke.gcr.io/kube-proxy:v1.29.3-gke.1' }), []);
  });

  it('pods in kube-system from untrusted images', () => {
    const e = fx.podCreate({ ns: 'kube-system', image: 'ghcr.io/evil/miner:latest' });
    expect(alertFor(e, 'Pod Created in Kube Namespace').output_fields).toMatchObject({ 'ka.target.namespace': 'kube-system' });
    expectRules(e, ['Pod Created in Kube Namespace']);
    expectRules(fx.podCreate({ ns: 'kube-system', image: 'registry.k8s.io/kube-apiserver:v1.29.3' }), []);
  });

  it('NodePort services, not ClusterIP ones', () => {
    const e = fx.serviceCreate('NodePort');
    const a = alertFor(e, 'Create NodePort Service');
    expect(a.output_fields).toMatchObject({ 'ka.user.name': 'kubernetes-admin', 'ka.target.name': 'web-public', 'ka.target.namespace': 'default' });
    expect(a.output).toContain('"nodePort":30080');
    expectRules(e, ['Create NodePort Service', 'K8s Service Created']);
    expectRules(fx.serviceCreate('ClusterIP'), ['K8s Service Created']);
  });

  it('ConfigMaps holding credentials', () => {
    const e = fx.configMapCreate({ 'aws.ini': '[default]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\n' }, 'cloud-creds');
    expect(alertFor(e, 'Create/Modify Configmap With Private Credentials').output_fields).toMatchObject({ 'ka.req.configmap.name': 'cloud-creds', 'ka.verb': 'create' });
    expectRules(e, ['Create/Modify Configmap With Private Credentials', 'K8s ConfigMap Created']);
    expectRules(fx.configMapCreate({ 'nginx.conf': 'worker_processes 2;' }), ['K8s ConfigMap Created']);
  });

  it('anonymous requests that were allowed, except health checks', () => {
    const e = fx.anonymousGet('/api/v1/namespaces/kube-system/secrets');
    expect(alertFor(e, 'Anonymous Request Allowed').output_fields).toMatchObject({ 'ka.user.name': 'system:anonymous', 'ka.uri': '/api/v1/namespaces/kube-system/secrets' });
    expectRules(e, ['Anonymous Request Allowed']);
    expectRules(fx.anonymousGet('/api/v1/namespaces/kube-system/secrets', 'forbid'), []);
    expectRules(fx.anonymousGet('/readyz?verbose'), []);
  });

  it('port-forward and ephemeral (debug) containers', () => {
    expectRules(fx.portForward(), ['port-forward']);
    const e = fx.ephemeralContainer();
    const a = alertFor(e, 'EphemeralContainers Created');
    expect(a.output_fields).toMatchObject({
      'jevt.value[/requestObject/ephemeralContainers/0/name]': 'debugger-x7k2q',
      'jevt.value[/requestObject/ephemeralContainers/0/image]': 'docker.io/library/busybox:1.36',
    });
    expectRules(e, ['EphemeralContainers Created', 'Disallowed K8s User']);
  });

  it('namespaces and service accounts', () => {
    expectRules(fx.namespaceCreate('crypto-mining'), ['Create Disallowed Namespace', 'K8s Namespace Created']);
    expectRules(fx.namespaceCreate('kube-public'), ['K8s Namespace Created']);
    const sa = fx.serviceAccountCreate('kube-system', 'backup-agent');
    expect(alertFor(sa, 'Service Account Created in Kube Namespace').output_fields).toMatchObject({ 'ka.target.name': 'backup-agent', 'ka.target.namespace': 'kube-system' });
    expectRules(sa, ['Service Account Created in Kube Namespace', 'K8s Serviceaccount Created']);
    expectRules(fx.serviceAccountCreate('kube-system', 'coredns'), ['K8s Serviceaccount Created']);
    expectRules(fx.serviceAccountCreate('kube-system', 'backup-agent', 409), []);
  });

  it('RBAC: cluster-admin bindings, wildcard / write / pod-exec roles, system role changes', () => {
    const crb = fx.clusterRoleBinding('cluster-admin', [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory@example.com' }]);
    const a = alertFor(crb, 'Attach to cluster-admin Role');
    expect(a.output).toContain('subject=({"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory@example.com"})');
    expectRules(crb, ['Attach to cluster-admin Role', 'K8s ClusterRoleBinding Created']);
    expectRules(fx.clusterRoleBinding('view', [{ kind: 'Group', name: 'auditors' }]), ['K8s ClusterRoleBinding Created']);

    expectRules(fx.clusterRoleCreate('everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]), [
      'ClusterRole With Wildcard Created',
      'K8s ClusterRole Created',
    ]);
    expectRules(fx.clusterRoleCreate('deployer', [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'create', 'patch'] }]), [
      'ClusterRole With Write Privileges Created',
      'K8s ClusterRole Created',
    ]);
    const exec = fx.clusterRoleCreate('debugger', [{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['get'] }], 'Role');
    expect(alertFor(exec, 'ClusterRole With Pod Exec Created').output_fields).toMatchObject({ 'ka.target.name': 'debugger', 'ka.target.resource': 'roles' });
    expectRules(exec, ['ClusterRole With Pod Exec Created', 'K8s Role Created']);
    expectRules(fx.clusterRoleCreate('reader', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] }]), ['K8s ClusterRole Created']);

    expectRules(fx.clusterRoleDelete('system:node'), ['System ClusterRole Modified/Deleted', 'K8s ClusterRole Deleted']);
    expectRules(fx.clusterRoleDelete('system:coredns'), ['K8s ClusterRole Deleted']);
  });

  it('secrets read, successfully or not; users outside the allowed list', () => {
    const ok = fx.secretGet('kube-system', 'bootstrap-token-abcdef', 200, fx.users.kubeAdmin);
    expect(alertFor(ok, 'K8s Secret Get Successfully').output_fields).toMatchObject({ 'ka.target.name': 'bootstrap-token-abcdef', 'ka.target.namespace': 'kube-system', 'ka.response.code': '200' });
    expectRules(ok, ['K8s Secret Get Successfully']);
    expectRules(fx.secretGet('kube-system', 'bootstrap-token-abcdef', 403, fx.users.kubeAdmin), ['K8s Secret Get Unsuccessfully Tried']);
    const stranger = fx.secretGet('default', 'db-password', 200, { username: 'eve@example.com', groups: ['system:authenticated'] });
    expect(alertFor(stranger, 'Disallowed K8s User').output).toContain('user=eve@example.com target=db-password/secrets verb=get');
    expectRules(stranger, ['Disallowed K8s User', 'K8s Secret Get Successfully']);
  });

  it('ingresses without TLS and activity rules', () => {
    expectRules(fx.ingressCreate(false), ['Ingress Object without TLS Certificate Created']);
    expectRules(fx.ingressCreate(true), []);
    expectRules(fx.deploymentCreate(), ['K8s Deployment Created']);
  });

  it('fired at least 15 different rules over these scenarios', () => {
    expect(fired.size).toBeGreaterThanOrEqual(15);
  });
});
