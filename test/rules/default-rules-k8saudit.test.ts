// Kestrel's default k8s_audit rules (rules/) against audit events shaped exactly as kube-apiserver
// sends them (test/sources/k8saudit/fixtures.ts): each rule fires on the request it is about, says
// who did what to which object and from where, and stays quiet on the ordinary requests next to it.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/alert.js';
import type { SourceRuleSet } from '../../src/engine/ruleset.js';
import { defaultRulesPath } from '../../src/rules/defaults.js';
import { loadRules } from '../../src/index.js';
import { AuditEvent, type JsonObject } from '../../src/sources/k8saudit/event.js';
import * as fx from '../sources/k8saudit/fixtures.js';

type Obj = fx.Obj;

let rules: SourceRuleSet<AuditEvent>;
const fired = new Set<string>();

beforeAll(async () => {
  const r = await loadRules([defaultRulesPath()], { hostname: 'node-1', ruleMatching: 'all' });
  expect(r.errors).toEqual([]);
  rules = r.ruleset.forSource<AuditEvent>('k8s_audit')!;
});

const fire = (e: Obj): Alert[] => [...rules.evaluate(new AuditEvent(e as JsonObject))];
const rulesOf = (e: Obj) => fire(e).map((a) => a.rule);

/** The alerts for `e` are exactly `names`; returns the first one. */
function expectRules(e: Obj, names: string[]): Alert {
  const alerts = fire(e);
  expect(alerts.map((a) => a.rule)).toEqual(names);
  for (const n of names) fired.add(n);
  return alerts[0]!;
}
const expectQuiet = (...events: Obj[]) => {
  for (const e of events) expect(rulesOf(e), `${e.verb} ${e.requestURI}`).toEqual([]);
};

const alice = { username: 'alice@example.com', groups: ['developers', 'system:authenticated'] };
const kubelet = { username: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] };
const cartSa = { username: 'system:serviceaccount:shop:cart', groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'] };

function roleBinding(role: string, ns = 'shop'): Obj {
  const body = { kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'ops', namespace: ns }, subjects: [{ kind: 'User', name: 'mallory' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role } };
  return fx.auditEvent({
    verb: 'create',
    uri: `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
    objectRef: { resource: 'rolebindings', namespace: ns, name: 'ops', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    code: 201,
    requestObject: body,
    responseObject: body,
  });
}

function tokenRequest(user: Obj, ns = 'kube-system', sa = 'clusterrole-aggregation-controller'): Obj {
  return fx.auditEvent({
    level: 'Metadata',
    verb: 'create',
    uri: `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`,
    user,
    objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: ns, name: sa, apiVersion: 'v1' },
    code: 201,
  });
}

function eventsDelete(user: Obj): Obj {
  return fx.auditEvent({
    level: 'Metadata',
    verb: 'deletecollection',
    uri: '/api/v1/namespaces/shop/events',
    user,
    objectRef: { resource: 'events', namespace: 'shop', apiVersion: 'v1' },
    code: 200,
  });
}

describe('pods: exec, attach, port-forward, debug', () => {
  it('Attach/Exec Pod: kubectl exec into a pod, with the command, the user and where from', () => {
    const a = expectRules(fx.execDeckhouse(), ['Attach/Exec Pod']);
    expect(a.priority).toBe('Notice');
    expect(a.output).toMatch(
      /: Notice Attach\/Exec to pod \(user=admin@example.com pod=deckhouse-77f868d554-8zpt4 ns=d8-system action=exec command=mkdir container=deckhouse groups=\(system:masters,system:authenticated\) source_ips=\(10\.20\.0\.15\) useragent=kubectl\/v1\.29\.3 /,
    );
    // websocket clients (newer kubectl) exec with GET
    const ws = fx.auditEvent({
      level: 'Metadata',
      stage: 'ResponseStarted',
      verb: 'get',
      uri: '/api/v1/namespaces/shop/pods/cart-0/attach?container=cart&stdin=true&stdout=true&tty=true',
      user: alice,
      objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-0', apiVersion: 'v1', subresource: 'attach' },
      code: 101,
    });
    expect(expectRules(ws, ['Attach/Exec Pod']).output_fields).toMatchObject({ 'ka.user.name': 'alice@example.com', 'ka.target.subresource': 'attach' });
  });

  it('Attach/Exec Pod near misses: the same session ending (ResponseComplete), a pod read', () => {
    expectQuiet(
      fx.execDeckhouse('ResponseComplete'),
      fx.auditEvent({ verb: 'get', uri: '/api/v1/namespaces/shop/pods/cart-0', user: alice, objectRef: { resource: 'pods', namespace: 'shop', name: 'cart-0', apiVersion: 'v1' } }),
    );
  });

  it('port-forward and EphemeralContainers Created', () => {
    const pf = expectRules(fx.portForward(), ['port-forward']);
    expect(pf.output_fields).toMatchObject({ 'ka.target.name': 'grafana-5f8d6b7c9-q8w2z', 'ka.target.namespace': 'monitoring' });
    const dbg = expectRules(fx.ephemeralContainer(), ['EphemeralContainers Created']);
    expect(dbg.output).toContain('container=debugger-x7k2q image=docker.io/library/busybox:1.36 target=app');
  });
});

describe('pod specs', () => {
  it('Create Privileged Pod: a privileged container or init container, not an ordinary pod nor a refused one', () => {
    const a = expectRules(fx.podCreate({ privileged: true }), ['Create Privileged Pod']);
    expect(a.priority).toBe('Warning');
    expect(a.output_fields).toMatchObject({
      'ka.user.name': 'system:serviceaccount:kube-system:replicaset-controller',
      'ka.resp.name': 'web-7d4b9c8f6d-x2kqp',
      'ka.target.namespace': 'default',
      'ka.req.pod.containers.image': ['docker.io/library/nginx:1.25.4'],
    });
    expectRules(fx.podCreate({ initPrivileged: true }), ['Create Privileged Pod']);
    expectQuiet(fx.podCreate({ privileged: false }), fx.podCreate({}), fx.podCreate({ privileged: true, code: 403 }));
  });

  it('Create HostNetwork Pod, Create HostPid Pod, Create HostIPC Pod', () => {
    expect(expectRules(fx.podCreate({ hostNetwork: true, ns: 'shop' }), ['Create HostNetwork Pod']).output).toContain('ns=shop');
    expectRules(fx.podCreate({ hostPID: true }), ['Create HostPid Pod']);
    expectRules(fx.podCreate({ hostIPC: true }), ['Create HostIPC Pod']);
    // system namespaces run node agents with the host network
    expectQuiet(fx.podCreate({ hostNetwork: true, ns: 'kube-system' }));
  });

  it('Create Sensitive Mount Pod: the container runtime socket or /etc; an ordinary hostPath does not fire', () => {
    const a = expectRules(fx.podCreate({ hostPaths: ['/var/run/docker.sock'] }), ['Create Sensitive Mount Pod']);
    expect(a.output_fields['ka.req.pod.volumes.hostpath']).toEqual(['/var/run/docker.sock']);
    expectRules(fx.podCreate({ hostPaths: ['/var/log', '/etc'] }), ['Create Sensitive Mount Pod']);
    expectQuiet(fx.podCreate({ hostPaths: ['/var/log/app'] }));
  });

  it('Create Pod With Sensitive Capabilities: SYS_ADMIN added; NET_BIND_SERVICE is fine', () => {
    const caps = (add: string[]) => fx.podCreate({ extraContainers: [{ name: 'agent', image: 'ghcr.io/acme/agent:1', securityContext: { capabilities: { add } } }] });
    const a = expectRules(caps(['NET_BIND_SERVICE', 'SYS_ADMIN']), ['Create Pod With Sensitive Capabilities']);
    expect(a.output).toContain('capabilities=(NET_BIND_SERVICE,SYS_ADMIN)');
    expectQuiet(caps(['NET_BIND_SERVICE']));
  });
});

describe('RBAC', () => {
  it('Attach to cluster-admin Role: ClusterRoleBinding and RoleBinding to cluster-admin, with the subjects', () => {
    const a = expectRules(fx.clusterRoleBinding('cluster-admin', [{ kind: 'User', name: 'mallory', apiGroup: 'rbac.authorization.k8s.io' }]), ['Attach to cluster-admin Role']);
    expect(a.output).toContain('user=kubernetes-admin binding=ops-admin kind=clusterrolebindings');
    expect(a.output).toContain('mallory');
    expectRules(roleBinding('cluster-admin'), ['Attach to cluster-admin Role']);
    expectQuiet(fx.clusterRoleBinding('view', [{ kind: 'Group', name: 'developers' }]), roleBinding('edit'));
  });

  it('ClusterRole With Wildcard Created and ClusterRole With Pod Exec Created', () => {
    const w = expectRules(fx.clusterRoleCreate('everything', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]), ['ClusterRole With Wildcard Created']);
    expect(w.output_fields).toMatchObject({ 'ka.target.name': 'everything', 'ka.target.resource': 'clusterroles' });
    const x = expectRules(fx.clusterRoleCreate('debugger', [{ apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['get', 'create'] }], 'Role'), ['ClusterRole With Pod Exec Created']);
    expect(x.output_fields).toMatchObject({ 'ka.target.namespace': 'default', 'ka.target.resource': 'roles' });
    expectQuiet(fx.clusterRoleCreate('reader', [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }]));
  });

  it('System ClusterRole Modified/Deleted: system:node deleted by a person; system:coredns and ordinary roles do not fire', () => {
    const a = expectRules(fx.clusterRoleDelete('system:node'), ['System ClusterRole Modified/Deleted']);
    expect(a.output_fields).toMatchObject({ 'ka.target.name': 'system:node', 'ka.verb': 'delete', 'ka.user.name': 'kubernetes-admin' });
    expectQuiet(fx.clusterRoleDelete('system:coredns'), fx.clusterRoleDelete('reader'));
  });
});

describe('credentials', () => {
  it('K8s secret read by unexpected user: a person reads a secret; controllers and the kubelet do not fire', () => {
    const a = expectRules(fx.secretGet('shop', 'db-password'), ['K8s secret read by unexpected user']);
    expect(a.output).toMatch(/Secret read \(user=admin@example.com verb=get secret=db-password ns=shop /);
    expectQuiet(fx.secretGet('shop', 'db-password', 200, fx.users.rsController), fx.secretGet('shop', 'db-password', 200, kubelet));
  });

  it('K8s secret access denied: a pod service account and a person are refused; the kubelet being refused does not fire', () => {
    const a = expectRules(fx.secretGet('kube-system', 'bootstrap-token-abc', 403, cartSa), ['K8s secret access denied']);
    expect(a.output_fields).toMatchObject({ 'ka.user.name': 'system:serviceaccount:shop:cart', 'ka.response.code': '403', 'ka.target.name': 'bootstrap-token-abc' });
    expectRules(fx.secretGet('kube-system', 'x', 403, alice), ['K8s secret access denied']);
    expectQuiet(fx.secretGet('shop', 'x', 403, kubelet));
  });

  it('Create/Modify Configmap With Private Credentials: a password in a ConfigMap; plain settings do not fire', () => {
    const a = expectRules(fx.configMapCreate({ 'DB_PASSWORD': 'hunter2', 'LOG_LEVEL': 'debug' }), ['Create/Modify Configmap With Private Credentials']);
    expect(a.output_fields).toMatchObject({ 'ka.req.configmap.name': 'app-settings', 'ka.user.name': 'kubernetes-admin' });
    expectQuiet(fx.configMapCreate({ LOG_LEVEL: 'debug', 'nginx.conf': 'server { listen 80; }' }));
  });

  it('Service Account Created in Kube Namespace: an unknown account in kube-system; known controllers and other namespaces do not fire', () => {
    const a = expectRules(fx.serviceAccountCreate('kube-system', 'kube-metrics-helper'), ['Service Account Created in Kube Namespace']);
    expect(a.output_fields).toMatchObject({ 'ka.target.name': 'kube-metrics-helper', 'ka.target.namespace': 'kube-system', 'ka.user.name': 'kubernetes-admin' });
    expectQuiet(fx.serviceAccountCreate('kube-system', 'coredns'), fx.serviceAccountCreate('shop', 'kube-metrics-helper'), fx.serviceAccountCreate('kube-system', 'x', 409));
  });

  it('Service account token requested by user: kubectl create token by a person; the kubelet minting pod tokens does not fire', () => {
    const a = expectRules(tokenRequest(alice), ['Service account token requested by user']);
    expect(a.output_fields).toMatchObject({ 'ka.user.name': 'alice@example.com', 'ka.target.name': 'clusterrole-aggregation-controller', 'ka.target.namespace': 'kube-system' });
    expectQuiet(tokenRequest(kubelet, 'shop', 'cart'));
  });
});

describe('exposure and tracks', () => {
  it('Create NodePort Service: NodePort with its ports; ClusterIP does not fire', () => {
    const a = expectRules(fx.serviceCreate('NodePort'), ['Create NodePort Service']);
    expect(a.output).toContain('service=web-public ns=default');
    expect(a.output).toContain('30080');
    expectQuiet(fx.serviceCreate('ClusterIP'));
  });

  it('Anonymous Request Allowed: an anonymous pod list; health probes and refused requests do not fire', () => {
    const a = expectRules(fx.anonymousGet('/api/v1/namespaces/default/pods'), ['Anonymous Request Allowed']);
    expect(a.output_fields).toMatchObject({ 'ka.user.name': 'system:anonymous', 'ka.uri': '/api/v1/namespaces/default/pods', 'ka.useragent': 'curl/8.5.0' });
    expectQuiet(fx.anonymousGet('/healthz'), fx.anonymousGet('/readyz?verbose'), fx.anonymousGet('/version'), fx.anonymousGet('/api/v1/secrets', 'forbid'));
  });

  it('K8s events deleted: a person deletes the events of a namespace; the garbage collector does not fire', () => {
    const a = expectRules(eventsDelete(alice), ['K8s events deleted']);
    expect(a.output_fields).toMatchObject({ 'ka.user.name': 'alice@example.com', 'ka.verb': 'deletecollection', 'ka.target.namespace': 'shop' });
    expectQuiet(eventsDelete({ username: 'system:serviceaccount:kube-system:generic-garbage-collector' }));
  });

  it('ordinary cluster activity raises nothing', () => {
    expectQuiet(fx.podCreate(), fx.deploymentCreate(), fx.namespaceCreate('team-a'), fx.ingressCreate(true), fx.serviceCreate('ClusterIP'));
  });
});

// Last in the file: vitest runs a file's tests in order, so every test above has run.
it('every default k8s_audit rule was seen firing above', () => {
  expect(rules.rules.map((r) => r.name).filter((r) => !fired.has(r))).toEqual([]);
});
