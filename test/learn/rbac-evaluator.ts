// A Kubernetes RBAC authorizer for tests, following plugin/pkg/auth/authorizer/rbac (rbac.go and
// its rule matching in k8s.io/component-helpers/auth/rbac/validation): a request is allowed when a
// binding whose subjects include the requester refers to a role with a rule matching it. A
// RoleBinding grants only in its own namespace; a ClusterRoleBinding everywhere, and is the only
// way to reach cluster-scoped resources and non-resource URLs.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- RBAC objects as parsed YAML
type Obj = Record<string, any>;

export interface Request {
  user: string;
  groups: string[];
  verb: string;
  apiGroup?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** A non-resource request (no resource): its path. */
  path?: string;
}

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

function ruleAllows(rule: Obj, r: Request): boolean {
  if (!has(rule.verbs, r.verb)) return false;
  if (r.resource === undefined) {
    // nonResourceURLs: exact, or a prefix ending in '*'
    return (rule.nonResourceURLs ?? []).some((u: string) => u === '*' || u === r.path || (u.endsWith('*') && r.path!.startsWith(u.slice(0, -1))));
  }
  if (!has(rule.apiGroups, r.apiGroup ?? '')) return false;
  const combined = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  const resources: string[] = rule.resources ?? [];
  const resourceOk = resources.some((x) => x === '*' || x === combined || (r.subresource && x === `*/${r.subresource}`));
  if (!resourceOk) return false;
  const names: string[] = rule.resourceNames ?? [];
  return names.length === 0 || (r.name !== undefined && names.includes(r.name));
}

function subjectMatches(s: Obj, r: Request, bindingNs: string | undefined): boolean {
  if (s.kind === 'User') return s.name === r.user;
  if (s.kind === 'Group') return r.groups.includes(s.name);
  if (s.kind === 'ServiceAccount') return r.user === `system:serviceaccount:${s.namespace ?? bindingNs}:${s.name}`;
  return false;
}

export function authorize(objects: Obj[], r: Request): boolean {
  const roles = new Map<string, Obj>();
  for (const o of objects) if (o.kind === 'Role' || o.kind === 'ClusterRole') roles.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  for (const b of objects) {
    if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
    const ns = b.kind === 'RoleBinding' ? b.metadata.namespace : undefined;
    if (!(b.subjects ?? []).some((s: Obj) => subjectMatches(s, r, ns))) continue;
    // A RoleBinding applies only to namespaced requests in its namespace.
    if (ns !== undefined && (r.resource === undefined || r.namespace !== ns)) continue;
    const ref = b.roleRef;
    const role = roles.get(`${ref.kind}/${ref.kind === 'Role' ? ns : ''}/${ref.name}`);
    if (role && (role.rules ?? []).some((rule: Obj) => ruleAllows(rule, r))) return true;
  }
  return false;
}
