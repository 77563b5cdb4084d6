// Audit events in the exact shape kube-apiserver writes them (audit.k8s.io/v1 and v1beta1,
// Metadata / Request / RequestResponse levels), for the scenarios the upstream rules cover.
import { randomUUID } from 'node:crypto';

/** An audit event or part of one, as JSON that tests build and reach into at any depth. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- loose on purpose: fixtures are read and altered deep down
export type Obj = Record<string, any>;

let clock = Date.parse('2024-05-14T09:21:37.000Z');
function stamps(): { requestReceivedTimestamp: string; stageTimestamp: string } {
  clock += 1531;
  const t0 = new Date(clock).toISOString().replace('Z', '');
  const t1 = new Date(clock + 7).toISOString().replace('Z', '');
  return { requestReceivedTimestamp: `${t0}412Z`, stageTimestamp: `${t1}918Z` };
}

const KUBECTL = 'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625';
const allow = (reason: string) => ({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': reason });
const RBAC_ADMIN = 'RBAC: allowed by ClusterRoleBinding "cluster-admins" of ClusterRole "cluster-admin" to Group "system:masters"';

export const users = {
  admin: { username: 'admin@example.com', groups: ['system:masters', 'system:authenticated'] },
  rsController: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: '5b5d1d43-5e1c-4c3e-9f3e-1f6b6b0c3d2a', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
  kubeAdmin: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated'] },
  anonymous: { username: 'system:anonymous', groups: ['system:unauthenticated'] },
};

export interface EventOpts {
  apiVersion?: 'audit.k8s.io/v1' | 'audit.k8s.io/v1beta1';
  level?: 'Metadata' | 'Request' | 'RequestResponse';
  stage?: 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';
  verb: string;
  uri: string;
  user?: Obj;
  objectRef?: Obj;
  code?: number;
  status?: Obj;
  requestObject?: Obj;
  responseObject?: Obj;
  annotations?: Obj;
  userAgent?: string;
  auditID?: string;
}

export function auditEvent(o: EventOpts): Obj {
  const apiVersion = o.apiVersion ?? 'audit.k8s.io/v1';
  const level = o.level ?? 'RequestResponse';
  const ts = stamps();
  const e: Obj = { kind: 'Event', apiVersion };
  if (apiVersion === 'audit.k8s.io/v1beta1') e.metadata = { creationTimestamp: ts.stageTimestamp.slice(0, 19) + 'Z' };
  Object.assign(e, {
    level,
    auditID: o.auditID ?? randomUUID(),
    stage: o.stage ?? 'ResponseComplete',
    requestURI: o.uri,
    verb: o.verb,
    user: o.user ?? users.admin,
    sourceIPs: ['10.20.0.15'],
    userAgent: o.userAgent ?? KUBECTL,
  });
  if (o.objectRef) e.objectRef = o.objectRef;
  if (o.stage !== 'RequestReceived') e.responseStatus = o.status ?? { metadata: {}, code: o.code ?? 200 };
  if (level !== 'Metadata' && o.requestObject) e.requestObject = o.requestObject;
  if (level === 'RequestResponse' && o.responseObject) e.responseObject = o.responseObject;
  Object.assign(e, ts);
  if (apiVersion === 'audit.k8s.io/v1beta1') e.timestamp = ts.stageTimestamp.slice(0, 19) + 'Z';
  e.annotations = o.annotations ?? allow(RBAC_ADMIN);
  return e;
}

/** An EventList of these items (anything, so that tests can slip in items that are not events). */
export function eventList(items: unknown[], apiVersion = 'audit.k8s.io/v1'): Obj {
  return { kind: 'EventList', apiVersion, metadata: {}, items };
}

// ---- pods -----------------------------------------------------------------------------------

export interface PodOpts {
  ns?: string;
  name?: string;
  image?: string;
  privileged?: boolean;
  initPrivileged?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  hostPaths?: string[];
  user?: Obj;
  apiVersion?: EventOpts['apiVersion'];
  code?: number;
  extraContainers?: Obj[];
  podSecurityContext?: Obj;
}

export function podSpec(p: PodOpts): Obj {
  const spec: Obj = {
    volumes: [
      { name: 'kube-api-access-7xk2p', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }], defaultMode: 420 } },
      ...(p.hostPaths ?? []).map((path, i) => ({ name: `host-${i}`, hostPath: { path, type: '' } })),
    ],
    containers: [
      {
        name: 'app',
        image: p.image ?? 'docker.io/library/nginx:1.25.4',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: {},
        volumeMounts: [{ name: 'kube-api-access-7xk2p', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        ...(p.privileged !== undefined ? { securityContext: { privileged: p.privileged } } : {}),
      },
      ...(p.extraContainers ?? []),
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    serviceAccount: 'default',
    securityContext: p.podSecurityContext ?? {},
    schedulerName: 'default-scheduler',
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  };
  if (p.initPrivileged !== undefined) {
    spec.initContainers = [{ name: 'init-sysctl', image: 'docker.io/library/busybox:1.36', command: ['sysctl', '-w', 'vm.max_map_count=262144'], securityContext: { privileged: p.initPrivileged } }];
  }
  if (p.hostNetwork) spec.hostNetwork = true;
  if (p.hostPID) spec.hostPID = true;
  if (p.hostIPC) spec.hostIPC = true;
  return spec;
}

export function podCreate(p: PodOpts = {}): Obj {
  const ns = p.ns ?? 'default';
  const name = p.name ?? 'web-7d4b9c8f6d-x2kqp';
  const spec = podSpec(p);
  const meta = { generateName: name.slice(0, name.lastIndexOf('-') + 1), namespace: ns, labels: { app: 'web', 'pod-template-hash': '7d4b9c8f6d' } };
  return auditEvent({
    apiVersion: p.apiVersion,
    verb: 'create',
    uri: `/api/v1/namespaces/${ns}/pods`,
    user: p.user ?? users.rsController,
    userAgent: 'kube-controller-manager/v1.29.3 (linux/amd64) kubernetes/6813625/system:serviceaccount:kube-system:replicaset-controller',
    objectRef: { resource: 'pods', namespace: ns, apiVersion: 'v1' },
    code: p.code ?? 201,
    requestObject: { kind: 'Pod', apiVersion: 'v1', metadata: meta, spec, status: {} },
    responseObject: {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { ...meta, name, uid: randomUUID(), resourceVersion: '918273', creationTimestamp: '2024-05-14T09:21:37Z' },
      spec: { ...spec, nodeName: undefined },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    },
    annotations: allow('RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system"'),
  });
}

/** The widely published example: admin@example.com runs `mkdir` in a deckhouse pod. */
export function execDeckhouse(stage: 'ResponseStarted' | 'ResponseComplete' = 'ResponseStarted'): Obj {
  return auditEvent({
    level: 'Metadata',
    stage,
    verb: 'create',
    uri: '/api/v1/namespaces/d8-system/pods/deckhouse-77f868d554-8zpt4/exec?command=mkdir&command=%2Ftmp%2Fbackdoor&container=deckhouse&stderr=true&stdout=true',
    user: users.admin,
    objectRef: { resource: 'pods', namespace: 'd8-system', name: 'deckhouse-77f868d554-8zpt4', apiVersion: 'v1', subresource: 'exec' },
    code: 101,
  });
}

export function portForward(): Obj {
  return auditEvent({
    level: 'Metadata',
    stage: 'ResponseStarted',
    verb: 'create',
    uri: '/api/v1/namespaces/monitoring/pods/grafana-5f8d6b7c9-q8w2z/portforward',
    objectRef: { resource: 'pods', namespace: 'monitoring', name: 'grafana-5f8d6b7c9-q8w2z', apiVersion: 'v1', subresource: 'portforward' },
    code: 101,
  });
}

export function ephemeralContainer(): Obj {
  return auditEvent({
    verb: 'patch',
    uri: '/api/v1/namespaces/default/pods/web-7d4b9c8f6d-x2kqp/ephemeralcontainers',
    objectRef: { resource: 'pods', namespace: 'default', name: 'web-7d4b9c8f6d-x2kqp', apiVersion: 'v1', subresource: 'ephemeralcontainers' },
    requestObject: {
      kind: 'EphemeralContainers',
      apiVersion: 'v1',
      metadata: { name: 'web-7d4b9c8f6d-x2kqp', namespace: 'default' },
      ephemeralContainers: [{ name: 'debugger-x7k2q', image: 'docker.io/library/busybox:1.36', stdin: true, tty: true, targetContainerName: 'app' }],
    },
  });
}

// ---- services, configmaps, secrets, namespaces, service accounts ---------------------------------

export function serviceCreate(type: 'NodePort' | 'ClusterIP', ns = 'default'): Obj {
  const ports = [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, ...(type === 'NodePort' ? { nodePort: 30080 } : {}) }];
  return auditEvent({
    verb: 'create',
    uri: `/api/v1/namespaces/${ns}/services?fieldManager=kubectl-client-side-apply&fieldValidation=Strict`,
    user: users.kubeAdmin,
    objectRef: { resource: 'services', namespace: ns, name: 'web-public', apiVersion: 'v1' },
    code: 201,
    requestObject: { kind: 'Service', apiVersion: 'v1', metadata: { name: 'web-public', namespace: ns }, spec: { ports, selector: { app: 'web' }, type } },
    responseObject: { kind: 'Service', apiVersion: 'v1', metadata: { name: 'web-public', namespace: ns, uid: randomUUID() }, spec: { ports, type, clusterIP: '10.96.14.7' } },
  });
}

export function configMapCreate(data: Record<string, string>, name = 'app-settings'): Obj {
  return auditEvent({
    verb: 'create',
    uri: '/api/v1/namespaces/default/configmaps?fieldManager=kubectl-create&fieldValidation=Strict',
    user: users.kubeAdmin,
    objectRef: { resource: 'configmaps', namespace: 'default', name, apiVersion: 'v1' },
    code: 201,
    requestObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'default', creationTimestamp: null }, data },
    responseObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, namespace: 'default', uid: randomUUID() }, data },
  });
}

export function secretGet(ns: string, name: string, code = 200, user: Obj = users.admin): Obj {
  return auditEvent({
    level: 'Metadata',
    verb: 'get',
    uri: `/api/v1/namespaces/${ns}/secrets/${name}`,
    user,
    objectRef: { resource: 'secrets', namespace: ns, name, apiVersion: 'v1' },
    code,
    ...(code === 403
      ? {
          status: { metadata: {}, status: 'Failure', message: `secrets "${name}" is forbidden: User "${user.username}" cannot get resource "secrets" in API group "" in the namespace "${ns}"`, reason: 'Forbidden', details: { name, kind: 'secrets' }, code: 403 },
          annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
        }
      : {}),
  });
}

export function namespaceCreate(name: string): Obj {
  return auditEvent({
    verb: 'create',
    uri: '/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict',
    user: users.kubeAdmin,
    objectRef: { resource: 'namespaces', name, apiVersion: 'v1' },
    code: 201,
    requestObject: { kind: 'Namespace', apiVersion: 'v1', metadata: { name, creationTimestamp: null }, spec: {}, status: {} },
    responseObject: { kind: 'Namespace', apiVersion: 'v1', metadata: { name, uid: randomUUID() }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  });
}

export function serviceAccountCreate(ns: string, name: string, code = 201): Obj {
  return auditEvent({
    level: 'Request',
    verb: 'create',
    uri: `/api/v1/namespaces/${ns}/serviceaccounts?fieldManager=kubectl-create&fieldValidation=Strict`,
    user: users.kubeAdmin,
    objectRef: { resource: 'serviceaccounts', namespace: ns, name, apiVersion: 'v1' },
    code,
    requestObject: { kind: 'ServiceAccount', apiVersion: 'v1', metadata: { name, namespace: ns, creationTimestamp: null } },
  });
}

export function deploymentCreate(): Obj {
  return auditEvent({
    verb: 'create',
    uri: '/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict',
    user: users.kubeAdmin,
    objectRef: { resource: 'deployments', namespace: 'default', name: 'web', apiGroup: 'apps', apiVersion: 'v1' },
    code: 201,
    requestObject: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec({}) } } },
    responseObject: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web', namespace: 'default', uid: randomUUID(), generation: 1 } },
  });
}

export function anonymousGet(uri: string, decision: 'allow' | 'forbid' = 'allow'): Obj {
  return auditEvent({
    level: 'Metadata',
    verb: 'get',
    uri,
    user: users.anonymous,
    userAgent: 'curl/8.5.0',
    code: decision === 'allow' ? 200 : 403,
    annotations: {
      'authorization.k8s.io/decision': decision,
      'authorization.k8s.io/reason': decision === 'allow' ? 'RBAC: allowed by ClusterRoleBinding "anonymous-view" of ClusterRole "view" to User "system:anonymous"' : '',
    },
  });
}

// ---- RBAC ------------------------------------------------------------------------------------

export function clusterRoleBinding(role: string, subjects: Obj[], name = 'ops-admin'): Obj {
  const body = { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name, creationTimestamp: null }, subjects, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role } };
  return auditEvent({
    verb: 'create',
    uri: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings?fieldManager=kubectl-create&fieldValidation=Strict',
    user: users.kubeAdmin,
    objectRef: { resource: 'clusterrolebindings', name, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    code: 201,
    requestObject: body,
    responseObject: { ...body, metadata: { name, uid: randomUUID() } },
  });
}

export function clusterRoleCreate(name: string, rules: Obj[], kind: 'ClusterRole' | 'Role' = 'ClusterRole'): Obj {
  const resource = kind === 'ClusterRole' ? 'clusterroles' : 'roles';
  const nsPath = kind === 'Role' ? '/namespaces/default' : '';
  const body = { kind, apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name, ...(kind === 'Role' ? { namespace: 'default' } : {}), creationTimestamp: null }, rules };
  return auditEvent({
    verb: 'create',
    uri: `/apis/rbac.authorization.k8s.io/v1${nsPath}/${resource}?fieldManager=kubectl-create&fieldValidation=Strict`,
    user: users.kubeAdmin,
    objectRef: { resource, ...(kind === 'Role' ? { namespace: 'default' } : {}), name, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    code: 201,
    requestObject: body,
    responseObject: { ...body, metadata: { ...body.metadata, uid: randomUUID() } },
  });
}

export function clusterRoleDelete(name: string): Obj {
  return auditEvent({
    level: 'Request',
    verb: 'delete',
    uri: `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`,
    user: users.kubeAdmin,
    objectRef: { resource: 'clusterroles', name, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    code: 200,
    requestObject: { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', propagationPolicy: 'Background' },
  });
}

export function ingressCreate(tls: boolean): Obj {
  const spec: Obj = { ingressClassName: 'nginx', rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] };
  if (tls) spec.tls = [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }];
  return auditEvent({
    verb: 'create',
    uri: '/apis/networking.k8s.io/v1/namespaces/default/ingresses?fieldManager=kubectl-create&fieldValidation=Strict',
    user: users.kubeAdmin,
    objectRef: { resource: 'ingresses', namespace: 'default', name: 'shop', apiGroup: 'networking.k8s.io', apiVersion: 'v1' },
    code: 201,
    requestObject: { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: { name: 'shop', namespace: 'default' }, spec },
    responseObject: { kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: { name: 'shop', namespace: 'default', uid: randomUUID() }, spec },
  });
}
