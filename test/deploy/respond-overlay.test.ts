// deploy/respond, the opt-in overlay for automatic responses: valid Kubernetes objects, the base's
// agent configs plus responses_file only, a responses file that loads (in dry run), and the RBAC,
// capability and downward-API settings the actions rely on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseResponses } from '../../src/respond/config.js';
import { RBAC_NEEDS } from '../../src/respond/kube/actions.js';
import { ACTIONS } from '../../src/respond/config.js';
import { DEPLOY, kubectlSkipReason, schemaErrors, typeErrors, type K8sObject } from './k8s.js';
import { loadShipped, mountFor, volumeOf, type Shipped } from './shipped.js';

const skip = kubectlSkipReason();
if (skip) console.warn(`test/deploy: skipped: ${skip}`);

describe.skipIf(skip)('deploy/respond (automatic responses overlay)', () => {
  let s: Shipped;
  let base: Shipped;
  beforeAll(() => {
    s = loadShipped(join(DEPLOY, 'respond'));
    base = loadShipped();
  });
  const byKind = (kind: string) => s.objects.filter((o) => o.kind === kind);

  it('renders valid Kubernetes objects: the base plus a ClusterRole and its binding to the kestrel ServiceAccount', () => {
    const names = (objs: K8sObject[]) => objs.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
    expect(names(s.objects)).toEqual([...names(base.objects), 'ClusterRole/kestrel-respond', 'ClusterRoleBinding/kestrel-respond'].sort());
    expect(schemaErrors(s.objects)).toEqual([]);
    expect(typeErrors(s.objects)).toEqual([]);
    const binding = byKind('ClusterRoleBinding')[0]!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kestrel', namespace: 'kestrel' }]);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kestrel-respond' });
    expect(byKind('ServiceAccount')[0]!.automountServiceAccountToken).toBe(true);
  });

  it('grants every verb the Kubernetes actions use, and no wildcard', () => {
    const rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> = byKind('ClusterRole')[0]!.rules;
    const grants = (group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    const kubeActions = Object.entries(ACTIONS).filter(([, kind]) => kind === 'kubernetes').map(([a]) => a);
    expect(Object.keys(RBAC_NEEDS).sort()).toEqual(kubeActions.sort());
    for (const [action, needs] of Object.entries(RBAC_NEEDS)) for (const n of needs) expect(grants(n.group, n.resource, n.verb), `${action}: ${n.verb} ${n.resource}`).toBe(true);
    for (const r of rules) expect([...r.apiGroups, ...r.resources, ...r.verbs]).not.toContain('*');
  });

  it("keeps each agent config as the base's, with responses_file added, pointing at the mounted responses.yaml", () => {
    for (const w of s.workloads) {
      const before = base.workloads.find((b) => b.daemonSet.metadata.name === w.daemonSet.metadata.name)!;
      expect(parse(w.configText)).toEqual({ ...parse(before.configText), responses_file: '/etc/kestrel/responses.yaml' });
      expect(w.pod.spec.automountServiceAccountToken, w.daemonSet.metadata.name).toBe(true);
      const mount = mountFor(w.container, w.config.responses_file);
      expect(mount.subPath).toBe('responses.yaml');
      expect(volumeOf(w.pod, mount.name).configMap.name).toBe(s.configMap.metadata.name);
      const env = Object.fromEntries(w.container.env.map((e: { name: string; valueFrom?: { fieldRef: { fieldPath: string } } }) => [e.name, e.valueFrom?.fieldRef.fieldPath]));
      expect(env).toMatchObject({ NODE_NAME: 'spec.nodeName', POD_NAMESPACE: 'metadata.namespace' });
    }
  });

  it('ships a responses file that loads, in dry run, reading the host /proc the node agent mounts', () => {
    const text = s.configMap.data['responses.yaml'];
    expect(text).toBe(readFileSync(join(DEPLOY, 'respond', 'config', 'responses.yaml'), 'utf8'));
    const cfg = parseResponses(text, 'kestrel-config:responses.yaml', '/etc/kestrel');
    expect(cfg.dry_run).toBe(true);
    const node = s.workloads.find((w) => w.config.sources.syscall.enabled)!;
    expect(cfg.proc_root).toBe(node.config.sources.syscall.proc_root);
    expect(mountFor(node.container, cfg.cri.socket)?.mountPath).toBe('/host/run/containerd');
  });

  it('gives the node agent CAP_KILL on top of the base capabilities, and nothing else', () => {
    const node = s.workloads.find((w) => w.config.sources.syscall.enabled)!;
    const before = base.workloads.find((w) => w.config.sources.syscall.enabled)!;
    expect(node.container.securityContext.capabilities.add).toEqual([...before.container.securityContext.capabilities.add, 'KILL']);
    expect(node.container.securityContext.privileged).toBe(false);
  });
});
