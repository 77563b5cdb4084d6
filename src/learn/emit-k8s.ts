// The Kubernetes and OCI artefacts made from profiles:
//  - networkpolicy/<ns>-<workload>.yaml: a networking.k8s.io/v1 NetworkPolicy selecting the
//    workload's pods, ingress from the peers seen on the ports they reached, egress to the peers
//    seen (as /32 or /128 ipBlocks) on their ports, and DNS (53/UDP+TCP) to anywhere;
//    `kubectl np-viewer`/Inspektor Gadget's `advise network-policy` make the same shape.
//  - seccomp/<workload>.json: an OCI seccomp profile allowing the syscalls seen, everything else
//    failing with EPERM (defaultAction SCMP_ACT_ERRNO), as the Security Profiles Operator writes.
//  - rbac/<subject>.yaml: a Role per namespace and a ClusterRole for cluster-scoped resources and
//    non-resource URLs, each with its binding, granting exactly the requests seen (audit2rbac).
import { stringify } from 'yaml';
import { fileStem } from './identity.js';
import type { ApiAccess, SubjectProfile, WorkloadProfile } from './profile.js';
import { subjectStem } from './store.js';

const LEARNED = { 'app.kubernetes.io/managed-by': 'kestrel-learn' };

function annotations(w: { from: string; to: string }, derived: string): Record<string, string> {
  return { 'kestrel.dev/learned-from': w.from, 'kestrel.dev/learned-to': w.to, 'kestrel.dev/identity': derived };
}

const k8sName = (s: string) => s.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, 253);

const cidrOf = (ip: string) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);
const PROTO = (p: string) => (p === 'udp' ? 'UDP' : p === 'sctp' ? 'SCTP' : 'TCP');

/** Groups connections by peer: one rule per peer with the ports it used. */
function peersWithPorts(conns: { peer: string; port: number; proto: string }[]) {
  const byPeer = new Map<string, { port: number; protocol: string }[]>();
  for (const c of conns) {
    const ports = byPeer.get(c.peer) ?? [];
    ports.push({ port: c.port, protocol: PROTO(c.proto) });
    byPeer.set(c.peer, ports);
  }
  return [...byPeer].map(([peer, ports]) => ({ peer, ports }));
}

/** A NetworkPolicy for a Kubernetes workload; undefined for containers outside Kubernetes and host processes. */
export function networkPolicy(p: WorkloadProfile): { file: string; text: string } | undefined {
  const id = p.identity;
  if (!id.namespace || !id.podSelector) return undefined;
  const ingressPorts = p.listening.map((l) => ({ port: l.port, protocol: PROTO(l.proto) }));
  const policy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: k8sName(`kestrel-learned-${id.name}`), namespace: id.namespace, labels: LEARNED, annotations: annotations(p.window, id.derivedFrom) },
    spec: {
      podSelector: { matchLabels: id.podSelector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: peersWithPorts(p.inbound).map(({ peer, ports }) => ({ from: [{ ipBlock: { cidr: cidrOf(peer) } }], ports })),
      egress: [
        { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }, // DNS, to whichever resolver the pod uses
        ...peersWithPorts(p.outbound).map(({ peer, ports }) => ({ to: [{ ipBlock: { cidr: cidrOf(peer) } }], ports })),
      ],
    },
  };
  if (policy.spec.ingress.length === 0 && ingressPorts.length > 0) {
    // Listening but no peer seen connecting: keep the ports closed, say so for the reviewer.
    policy.metadata.annotations['kestrel.dev/note'] = `listening on ${ingressPorts.map((x) => `${x.port}/${x.protocol}`).join(', ')} but no peer connected while learned`;
  }
  return { file: `networkpolicy/${fileStem(id)}.yaml`, text: `# Learned by kestrel learn: ${id.key} (${id.derivedFrom})\n` + stringify(policy) };
}

/** Event names of the stream that are not syscalls (libscap meta events). */
const NOT_SYSCALLS = new Set(['NA', 'procexit', 'switch', 'container', 'notification']);

export function seccompProfile(p: WorkloadProfile): { file: string; text: string } {
  const names = p.syscalls.filter((s) => !NOT_SYSCALLS.has(s));
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1, // EPERM
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }],
  };
  return { file: `seccomp/${fileStem(p.identity)}.json`, text: JSON.stringify(profile, null, 2) + '\n' };
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** RBAC rules for a set of accesses: verbs merged per (group, resource, names), as audit2rbac does. */
function policyRules(access: ApiAccess[]): PolicyRule[] {
  const byKey = new Map<string, PolicyRule>();
  for (const a of access) {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    const names = a.anyName ? [] : [...a.names].sort();
    const key = `${a.apiGroup}|${resource}|${names.join(',')}`;
    let r = byKey.get(key);
    if (!r) byKey.set(key, (r = { apiGroups: [a.apiGroup], resources: [resource], ...(names.length ? { resourceNames: names } : {}), verbs: [] }));
    if (!r.verbs.includes(a.verb)) r.verbs.push(a.verb);
  }
  for (const r of byKey.values()) r.verbs.sort();
  return [...byKey.values()];
}

export function rbac(s: SubjectProfile): { file: string; text: string } {
  const stem = subjectStem(s.key);
  const name = k8sName(`kestrel-learned-${stem}`);
  const subject = s.kind === 'ServiceAccount' ? { kind: 'ServiceAccount', name: s.name, namespace: s.namespace } : { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: s.name };
  const meta = (ns?: string) => ({ name, ...(ns ? { namespace: ns } : {}), labels: LEARNED, annotations: annotations(s.window, `audit subject ${s.key}`) });
  const docs: unknown[] = [];
  const namespaces = [...new Set(s.access.filter((a) => a.namespace).map((a) => a.namespace))].sort();
  for (const ns of namespaces) {
    docs.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(ns), rules: policyRules(s.access.filter((a) => a.namespace === ns)) });
    docs.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(ns), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name }, subjects: [subject] });
  }
  const cluster = policyRules(s.access.filter((a) => !a.namespace));
  const nonResource = new Map<string, string[]>();
  for (const u of s.nonResourceUrls) nonResource.set(u.path, [...(nonResource.get(u.path) ?? []), u.verb]);
  for (const [path, verbs] of nonResource) cluster.push({ nonResourceURLs: [path], verbs: [...new Set(verbs)].sort() });
  if (cluster.length > 0) {
    docs.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(), rules: cluster });
    docs.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [subject] });
  }
  const header = `# Learned by kestrel learn from the audit log: what ${s.key} did from ${s.window.from} to ${s.window.to}.\n`;
  return { file: `rbac/${stem}.yaml`, text: header + docs.map((d) => stringify(d)).join('---\n') };
}
