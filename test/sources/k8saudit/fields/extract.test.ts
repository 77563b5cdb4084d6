import { describe, expect, it } from 'vitest';
import { AuditEvent, parseRfc3339Ns, type JsonObject } from '../../../../src/sources/k8saudit/event.js';
import { k8sAuditSource } from '../../../../src/sources/k8saudit/source.js';
import * as fx from '../fixtures.js';

function value(obj: object, name: string, arg?: string, event = new AuditEvent(obj as JsonObject)) {
  const r = k8sAuditSource.fields.resolve(name, arg);
  if (!r) throw new Error(`unknown field ${name}`);
  return r.def.bind!(r.arg)(event);
}

describe('k8s_audit field extraction', () => {
  const exec = fx.execDeckhouse();

  it('reads the request metadata fields', () => {
    expect(value(exec, 'ka.user.name')).toBe('admin@example.com');
    expect(value(exec, 'ka.user.groups')).toEqual(['system:masters', 'system:authenticated']);
    expect(value(exec, 'ka.verb')).toBe('create');
    expect(value(exec, 'ka.stage')).toBe('ResponseStarted');
    expect(value(exec, 'ka.auditid')).toBe(exec.auditID);
    expect(value(exec, 'ka.target.name')).toBe('deckhouse-77f868d554-8zpt4');
    expect(value(exec, 'ka.target.namespace')).toBe('d8-system');
    expect(value(exec, 'ka.target.resource')).toBe('pods');
    expect(value(exec, 'ka.target.subresource')).toBe('exec');
    expect(value(exec, 'ka.target.pod.name')).toBe('deckhouse-77f868d554-8zpt4');
    expect(value(exec, 'ka.auth.decision')).toBe('allow');
    expect(value(exec, 'ka.response.code')).toBe('101');
    expect(value(exec, 'ka.useragent')).toMatch(/^kubectl\//);
    expect(value(exec, 'ka.sourceips')).toEqual(['10.20.0.15']);
    expect(value(exec, 'ka.sourceips', '0')).toEqual(['10.20.0.15']);
    expect(value(exec, 'ka.sourceips', '1')).toBeUndefined();
    expect(value(exec, 'ka.impuser.name')).toBeUndefined();
    expect(value(exec, 'ka.resp.name')).toBeUndefined();
  });

  it('ka.uri.param gives the first value of a query parameter, decoded', () => {
    expect(value(exec, 'ka.uri.param', 'command')).toBe('mkdir');
    expect(value(exec, 'ka.uri.param', 'container')).toBe('deckhouse');
    expect(value(exec, 'ka.uri.param', 'nope')).toBeUndefined();
    const e = fx.auditEvent({ verb: 'get', uri: '/api/v1/pods?labelSelector=app%3Dweb+tier&limit=500' });
    expect(value(e, 'ka.uri.param', 'labelSelector')).toBe('app=web tier');
    expect(value(fx.auditEvent({ verb: 'get', uri: '/healthz' }), 'ka.uri.param', 'x')).toBeUndefined();
  });

  it('pod fields follow the plugin: string values, lists over containers, index argument', () => {
    const pod = fx.podCreate({
      privileged: true,
      initPrivileged: false,
      hostNetwork: true,
      hostPaths: ['/etc', '/var/run/docker.sock'],
      image: 'registry.example.com/team/api@sha256:0f2e',
      extraContainers: [{ name: 'sidecar', image: 'docker.io/envoyproxy/envoy:v1.29.1', ports: [{ containerPort: 9901, hostPort: 19901 }],
        securityContext: { runAsUser: 1000, capabilities: { add: ['NET_ADMIN', 'SYS_TIME'] }, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, procMount: 'Default' },
        command: ['envoy'], args: ['-c', '/etc/envoy.yaml'] }],
      podSecurityContext: { runAsUser: 2000, runAsGroup: 3000, fsGroup: 4000, supplementalGroups: [5000, 5001] },
    });
    expect(value(pod, 'ka.req.pod.containers.image')).toEqual(['registry.example.com/team/api@sha256:0f2e', 'docker.io/envoyproxy/envoy:v1.29.1']);
    expect(value(pod, 'ka.req.pod.containers.image', '1')).toEqual(['docker.io/envoyproxy/envoy:v1.29.1']);
    expect(value(pod, 'ka.req.pod.containers.image', '2')).toBeUndefined();
    expect(value(pod, 'ka.req.pod.containers.image.repository')).toEqual(['registry.example.com/team/api', 'docker.io/envoyproxy/envoy']);
    expect(value(pod, 'ka.req.container.image')).toBe('registry.example.com/team/api@sha256:0f2e');
    expect(value(pod, 'ka.req.container.image.repository')).toBe('registry.example.com/team/api');
    expect(value(pod, 'ka.req.pod.containers.name')).toEqual(['app', 'sidecar']);
    expect(value(pod, 'ka.req.pod.containers.privileged')).toEqual(['true']);
    expect(value(pod, 'ka.req.container.privileged')).toBe('true');
    expect(value(pod, 'ka.req.pod.initContainers.privileged')).toEqual(['false']);
    expect(value(pod, 'ka.req.pod.initContainers.image')).toEqual(['docker.io/library/busybox:1.36']);
    expect(value(pod, 'ka.req.pod.initContainers.command')).toEqual(['sysctl', '-w', 'vm.max_map_count=262144']);
    expect(value(pod, 'ka.req.pod.ephemeralContainers.privileged')).toBeUndefined();
    expect(value(pod, 'ka.req.pod.host_network')).toBe('true');
    expect(value(pod, 'ka.req.container.host_network')).toBe('true');
    expect(value(pod, 'ka.req.pod.host_pid')).toBeUndefined();
    expect(value(pod, 'ka.req.pod.containers.host_port')).toEqual(['8080', '19901']);
    expect(value(pod, 'ka.req.pod.containers.run_as_user')).toEqual(['1000']);
    expect(value(pod, 'ka.req.pod.containers.eff_run_as_user')).toEqual(['2000', '1000']);
    expect(value(pod, 'ka.req.pod.containers.eff_run_as_group')).toEqual(['3000', '3000']);
    expect(value(pod, 'ka.req.pod.run_as_user')).toBe('2000');
    expect(value(pod, 'ka.req.pod.fs_group')).toBe('4000');
    expect(value(pod, 'ka.req.pod.supplemental_groups')).toEqual(['5000', '5001']);
    expect(value(pod, 'ka.req.pod.containers.add_capabilities')).toEqual(['NET_ADMIN', 'SYS_TIME']);
    expect(value(pod, 'ka.req.pod.containers.allow_privilege_escalation')).toEqual(['false']);
    expect(value(pod, 'ka.req.pod.containers.read_only_fs')).toEqual(['true']);
    expect(value(pod, 'ka.req.pod.containers.proc_mount')).toEqual(['Default']);
    expect(value(pod, 'ka.req.pod.containers.command')).toEqual(['envoy']);
    expect(value(pod, 'ka.req.pod.containers.args')).toEqual(['-c', '/etc/envoy.yaml']);
    expect(value(pod, 'ka.req.pod.volumes.hostpath')).toEqual(['/etc', '/var/run/docker.sock']);
    expect(value(pod, 'ka.req.pod.volumes.hostpath', '1')).toEqual(['/etc']);
    expect(value(pod, 'ka.req.pod.volumes.volume_type')).toEqual(['projected', 'hostPath', 'hostPath']);
    expect(value(pod, 'ka.resp.name')).toBe('web-7d4b9c8f6d-x2kqp');
    expect(value(pod, 'ka.target.pod.name')).toBe('web-7d4b9c8f6d-x2kqp');
  });

  it('eff_run_as_user defaults to 0 without pod or container runAsUser', () => {
    const pod = fx.podCreate({});
    expect(value(pod, 'ka.req.pod.containers.eff_run_as_user')).toEqual(['0']);
    expect(value(pod, 'ka.req.pod.containers.run_as_user')).toBeUndefined();
  });

  it('ka.req.volume.hostpath[path] tells whether a hostPath volume uses the path (trailing * = prefix)', () => {
    const pod = fx.podCreate({ hostPaths: ['/etc/kubernetes/pki'] });
    expect(value(pod, 'ka.req.volume.hostpath', '/etc/kubernetes/pki')).toBe('true');
    expect(value(pod, 'ka.req.volume.hostpath', '/etc')).toBe('false');
    expect(value(pod, 'ka.req.volume.hostpath', '/etc*')).toBe('true');
    expect(value(exec, 'ka.req.volume.hostpath', '/etc')).toBeUndefined();
  });

  it('binding, role, service and configmap fields', () => {
    const crb = fx.clusterRoleBinding('cluster-admin', [
      { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory@example.com' },
      { kind: 'ServiceAccount', name: 'ci-deployer', namespace: 'ci' },
      { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'contractors' },
    ]);
    expect(value(crb, 'ka.req.binding.role')).toBe('cluster-admin');
    expect(value(crb, 'ka.req.binding.subjects')).toEqual([
      '{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"mallory@example.com"}',
      '{"kind":"ServiceAccount","name":"ci-deployer","namespace":"ci"}',
      '{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"contractors"}',
    ]);
    expect(value(crb, 'ka.req.binding.subjects.user_names')).toEqual(['mallory@example.com']);
    expect(value(crb, 'ka.req.binding.subjects.serviceaccount_names')).toEqual(['ci-deployer']);
    expect(value(crb, 'ka.req.binding.subjects.serviceaccount_ns_names')).toEqual(['ci:ci-deployer']);
    expect(value(crb, 'ka.req.binding.subjects.group_names')).toEqual(['contractors']);
    expect(value(crb, 'ka.req.binding.subject.has_name', 'x')).toBe('true');

    const role = fx.clusterRoleCreate('ops', [
      { apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['get', 'create'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ]);
    expect(value(role, 'ka.req.role.rules.resources')).toEqual(['pods', 'pods/exec', 'deployments']);
    expect(value(role, 'ka.req.role.rules.verbs')).toEqual(['get', 'create', '*', 'get']);
    expect(value(role, 'ka.req.role.rules.verbs', '1')).toEqual(['*']);
    expect(value(role, 'ka.req.role.rules.apiGroups')).toEqual(['', 'apps']);
    expect(value(role, 'ka.req.role.rules.nonResourceURLs')).toEqual(['/metrics']);
    expect((value(role, 'ka.req.role.rules') as string[]).length).toBe(3);

    const svc = fx.serviceCreate('NodePort');
    expect(value(svc, 'ka.req.service.type')).toBe('NodePort');
    expect(value(svc, 'ka.req.service.ports')).toEqual(['{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}']);

    const cm = fx.configMapCreate({ 'db.properties': 'user=app\npassword=hunter2' });
    expect(value(cm, 'ka.req.configmap.name')).toBe('app-settings');
    expect(value(cm, 'ka.req.configmap.obj')).toBe('{"db.properties":"user=app\\npassword=hunter2"}');
  });

  it('jevt/json fields: RFC 6901 pointers, whole object, raw time', () => {
    const e = fx.podCreate({ hostPaths: ['/proc'] });
    expect(value(e, 'jevt.value', '/stage')).toBe('ResponseComplete');
    expect(value(e, 'jevt.value', 'stage')).toBe('ResponseComplete');
    expect(value(e, 'json.value', '/requestObject/spec/volumes/1/hostPath/path')).toBe('/proc');
    expect(value(e, 'jevt.value', '/requestObject/spec/volumes/1/hostPath')).toBe('{"path":"/proc","type":""}');
    expect(value(e, 'jevt.value', '/annotations/authorization.k8s.io~1decision')).toBe('allow');
    expect(value(e, 'jevt.value', '/requestObject/spec/tls')).toBeUndefined();
    expect(value(e, 'jevt.value', '/requestObject/spec/volumes/x')).toBeUndefined();
    expect(value({ 'a/b': { 'c~d': 1 } }, 'jevt.value', '/a~1b/c~0d')).toBe('1');
    expect(JSON.parse(value(e, 'jevt.obj') as string)).toEqual(e);
    expect(value(e, 'jevt.obj')).toContain('\n  "kind": "Event"');
    const ns = parseRfc3339Ns(e.stageTimestamp)!;
    expect(value(e, 'jevt.rawtime')).toBe(String(ns));
    expect(value(e, 'evt.rawtime')).toBe(ns);
    expect(value(e, 'jevt.time.iso8601')).toBe(`${e.stageTimestamp.slice(0, 26)}000Z`);
    expect(value(e, 'evt.source')).toBe('k8s_audit');
  });

  it('times keep every digit of stageTimestamp and fall back to requestReceivedTimestamp', () => {
    expect(parseRfc3339Ns('2024-05-14T09:21:37.123456Z')).toBe(1715678497123456000n);
    expect(parseRfc3339Ns('2024-05-14T09:21:37.123456789Z')).toBe(1715678497123456789n);
    expect(parseRfc3339Ns('2024-05-14T11:21:37.5+02:00')).toBe(1715678497500000000n);
    expect(parseRfc3339Ns('2024-05-14T09:21:37Z')).toBe(1715678497000000000n);
    expect(parseRfc3339Ns('yesterday')).toBeUndefined();
    const e = new AuditEvent({ auditID: 'x', requestReceivedTimestamp: '2024-05-14T09:21:37.000001Z' }, 5n);
    expect(k8sAuditSource.timeOf(e)).toBe(1715678497000001000n);
    expect(k8sAuditSource.timeOf(new AuditEvent({ auditID: 'x' }, 5n))).toBe(5n);
  });

  it('ka.cluster.name comes from the event or the configured name', () => {
    expect(value({}, 'ka.cluster.name', undefined, new AuditEvent({}, 0n, 'prod-eu1'))).toBe('prod-eu1');
    expect(value({}, 'ka.cluster.name', undefined, new AuditEvent({ cluster_name: 'edge' }, 0n, 'prod-eu1'))).toBe('edge');
    expect(value({}, 'ka.cluster.name')).toBeUndefined();
  });
});

describe('parseRfc3339Ns agrees with the general RFC 3339 parser', () => {
  it('on the fast path and off it', () => {
    const cases: Array<[string, bigint | undefined]> = [
      ['2024-05-14T09:21:37.123456Z', 1715678497123456000n],
      ['2024-05-14T09:21:37.1Z', 1715678497100000000n],
      ['2024-05-14T09:21:37.1234567891Z', 1715678497123456789n],
      ['2024-05-14T09:21:37Z', 1715678497000000000n],
      ['2024-05-14T09:21:37.12x456Z', undefined],
      ['2024-05-14T09:21:37.Z', undefined],
      ['2024-05-14t09:21:37.5z', 1715678497500000000n],
      ['2024-05-14T09:21:37-01:30', 1715678497000000000n + 5_400_000_000_000n],
    ];
    for (const [text, ns] of cases) expect(parseRfc3339Ns(text), text).toBe(ns);
  });
});
