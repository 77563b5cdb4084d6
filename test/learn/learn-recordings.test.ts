// kestrel learn from recordings (issue 9): a capture of a Deployment's pod and an audit log are
// learned into profiles; the rules made from them load without error, use only Falco's fields,
// stay quiet on the learned activity and raise exactly the expected alert for each deviation; the
// NetworkPolicy and RBAC are valid Kubernetes objects, and the RBAC allows every observed request
// and denies others (checked by an RBAC authorizer following Kubernetes' rules).
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { writeScenarioCapture } from '../../src/sources/syscall/testing/scenario-capture.js';
import { buildScenario } from '../../src/sources/syscall/scenario/synthetic.js';
import { syscallSource } from '../../src/sources/syscall/source.js';
import { k8sAuditSource } from '../../src/sources/k8saudit/source.js';
import * as fx from '../sources/k8saudit/fixtures.js';
import { KestrelProcess, haveCli } from '../cli/kestrel-process.js';
import { authorize, type Request } from './rbac-evaluator.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-learn-'));
const out = join(dir, 'profiles');

const WORLD = `
user 0 root
container web1 name=web image=docker.io/library/nginx:1.25 labels=io.kubernetes.pod.name=web-7d9f8c6b5-x2x9q,io.kubernetes.pod.namespace=shop,app=web,tier=front,pod-template-hash=7d9f8c6b5
container img1 name=cache image=registry.local:5000/team/cache:3.2
proc systemd pid=1 exe=/sbin/init
proc nginx pid=100 parent=1 exe=/usr/sbin/nginx container=web1
proc cache pid=300 parent=1 exe=/usr/bin/cache container=img1
`;

const NORMAL = `${WORLD}
100 socket AF_INET SOCK_STREAM
100 bind 3 0.0.0.0:80
100 listen 3
100 accept 10.1.2.3:51000 local=10.0.0.2:80
100 accept 10.1.2.4:51001 local=10.0.0.2:80
100 openat /var/log/nginx/access.log O_WRONLY|O_APPEND
100 openat /tmp/nginx-cache.8812 O_WRONLY|O_CREAT
100 openat /etc/nginx/nginx.conf O_RDONLY
100 connect 10.96.0.10:5432
100 connect 10.96.0.20:443
100 spawn /bin/sh -c job
101 spawn /bin/date
101 openat /var/spool/job/4411/out O_WRONLY|O_CREAT
300 connect 10.96.0.10:5432
`;

const DEVIATIONS = `${WORLD}
100 openat /var/log/nginx/error.log O_WRONLY|O_APPEND
100 connect 10.96.0.20:443
100 spawn /bin/nc -l -p 4444
100 openat /etc/cron.d/evil O_WRONLY|O_CREAT
100 connect 10.96.0.10:6379
`;

const sa = { username: 'system:serviceaccount:shop:web', groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'] };
const ref = (o: Record<string, string>) => ({ apiVersion: 'v1', ...o });
const AUDIT_NORMAL = [
  fx.auditEvent({ verb: 'get', uri: '/api/v1/namespaces/shop/configmaps/web-config', user: sa, objectRef: ref({ resource: 'configmaps', namespace: 'shop', name: 'web-config' }) }),
  fx.auditEvent({ verb: 'list', uri: '/api/v1/namespaces/shop/pods', user: sa, objectRef: ref({ resource: 'pods', namespace: 'shop' }) }),
  fx.auditEvent({ verb: 'get', uri: '/api/v1/namespaces/shop/pods/web-1/log', user: sa, objectRef: ref({ resource: 'pods', subresource: 'log', namespace: 'shop', name: 'web-1' }) }),
  fx.auditEvent({ verb: 'get', uri: '/api/v1/nodes/node-1', user: sa, objectRef: ref({ resource: 'nodes', name: 'node-1' }) }),
  fx.auditEvent({ verb: 'get', uri: '/healthz', user: sa }),
  fx.auditEvent({ verb: 'create', uri: '/apis/apps/v1/namespaces/shop/deployments', user: fx.users.admin, objectRef: { resource: 'deployments', namespace: 'shop', apiGroup: 'apps', apiVersion: 'v1' } }),
];
// a request that was refused is not behaviour to grant
const AUDIT_REFUSED = [fx.auditEvent({ verb: 'delete', uri: '/api/v1/namespaces/shop/secrets/db', user: sa, code: 403, objectRef: ref({ resource: 'secrets', namespace: 'shop', name: 'db' }) })];
const AUDIT_DEVIATION = [
  fx.auditEvent({ verb: 'get', uri: '/api/v1/namespaces/shop/configmaps/web-config', user: sa, objectRef: ref({ resource: 'configmaps', namespace: 'shop', name: 'web-config' }) }),
  fx.auditEvent({ verb: 'delete', uri: '/api/v1/namespaces/shop/configmaps/web-config', user: sa, objectRef: ref({ resource: 'configmaps', namespace: 'shop', name: 'web-config' }) }),
];

const jsonl = (events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

async function cli(args: string[]) {
  const k = new KestrelProcess(args);
  const code = await k.exited;
  return { code, out: k.stdoutLines(), err: k.stderr };
}

const captureNormal = join(dir, 'normal.kcap');
const captureDeviation = join(dir, 'deviation.kcap');
const auditNormal = join(dir, 'audit.log');
const auditDeviation = join(dir, 'audit-deviation.log');
const auditRefused = join(dir, 'audit-refused.log');

describe.skipIf(!haveCli)('kestrel learn from recordings', () => {
  let learned: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    writeScenarioCapture(captureNormal, buildScenario(NORMAL));
    writeScenarioCapture(captureDeviation, buildScenario(DEVIATIONS));
    writeFileSync(auditNormal, jsonl(AUDIT_NORMAL));
    writeFileSync(auditDeviation, jsonl(AUDIT_DEVIATION));
    writeFileSync(auditRefused, jsonl(AUDIT_REFUSED));
    learned = await cli(['learn', '-o', out, captureNormal, auditNormal, auditRefused]);
  });

  it('learns each workload and subject and summarises them', () => {
    expect(learned.code, learned.err).toBe(0);
    expect(learned.err).toMatch(/shop\/web: \d+ event\(s\); 2 executable\(s\), 3 write prefix\(es\), 2 outbound, 2 inbound, 1 listening port\(s\)/);
    expect(learned.err).toContain('image:registry.local:5000/team/cache: ');
    expect(learned.err).toContain('serviceaccount:shop/web: 5 request(s)');
    expect(learned.err).toContain('user:admin@example.com: 1 request(s)');
  });

  it('names the identity of the Deployment without its ReplicaSet hash, and records the learning window', () => {
    const p = JSON.parse(readFileSync(join(out, 'profiles/workloads/shop-web.json'), 'utf8'));
    expect(p.identity).toMatchObject({ key: 'shop/web', kind: 'Deployment', namespace: 'shop', podSelector: { app: 'web', tier: 'front' } });
    expect(p.identity.derivedFrom).toMatch(/pod-template-hash/);
    expect(p.window.from).toMatch(/^2023-11-14T/);
    expect(p.window.runs).toHaveLength(1);
    expect(p.executables).toEqual({ '/bin/date': ['/bin/sh'], '/bin/sh': ['/usr/sbin/nginx'] });
    expect(p.writePrefixes).toEqual(['/tmp', '/var/log/nginx', '/var/spool/job']);
  });

  it('writes rules that kestrel validate loads with 0 errors', async () => {
    const v = await cli(['validate', '-r', join(out, 'rules')]);
    expect(v.out.join('\n')).toMatch(/ 0 error\(s\)/);
    expect(v.code).toBe(0);
  });

  const SHARED = join('..', 'shared');
  const haveShared = existsSync(join(SHARED, 'upstream-rules')) && existsSync(join(SHARED, 'falco-fixtures'));
  if (!haveShared) console.warn(`SKIPPED: the upstream Falco rules (${SHARED}/upstream-rules, falco-fixtures) are absent`);

  it.skipIf(!haveShared)('uses only fields that Falco has in its rules (syscall and k8s_audit)', () => {
    const text = readdirSync(join(out, 'rules')).map((f) => readFileSync(join(out, 'rules', f), 'utf8')).join('\n');
    const used = new Set([...text.matchAll(/%?\b((?:evt|proc|fd|container|k8s|ka|user)\.[a-z0-9_.]+)/g)].map((m) => m[1]!));
    const upstream = [
      ...['falco_rules.yaml', 'k8s_audit_rules.yaml', 'falco-sandbox_rules.yaml', 'falco-incubating_rules.yaml'].map((f) => join('..', 'shared', 'upstream-rules', f)),
      join('..', 'shared', 'falco-fixtures', 'falco_rules-0.31.1.yaml'), // evt.dir: the rules of the Falco releases that still have enter events
    ]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // In the k8saudit plugin's field table (plugins/k8saudit/pkg/k8saudit/fields.go) though no upstream rule tests it.
    const pluginFields = ['ka.stage'];
    const missing = [...used].filter((f) => !syscallSource.fields.get(f) && !k8sAuditSource.fields.get(f));
    expect(missing).toEqual([]);
    const notInUpstream = [...used].filter((f) => !upstream.includes(f) && !pluginFields.includes(f));
    expect(notInUpstream).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });

  it('raises no alert on the learned activity', async () => {
    const r = await cli(['replay', '--json', '-r', join(out, 'rules'), captureNormal, auditNormal]);
    expect(r.err).toMatch(/0 alert\(s\)/);
    expect(r.out).toEqual([]);
  });

  it('does not learn a refused request: the same request alerts afterwards', async () => {
    const r = await cli(['replay', '--json', '-r', join(out, 'rules'), auditRefused]);
    expect(r.out.map((l) => JSON.parse(l).output_fields['ka.target.resource'])).toEqual(['secrets']);
  });

  it('raises exactly one alert per deviation: a new process, a new write path, a new port, a new API request', async () => {
    const r = await cli(['replay', '--json', '-r', join(out, 'rules'), captureDeviation, auditDeviation]);
    const alerts = r.out.map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
    expect(alerts.map((a) => a.rule)).toEqual([
      'Unexpected process in shop/web',
      'Unexpected file write in shop/web',
      'Unexpected outbound connection from shop/web',
      'Unexpected API request by serviceaccount:shop/web',
    ]);
    expect(alerts[0]!.output_fields['proc.exepath']).toBe('/bin/nc');
    expect(alerts[1]!.output_fields['fd.name']).toBe('/etc/cron.d/evil');
    expect(alerts[2]!.output_fields['fd.name']).toMatch(/->10\.96\.0\.10:6379$/);
    expect(alerts[3]!.output_fields['ka.verb']).toBe('delete');
  });

  it("leaves out the OCI runtime's file-less init (runc re-executing itself) but not another file-less exec", async () => {
    const file = join(dir, 'runtime-init.kcap');
    const world = WORLD + 'proc runc pid=400 parent=1 exe=/usr/sbin/runc container=web1\n';
    // runc's init sets the container up (writes under /proc/sys, a connection) before the workload:
    // none of it is the workload's; a file-less process nginx starts still is
    writeScenarioCapture(
      file,
      buildScenario(`${world}\n400 spawn / init pid=401\n401 openat /proc/sys/net/ipv4/ping_group_range O_WRONLY\n401 connect 10.9.9.9:7777\n100 spawn / payload\n`),
    );
    const r = await cli(['replay', '--json', '-r', join(out, 'rules'), file]);
    const alerts = r.out.map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
    expect(alerts.map((a) => [a.rule, a.output_fields['proc.pexepath']])).toEqual([['Unexpected process in shop/web', '/usr/sbin/nginx']]);
  });

  it('writes a NetworkPolicy valid against Kubernetes’ schema, with the peers seen and DNS', () => {
    const [doc] = parseAllDocuments(readFileSync(join(out, 'networkpolicy/shop-web.yaml'), 'utf8')).map((d) => d.toJS());
    const np = new NetworkPolicy(doc);
    np.validate();
    expect(np.spec!.podSelector?.matchLabels).toEqual({ app: 'web', tier: 'front' });
    expect(np.spec!.ingress!.map((i) => i.from![0]!.ipBlock!.cidr)).toEqual(['10.1.2.3/32', '10.1.2.4/32']);
    expect(np.spec!.egress!.map((e) => [e.to?.[0]?.ipBlock?.cidr, e.ports!.map((p) => `${p.port}/${p.protocol}`).join(',')])).toEqual([
      [undefined, '53/UDP,53/TCP'],
      ['10.96.0.10/32', '5432/TCP'],
      ['10.96.0.20/32', '443/TCP'],
    ]);
    expect(existsSync(join(out, 'networkpolicy'))).toBe(true);
    expect(readdirSync(join(out, 'networkpolicy'))).toEqual(['shop-web.yaml']); // no policy for a container outside Kubernetes
  });

  it('writes an OCI seccomp profile denying by default and allowing the syscalls seen', () => {
    const sc = JSON.parse(readFileSync(join(out, 'seccomp/shop-web.json'), 'utf8'));
    expect(sc.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(sc.syscalls[0].action).toBe('SCMP_ACT_ALLOW');
    expect(sc.syscalls[0].names).toEqual(expect.arrayContaining(['accept4', 'bind', 'connect', 'execve', 'listen', 'openat', 'socket']));
    expect(sc.syscalls[0].names).not.toContain('procexit');
  });

  describe('RBAC', () => {
    const objects = () => readdirSync(join(out, 'rbac')).flatMap((f) => parseAllDocuments(readFileSync(join(out, 'rbac', f), 'utf8')).map((d) => d.toJS()));
    const saReq = (r: Omit<Request, 'user' | 'groups'>): Request => ({ user: sa.username, groups: sa.groups, ...r });

    it('is valid against Kubernetes’ schema', () => {
      const docs = objects();
      const models = { Role, RoleBinding, ClusterRole, ClusterRoleBinding } as const;
      for (const d of docs) new models[d.kind as keyof typeof models](d).validate();
      expect(docs.map((d) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`).sort()).toEqual([
        'ClusterRole//kestrel-learned-serviceaccount-shop-web',
        'ClusterRoleBinding//kestrel-learned-serviceaccount-shop-web',
        'Role/shop/kestrel-learned-serviceaccount-shop-web',
        'Role/shop/kestrel-learned-user-admin-example.com',
        'RoleBinding/shop/kestrel-learned-serviceaccount-shop-web',
        'RoleBinding/shop/kestrel-learned-user-admin-example.com',
      ]);
    });

    it('allows every request that was observed', () => {
      const docs = objects();
      const observed: Request[] = [
        saReq({ verb: 'get', apiGroup: '', resource: 'configmaps', namespace: 'shop', name: 'web-config' }),
        saReq({ verb: 'list', apiGroup: '', resource: 'pods', namespace: 'shop' }),
        saReq({ verb: 'get', apiGroup: '', resource: 'pods', subresource: 'log', namespace: 'shop', name: 'web-1' }),
        saReq({ verb: 'get', apiGroup: '', resource: 'nodes', name: 'node-1' }),
        saReq({ verb: 'get', path: '/healthz' }),
        { user: 'admin@example.com', groups: [], verb: 'create', apiGroup: 'apps', resource: 'deployments', namespace: 'shop' },
      ];
      expect(observed.filter((r) => !authorize(docs, r))).toEqual([]);
    });

    it('denies requests outside what was observed (verb, name, namespace, subresource, refused request, other subject)', () => {
      const docs = objects();
      const outside: Request[] = [
        saReq({ verb: 'delete', apiGroup: '', resource: 'configmaps', namespace: 'shop', name: 'web-config' }),
        saReq({ verb: 'get', apiGroup: '', resource: 'configmaps', namespace: 'shop', name: 'other' }),
        saReq({ verb: 'list', apiGroup: '', resource: 'pods', namespace: 'kube-system' }),
        saReq({ verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' }),
        saReq({ verb: 'delete', apiGroup: '', resource: 'secrets', namespace: 'shop', name: 'db' }),
        saReq({ verb: 'get', path: '/metrics' }),
        { user: 'mallory', groups: [], verb: 'list', apiGroup: '', resource: 'pods', namespace: 'shop' },
      ];
      expect(outside.filter((r) => authorize(docs, r))).toEqual([]);
    });
  });

  it('merges a second run into the profiles, and leaves a locked profile as it was', async () => {
    const file = join(out, 'profiles/workloads/image-registry.local-5000-team-cache.json');
    const locked = JSON.parse(readFileSync(file, 'utf8'));
    locked.locked = true;
    writeFileSync(file, JSON.stringify(locked));
    const again = await cli(['learn', '-o', out, captureDeviation]);
    expect(again.code, again.err).toBe(0);
    const web = JSON.parse(readFileSync(join(out, 'profiles/workloads/shop-web.json'), 'utf8'));
    expect(web.window.runs).toHaveLength(2);
    expect(Object.keys(web.executables)).toContain('/bin/nc');
    expect(web.writePrefixes).toContain('/etc/cron.d');
    expect(web.writePrefixes).toContain('/tmp'); // kept from the first run
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(locked);
    expect(again.err).toContain('(locked, unchanged)');
  });

  it('refuses a profile folder holding a file that is not a profile, naming it', async () => {
    const bad = join(dir, 'bad');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(bad, 'profiles/workloads'), { recursive: true });
    writeFileSync(join(bad, 'profiles/workloads/x.json'), '{"identity": 1');
    const r = await cli(['learn', '-o', bad, captureNormal]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(join(bad, 'profiles/workloads/x.json'));
  });
});
