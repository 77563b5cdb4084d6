// Kubernetes responses end to end: Falco's k8s_audit rules (unchanged) alert on audit events, the
// responder acts through the API. NOTE: there is no real API server on these machines; the API
// is the stand-in HTTPS server of fake-apiserver.ts (127.0.0.1, free port), which speaks the
// paths and verbs involved and validates bodies against the Kubernetes schemas (kubernetes-models).
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { FakeApiServer } from './fake-apiserver.js';
import { actionCount, auditAgent, timedCount, testPki, UPSTREAM_K8S_RULES, webhookReceiver, writeKubeconfig, type AuditAgent } from './harness.js';
import { ISOLATE_LABEL } from '../../src/respond/kube/actions.js';

const haveRules = existsSync(UPSTREAM_K8S_RULES);
if (!haveRules) console.warn(`SKIPPED: upstream k8s audit rules not found at ${UPSTREAM_K8S_RULES}`);

const developer = { username: 'dev@example.com', groups: ['developers', 'system:authenticated'] };

function execInto(namespace: string, pod: string, user: object = fx.users.admin): fx.Obj {
  return fx.auditEvent({
    level: 'Metadata',
    stage: 'ResponseStarted',
    verb: 'create',
    uri: `/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=sh&container=app&stdin=true&stdout=true&tty=true`,
    user,
    objectRef: { resource: 'pods', namespace, name: pod, apiVersion: 'v1', subresource: 'exec' },
    code: 101,
  });
}

function grantClusterAdmin(user: object, name = 'ops-admin'): fx.Obj {
  const e = fx.clusterRoleBinding('cluster-admin', [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'mallory' }], name);
  e.user = user;
  return e;
}

const podPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/pods/${name}`;
const CRB = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
const pod = (ns: string, name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:1' }] } });

/** Per describe block: the stand-in API server, and agents started against it (stopped after each test). */
function standInApi() {
  let api: FakeApiServer;
  let kubeconfig: string;
  let running: AuditAgent | undefined;
  beforeAll(async () => {
    api = new FakeApiServer(testPki());
    await api.start();
    kubeconfig = writeKubeconfig(api, testPki());
  });
  afterAll(() => api.close());
  afterEach(async () => {
    await running?.agent.stop();
    running = undefined;
    api.requests.length = 0;
    api.objects.clear();
    api.forbidden.clear();
  });
  return {
    api: () => api,
    start: async (yaml: string) => (running = await auditAgent(yaml, kubeconfig)),
    settle: () => running!.agent.responses!.idle(),
    stopRunning: async () => {
      await running?.agent.stop();
      running = undefined;
    },
  };
}

describe.skipIf(!haveRules)('Kubernetes responses (against a stand-in API server: no real one exists here)', () => {
  const env = standInApi();
  const { start, settle } = env;
  let api: FakeApiServer;
  beforeAll(() => {
    api = env.api();
  });

  it('audit walk: a non-admin creating a ClusterRoleBinding to cluster-admin gets the binding deleted and the webhook notified', async () => {
    const hook = await webhookReceiver();
    try {
      const a = await start(`dry_run: false
webhook:
  url: ${hook.url}
rules:
  - name: revoke cluster-admin grants made by non-admins
    match:
      rules: [Attach to cluster-admin Role]
      fields:
        ka.user.name: {not_in: [kubernetes-admin, admin@example.com]}
    actions:
      - action: delete_object
      - action: notify
`);
      const admins = grantClusterAdmin(fx.users.kubeAdmin, 'break-glass');
      api.put(`${CRB}/break-glass`, { ...admins.responseObject, metadata: { ...admins.responseObject.metadata } });
      const rogue = grantClusterAdmin(developer, 'ops-admin');
      api.put(`${CRB}/ops-admin`, { ...rogue.responseObject, metadata: { ...rogue.responseObject.metadata } });

      const timed = await timedCount('delete_object');
      a.source.push(admins); // an admin's grant: the rule alerts, the response rule does not match
      a.source.push(rogue);
      await settle();
      expect(await timedCount('delete_object')).toBe(timed + 1);

      expect(api.writes().map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([`DELETE ${CRB}/ops-admin 200`]);
      expect(api.writes()[0]!.body).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: rogue.responseObject.metadata.uid } });
      expect(api.objects.has(`${CRB}/ops-admin`)).toBe(false);
      expect(api.objects.has(`${CRB}/break-glass`)).toBe(true);

      expect(hook.received).toHaveLength(1);
      const n = hook.received[0]!.body;
      expect(n.alert_id).toBe(rogue.auditID);
      expect(n.alert.rule).toBe('Attach to cluster-admin Role');
      expect(n.actions).toEqual([{ action: 'delete_object', target: `${CRB}/ops-admin`, dry_run: false, outcome: { result: 'ok', detail: 'delete clusterrolebindings.rbac.authorization.k8s.io ops-admin', status: 200 } }]);

      const events = await a.responseEvents(2);
      expect(events.map((e) => [(e.output_fields as Record<string, unknown>)['response.action'], (e.output_fields as Record<string, unknown>)['response.result']])).toEqual([
        ['delete_object', 'ok'],
        ['notify', 'ok'],
      ]);
      const log = a.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'response action' && l.action === 'delete_object');
      expect(log).toMatchObject({ alert_id: rogue.auditID, alert_rule: 'Attach to cluster-admin Role', result: 'ok' });
    } finally {
      await hook.close();
    }
  });

  const QUARANTINE = `dry_run: false
rules:
  - name: quarantine exec in production
    match:
      rules: ["Attach/Exec Pod"]
      fields:
        ka.target.namespace: production
    actions:
      - action: label_pod
        parameters:
          labels: {kestrel.io/quarantine: "true"}
          annotations: {kestrel.io/reason: "kubectl exec"}
      - action: isolate_pod
`;

  it('audit walk: kubectl exec into a production pod gets the pod labelled for quarantine and isolated (deny-all ingress and egress)', async () => {
    const a = await start(QUARANTINE);
    api.put(podPath('production', 'web-0'), pod('production', 'web-0'));
    api.put(podPath('staging', 'web-0'), pod('staging', 'web-0'));
    a.source.push(execInto('staging', 'web-0')); // not production: untouched
    a.source.push(execInto('production', 'web-0'));
    await settle();

    const labelled = api.objects.get(podPath('production', 'web-0'))!;
    expect(labelled.metadata.labels).toEqual({ app: 'web', 'kestrel.io/quarantine': 'true', [ISOLATE_LABEL]: 'web-0' });
    expect(labelled.metadata.annotations).toEqual({ 'kestrel.io/reason': 'kubectl exec' });
    expect(api.objects.get(podPath('staging', 'web-0'))!.metadata.labels).toEqual({ app: 'web' });

    const policy = api.objects.get('/apis/networking.k8s.io/v1/namespaces/production/networkpolicies/kestrel-isolate-web-0')!;
    expect(policy.spec).toEqual({ podSelector: { matchLabels: { [ISOLATE_LABEL]: 'web-0' } }, policyTypes: ['Ingress', 'Egress'] });
    // no ingress/egress rules at all: everything is denied, and the selector picks exactly this pod
    for (const [k, v] of Object.entries(policy.spec.podSelector.matchLabels)) expect(labelled.metadata.labels[k]).toBe(v);
    expect(api.writes().every((r) => r.path.startsWith('/api/v1/namespaces/production/') || r.path.startsWith('/apis/networking.k8s.io/v1/namespaces/production/'))).toBe(true);
  });

  it('terminate_pod deletes the pod with its grace period, once: a second alert for the same pod is a duplicate', async () => {
    const a = await start(`dry_run: false
rules:
  - name: kill exec'd pods
    match: {rules: ["Attach/Exec Pod"]}
    actions:
      - action: terminate_pod
        parameters: {grace_period_seconds: 3}
`);
    api.put(podPath('production', 'api-7'), pod('production', 'api-7'));
    const before = await actionCount('terminate_pod', 'duplicate');
    a.source.push(execInto('production', 'api-7'));
    a.source.push(execInto('production', 'api-7'));
    await settle();
    expect(api.writes().map((r) => [r.method, r.path, r.body?.gracePeriodSeconds])).toEqual([['DELETE', podPath('production', 'api-7'), 3]]);
    expect(await actionCount('terminate_pod', 'duplicate')).toBe(before + 1);
  });

  it('403 from the API server: the action fails with the RBAC it needs named, is counted, and responses go on', async () => {
    const a = await start(QUARANTINE);
    api.forbidden.add('patch pods');
    api.put(podPath('production', 'db-0'), pod('production', 'db-0'));
    const failedBefore = await actionCount('label_pod', 'failed');
    a.source.push(execInto('production', 'db-0'));
    await settle();
    expect(await actionCount('label_pod', 'failed')).toBe(failedBefore + 1);
    const line = a.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'response action failed' && l.action === 'label_pod');
    expect(line.status).toBe(403);
    expect(line.detail).toContain('patch on pods (kubectl apply -k deploy/respond)');
    // isolate_pod labels first, so it is refused as well; nothing was changed
    expect(api.objects.get(podPath('production', 'db-0'))!.metadata.labels).toEqual({ app: 'web' });
    api.forbidden.clear();
    api.put(podPath('production', 'db-1'), pod('production', 'db-1'));
    a.source.push(execInto('production', 'db-1'));
    await settle();
    expect(api.objects.get(podPath('production', 'db-1'))!.metadata.labels['kestrel.io/quarantine']).toBe('true');
  });

  it('404: an object already deleted is "gone", not a failure, and is not tried again', async () => {
    const a = await start(`dry_run: false
cooldown_seconds: 0
rules:
  - name: revoke
    match: {rules: [Attach to cluster-admin Role]}
    actions: [{action: delete_object}]
`);
    const e = grantClusterAdmin(developer, 'vanished');
    const gone = await actionCount('delete_object', 'gone');
    a.source.push(e);
    a.source.push(e);
    await settle();
    expect(api.writes().map((r) => r.status)).toEqual([404]);
    expect(await actionCount('delete_object', 'gone')).toBe(gone + 1);
  });

  it('409: a binding re-created under the same name (new uid) is left alone; an existing isolation policy counts as isolated', async () => {
    const a = await start(`dry_run: false
rules:
  - name: revoke
    match: {rules: [Attach to cluster-admin Role]}
    actions: [{action: delete_object}]
  - name: isolate
    match: {rules: ["Attach/Exec Pod"]}
    actions: [{action: isolate_pod}]
`);
    const e = grantClusterAdmin(developer, 'recreated');
    api.put(`${CRB}/recreated`, { ...e.responseObject, metadata: { name: 'recreated', uid: 'a-newer-object' } });
    api.put(podPath('production', 'web-1'), pod('production', 'web-1'));
    api.put('/apis/networking.k8s.io/v1/namespaces/production/networkpolicies/kestrel-isolate-web-1', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'kestrel-isolate-web-1' }, spec: { podSelector: {} } });
    a.source.push(e);
    a.source.push(execInto('production', 'web-1'));
    await settle();
    expect(api.writes().map((r) => `${r.method} ${r.status}`)).toEqual(['DELETE 409', 'PATCH 200', 'POST 409']);
    expect(api.objects.has(`${CRB}/recreated`)).toBe(true);
    const results = (await a.responseEvents(2)).map((l) => (l.output_fields as Record<string, unknown>)['response.result']);
    expect(results.sort()).toEqual(['gone', 'ok']);
  });

  it('a webhook that answers 500 is retried once, then the notify fails and is counted; the actions before it stand', async () => {
    const hook = await webhookReceiver(500);
    try {
      const a = await start(`dry_run: false
webhook: {url: "${hook.url}"}
rules:
  - name: revoke and tell
    match: {rules: [Attach to cluster-admin Role]}
    actions: [{action: delete_object}, {action: notify}]
`);
      const e = grantClusterAdmin(developer, 'told');
      api.put(`${CRB}/told`, { ...e.responseObject, metadata: { ...e.responseObject.metadata } });
      const failed = await actionCount('notify', 'failed');
      a.source.push(e);
      await settle();
      expect(hook.received).toHaveLength(2);
      expect(await actionCount('notify', 'failed')).toBe(failed + 1);
      expect(api.objects.has(`${CRB}/told`)).toBe(false);
      const line = a.logs.map((l) => JSON.parse(l)).find((l) => l.action === 'notify');
      expect(line).toMatchObject({ result: 'failed', status: 500, detail: `webhook ${hook.url}: status 500` });
    } finally {
      await hook.close();
    }
  });

  it('cordon_node marks this node unschedulable', async () => {
    const a = await start(`dry_run: false
node_name: node-a
rules:
  - name: cordon
    match: {rules: ["Attach/Exec Pod"]}
    actions: [{action: cordon_node}]
`);
    api.put('/api/v1/nodes/node-a', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' }, spec: {} });
    a.source.push(execInto('production', 'web-2'));
    await settle();
    expect(api.objects.get('/api/v1/nodes/node-a')!.spec.unschedulable).toBe(true);
    expect(api.writes()[0]!.contentType).toBe('application/merge-patch+json');
  });
});

describe.skipIf(!haveRules)('response safety (stand-in API server: no real one exists here)', () => {
  const env = standInApi();
  const { start, settle } = env;
  let api: FakeApiServer;
  beforeAll(() => {
    api = env.api();
  });
  const ACT = `rules:
  - name: terminate on exec
    match: {rules: ["Attach/Exec Pod"]}
    actions: [{action: terminate_pod}]
`;

  it('dry run (the shipped default) acts on nothing and says what it would have done', async () => {
    const a = await start(ACT); // dry_run not given: on by default
    api.put(podPath('production', 'web-0'), pod('production', 'web-0'));
    const before = await actionCount('terminate_pod', 'dry_run');
    a.source.push(execInto('production', 'web-0'));
    // a rule with dry_run: false does not override the global dry run
    await settle();
    expect(await actionCount('terminate_pod', 'dry_run')).toBe(before + 1);
    expect(api.requests).toEqual([]);
    expect(api.objects.has(podPath('production', 'web-0'))).toBe(true);
    const [event] = await a.responseEvents(1);
    expect(event!.output).toContain('terminate_pod dry_run (dry run)');
  });

  it('a rule with dry_run: true stays dry while others act', async () => {
    const a = await start(`dry_run: false
rules:
  - name: rehearsal
    match: {rules: ["Attach/Exec Pod"], fields: {ka.target.namespace: staging}}
    dry_run: true
    actions: [{action: terminate_pod}]
  - name: live
    match: {rules: ["Attach/Exec Pod"], fields: {ka.target.namespace: production}}
    actions: [{action: terminate_pod}]
`);
    api.put(podPath('staging', 'a'), pod('staging', 'a'));
    api.put(podPath('production', 'b'), pod('production', 'b'));
    a.source.push(execInto('staging', 'a'));
    a.source.push(execInto('production', 'b'));
    await settle();
    expect(api.writes().map((r) => r.path)).toEqual([podPath('production', 'b')]);
  });

  it("kube-system and Kestrel's own namespace are untouched unless listed; namespaces.deny always wins", async () => {
    const a = await start(`dry_run: false
own_namespace: kestrel
namespaces:
  deny: [payments]
${ACT}`);
    for (const ns of ['kube-system', 'kestrel', 'payments', 'production']) api.put(podPath(ns, 'p'), pod(ns, 'p'));
    const deniedBefore = await actionCount('terminate_pod', 'denied');
    for (const ns of ['kube-system', 'kestrel', 'payments', 'production']) a.source.push(execInto(ns, 'p'));
    await settle();
    expect(api.writes().map((r) => r.path)).toEqual([podPath('production', 'p')]);
    expect(await actionCount('terminate_pod', 'denied')).toBe(deniedBefore + 3);
    await env.stopRunning();
    api.requests.length = 0;

    const b = await start(`dry_run: false
namespaces:
  allow: [kube-system]
${ACT}`);
    b.source.push(execInto('kube-system', 'p'));
    await settle();
    expect(api.writes().map((r) => r.path)).toEqual([podPath('kube-system', 'p')]);
  });

  it('the rate limit holds under an alert storm: 300 alerts on 300 pods, burst 5, act 5 times', async () => {
    const a = await start(`dry_run: false
rate_limit: {per_minute: 1, burst: 5}
${ACT}`);
    for (let i = 0; i < 300; i++) api.put(podPath('production', `w-${i}`), pod('production', `w-${i}`));
    const limited = await actionCount('terminate_pod', 'rate_limited');
    for (let i = 0; i < 300; i++) a.source.push(execInto('production', `w-${i}`));
    await settle();
    expect(api.writes()).toHaveLength(5);
    expect(await actionCount('terminate_pod', 'rate_limited')).toBe(limited + 295);
    // the storm's refusals are counted, not logged or published one by one
    expect(a.logs.filter((l) => l.includes('response actions not taken (rate_limited)'))).toHaveLength(1);
    await env.stopRunning(); // flushes the outputs: every event published is in the lines now
    const events = a.lines().filter((l) => l.source === 'kestrel_response');
    expect(events.map((e) => (e.output_fields as Record<string, unknown>)['response.result'])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
  });

  it('the kill switch (config, or SIGUSR2 at run time) stops every action', async () => {
    const a = await start(`dry_run: false
kill_switch: true
${ACT}`);
    api.put(podPath('production', 'k'), pod('production', 'k'));
    a.source.push(execInto('production', 'k'));
    await settle();
    expect(api.requests).toEqual([]);
    process.kill(process.pid, 'SIGUSR2');
    await waitUntil(() => !a.agent.responses!.killSwitchEngaged);
    a.source.push(execInto('production', 'k'));
    await settle();
    expect(api.writes().map((r) => r.path)).toEqual([podPath('production', 'k')]);
  });
});

async function waitUntil(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}
