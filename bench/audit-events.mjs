// A realistic mix of audit events for the webhook benchmarks: a template of 100 events, served
// as EventLists of any size whose auditIDs are filled in per request (so the webhook's dedupe
// sees new events).
// Mostly control-plane chatter (gets, lists, watches, lease renewals) at Metadata level, some
// RequestResponse creates, and a few events the upstream rules alert on.

const ts = () => new Date().toISOString().replace('Z', '123Z');
const allow = { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' };
const sa = (ns, name) => ({ username: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] });
const node = { username: 'system:node:worker-3', groups: ['system:nodes', 'system:authenticated'] };

function ev(level, verb, uri, user, objectRef, code, extra = {}) {
  return {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level, auditID: '@ID@', stage: 'ResponseComplete', requestURI: uri, verb, user,
    sourceIPs: ['10.0.3.17'], userAgent: 'kubelet/v1.29.3 (linux/amd64) kubernetes/6813625', objectRef,
    responseStatus: { metadata: {}, code }, ...extra, requestReceivedTimestamp: ts(), stageTimestamp: ts(), annotations: allow,
  };
}

function podSpec(privileged) {
  return {
    volumes: [{ name: 'kube-api-access-9d2sx', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }], defaultMode: 420 } }],
    containers: [{ name: 'app', image: 'docker.io/library/nginx:1.25.4', ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { limits: { cpu: '500m', memory: '256Mi' } },
      volumeMounts: [{ name: 'kube-api-access-9d2sx', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
      imagePullPolicy: 'IfNotPresent', ...(privileged ? { securityContext: { privileged: true } } : {}) }],
    restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', serviceAccountName: 'default', securityContext: {}, schedulerName: 'default-scheduler',
  };
}

function podCreate(privileged) {
  const spec = podSpec(privileged);
  return ev('RequestResponse', 'create', '/api/v1/namespaces/shop/pods', sa('kube-system', 'replicaset-controller'), { resource: 'pods', namespace: 'shop', apiVersion: 'v1' }, 201, {
    requestObject: { kind: 'Pod', apiVersion: 'v1', metadata: { generateName: 'web-7d4b9c8f6d-', namespace: 'shop', labels: { app: 'web' } }, spec, status: {} },
    responseObject: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web-7d4b9c8f6d-x2kqp', generateName: 'web-7d4b9c8f6d-', namespace: 'shop', uid: 'c1a5e2b4-4b8e-4f0e-9d1c-2a6f7e9b3c10' }, spec, status: { phase: 'Pending' } },
  });
}

export function batchTemplate() {
  const items = [];
  const add = (n, make) => { for (let i = 0; i < n; i++) items.push(make(i)); };
  add(40, (i) => ev('Metadata', 'get', `/api/v1/namespaces/shop/pods/web-${i}`, node, { resource: 'pods', namespace: 'shop', name: `web-${i}`, apiVersion: 'v1' }, 200));
  add(12, () => ev('Metadata', 'list', '/api/v1/nodes?limit=500&resourceVersion=0', sa('kube-system', 'node-controller'), { resource: 'nodes', apiVersion: 'v1' }, 200));
  add(10, () => ev('Metadata', 'watch', '/api/v1/namespaces/shop/endpoints?allowWatchBookmarks=true&watch=true', sa('kube-system', 'endpoint-controller'), { resource: 'endpoints', namespace: 'shop', apiVersion: 'v1' }, 200));
  add(12, (i) => ev('Metadata', 'update', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/worker-${i}`, node, { resource: 'leases', namespace: 'kube-node-lease', name: `worker-${i}`, apiGroup: 'coordination.k8s.io', apiVersion: 'v1' }, 200));
  add(8, () => podCreate(false));
  add(6, (i) => ev('Request', 'update', `/api/v1/namespaces/shop/configmaps/feature-flags`, sa('shop', 'flagger'), { resource: 'configmaps', namespace: 'shop', name: 'feature-flags', apiVersion: 'v1' }, 200, {
    requestObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'feature-flags', namespace: 'shop' }, data: { 'flags.json': `{"checkout_v2":${i % 2 === 0}}` } },
  }));
  add(2, () => ev('Metadata', 'get', '/api/v1/namespaces/shop/secrets/db-credentials', node, { resource: 'secrets', namespace: 'shop', name: 'db-credentials', apiVersion: 'v1' }, 200));
  add(6, () => ({ ...ev('Metadata', 'create', '/api/v1/namespaces/shop/pods/web-1/exec?command=sh&command=-c&command=id&container=app&stdin=true&stdout=true&tty=true', { username: 'dev@example.com', groups: ['developers', 'system:authenticated'] }, { resource: 'pods', namespace: 'shop', name: 'web-1', apiVersion: 'v1', subresource: 'exec' }, 101), stage: 'ResponseStarted' }));
  add(2, () => podCreate(true));
  add(2, () => ev('RequestResponse', 'create', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { username: 'kubernetes-admin', groups: ['system:masters'] }, { resource: 'clusterrolebindings', name: 'tmp-admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' }, 201, {
    requestObject: { kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'tmp-admin' }, subjects: [{ kind: 'User', name: 'contractor@example.com' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' } },
  }));
  if (items.length !== 100) throw new Error(`template has ${items.length} events`);
  return { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items };
}

/**
 * Returns make(n): request n's EventList of `batch` events (default 100, as the template) with
 * fresh, fixed-width auditIDs. Events are taken from the template in turn, so every batch size
 * carries the same mix over a run of requests.
 */
export function bodyMaker(batch = 100) {
  const template = batchTemplate();
  const items = template.items.map((e) => JSON.stringify(e).split('@ID@'));
  const head = JSON.stringify({ ...template, items: [] }).slice(0, -2); // up to and including "items":[
  const prefix = Math.floor(Math.random() * 0xffffffff).toString(16).padStart(8, '0');
  return (n) => {
    let s = head;
    for (let j = 0; j < batch; j++) {
      const id = n * batch + j;
      const parts = items[id % items.length];
      if (j > 0) s += ',';
      s += parts[0];
      for (let k = 1; k < parts.length; k++) s += `${prefix}-0000-4000-8000-${id.toString(16).padStart(12, '0')}` + parts[k];
    }
    return s + ']}';
  };
}

/**
 * Like bodyMaker, as Buffers made fast enough for a load generator: the EventLists are built once
 * per position in the template's cycle and each request gets a copy whose auditIDs (fixed width)
 * are overwritten with fresh ones, so no ID ever repeats (the webhook's dedupe would skip it).
 */
export function bodyBuffers(batch = 100) {
  const make = bodyMaker(batch);
  const cycle = 100 / gcd(100, batch); // requests until the template's mix repeats
  const templates = Array.from({ length: cycle }, (_, k) => {
    const text = make(k);
    const offsets = [];
    for (let at = text.indexOf('-0000-4000-8000-'); at >= 0; at = text.indexOf('-0000-4000-8000-', at + 1)) offsets.push(at + 16);
    return { buf: Buffer.from(text, 'latin1'), offsets };
  });
  return (n) => {
    const t = templates[n % cycle];
    const out = Buffer.from(t.buf);
    for (let j = 0; j < t.offsets.length; j++) out.write((n * batch + j).toString(16).padStart(12, '0'), t.offsets[j], 'latin1');
    return out;
  };
}

function gcd(a, b) {
  return b === 0 ? a : gcd(b, a % b);
}
