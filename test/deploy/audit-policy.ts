// kube-apiserver's audit policy file, as the apiserver reads it: the audit.k8s.io/v1 Policy
// fields (strictly: an unknown field is an error), its validation
// (k8s.io/apiserver/pkg/apis/audit/validation) and its rule matching (first match wins,
// k8s.io/apiserver/pkg/audit/policy/checker.go), so tests can ask which level a request gets.

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export const LEVELS: readonly Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

interface GroupResources {
  group?: string;
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: Level;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: string[];
  omitManagedFields?: boolean;
}

export interface Policy {
  apiVersion: string;
  kind: string;
  rules: PolicyRule[];
  omitStages?: string[];
  omitManagedFields?: boolean;
}

const POLICY_FIELDS = ['apiVersion', 'kind', 'metadata', 'rules', 'omitStages', 'omitManagedFields'];
const RULE_FIELDS = ['level', 'users', 'userGroups', 'verbs', 'resources', 'namespaces', 'nonResourceURLs', 'omitStages', 'omitManagedFields'];
const GR_FIELDS = ['group', 'resources', 'resourceNames'];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Every reason kube-apiserver would refuse to start with this policy. */
export function policyErrors(p: unknown): string[] {
  const errors: string[] = [];
  const unknown = (o: object, allowed: string[], where: string) => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) errors.push(`${where}: unknown field "${k}"`);
  };
  if (!p || typeof p !== 'object') return ['the policy is not a mapping'];
  const policy = p as Record<string, unknown>;
  unknown(policy, POLICY_FIELDS, 'Policy');
  if (policy.apiVersion !== 'audit.k8s.io/v1') errors.push(`apiVersion ${JSON.stringify(policy.apiVersion)} is not audit.k8s.io/v1`);
  if (policy.kind !== 'Policy') errors.push(`kind ${JSON.stringify(policy.kind)} is not Policy`);
  const stages = (v: unknown, where: string) => {
    if (v === undefined) return;
    if (!isStringList(v)) errors.push(`${where}: must be a list of stages`);
    else for (const s of v) if (!STAGES.includes(s)) errors.push(`${where}: unknown stage ${s}`);
  };
  stages(policy.omitStages, 'omitStages');
  if (policy.omitManagedFields !== undefined && typeof policy.omitManagedFields !== 'boolean') errors.push('omitManagedFields must be a boolean');
  if (!Array.isArray(policy.rules) || policy.rules.length === 0) return [...errors, 'loaded illegal policy with 0 rules'];
  policy.rules.forEach((r: Record<string, unknown>, i: number) => {
    const at = `rules[${i}]`;
    if (!r || typeof r !== 'object') return errors.push(`${at}: not a mapping`);
    unknown(r, RULE_FIELDS, at);
    if (!LEVELS.includes(r.level as Level)) errors.push(`${at}.level: ${JSON.stringify(r.level)} is not one of ${LEVELS.join(', ')}`);
    for (const k of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs']) {
      if (r[k] !== undefined && !isStringList(r[k])) errors.push(`${at}.${k}: must be a list of strings`);
    }
    stages(r.omitStages, `${at}.omitStages`);
    const urls = (r.nonResourceURLs as string[] | undefined) ?? [];
    for (const u of urls) {
      if (u === '*') continue;
      if (!u.startsWith('/')) errors.push(`${at}.nonResourceURLs: ${u}: must begin with '/'`);
      if (u !== '' && u.slice(0, -1).includes('*')) errors.push(`${at}.nonResourceURLs: ${u}: '*' must be the final character`);
    }
    const resources = r.resources as GroupResources[] | undefined;
    if (resources !== undefined && !Array.isArray(resources)) errors.push(`${at}.resources: must be a list`);
    for (const [j, g] of (resources ?? []).entries()) {
      unknown(g, GR_FIELDS, `${at}.resources[${j}]`);
      if (g.group && !DNS_SUBDOMAIN.test(g.group)) errors.push(`${at}.resources[${j}].group: ${g.group} is not a DNS subdomain (no version)`);
      if (g.resources !== undefined && !isStringList(g.resources)) errors.push(`${at}.resources[${j}].resources: must be a list of strings`);
      if (g.resourceNames?.length && !g.resources?.length) errors.push(`${at}.resources[${j}]: resourceNames requires resources`);
    }
    if (urls.length > 0 && ((resources?.length ?? 0) > 0 || ((r.namespaces as string[] | undefined)?.length ?? 0) > 0)) {
      errors.push(`${at}: rules cannot apply to both regular resources and non-resource URLs`);
    }
  });
  return errors;
}

export interface Request {
  user: string;
  groups: string[];
  verb: string;
  /** Resource requests. */
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Non-resource requests. */
  path?: string;
}

function pathMatches(path: string, spec: string): boolean {
  return spec === '*' || spec === path || (spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, '')));
}

function ruleMatches(r: PolicyRule, q: Request): boolean {
  if (r.users?.length && !r.users.includes(q.user)) return false;
  if (r.userGroups?.length && !q.groups.some((g) => r.userGroups!.includes(g))) return false;
  if (r.verbs?.length && !r.verbs.includes(q.verb)) return false;
  const isResource = q.resource !== undefined;
  if (r.namespaces?.length || r.resources?.length) {
    if (!isResource) return false;
    if (r.namespaces?.length && !r.namespaces.includes(q.namespace ?? '')) return false;
    if (!r.resources?.length) return true;
    const combined = q.subresource ? `${q.resource}/${q.subresource}` : q.resource!;
    for (const gr of r.resources) {
      if ((gr.group ?? '') !== (q.group ?? '')) continue;
      if (!gr.resources?.length) return true;
      for (const res of gr.resources) {
        if (gr.resourceNames?.length && !gr.resourceNames.includes(q.name ?? '')) continue;
        if (res === combined || res === '*') return true;
        if (q.subresource && res.startsWith('*/') && q.subresource === res.slice(2)) return true;
        if (res.endsWith('/*') && q.resource === res.slice(0, -2)) return true;
      }
    }
    return false;
  }
  if (r.nonResourceURLs?.length) return !isResource && r.nonResourceURLs.some((s) => pathMatches(q.path ?? '', s));
  return true;
}

/** The level kube-apiserver records the request at (None when no rule matches). */
export function levelOf(p: Policy, q: Request): Level {
  for (const r of p.rules) if (ruleMatches(r, q)) return r.level;
  return 'None';
}

export function atLeast(level: Level, min: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}
