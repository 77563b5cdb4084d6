// The Kubernetes response actions, as Falco Talon's kubernetes actionners do them (terminate,
// label, networkpolicy, delete, cordon), answered by what the API server says: 2xx done, 404 the
// object is already gone (nothing to do), 409 on a conditional delete: the name now belongs to a
// newer object, which is left alone; 403 the service account lacks the RBAC (deploy/respond).
import { createHash } from 'node:crypto';
import { failed, gone, ok, type Outcome } from '../outcome.js';
import type { ObjectRef } from '../facts.js';
import type { KubeClient, KubeResponse } from './client.js';

const MERGE_PATCH = 'application/merge-patch+json';
/** The label isolate_pod puts on a pod; its NetworkPolicy selects exactly this label. */
export const ISOLATE_LABEL = 'kestrel.io/isolate';

/**
 * The RBAC each action needs (deploy/respond/rbac.yaml grants these). delete_object needs delete on
 * whatever resource the alert names; the guide's case, a ClusterRoleBinding, is listed.
 */
export const RBAC_NEEDS = {
  terminate_pod: [{ group: '', resource: 'pods', verb: 'delete' }],
  label_pod: [{ group: '', resource: 'pods', verb: 'patch' }],
  isolate_pod: [
    { group: '', resource: 'pods', verb: 'patch' },
    { group: 'networking.k8s.io', resource: 'networkpolicies', verb: 'create' },
  ],
  delete_object: [{ group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', verb: 'delete' }],
  cordon_node: [{ group: '', resource: 'nodes', verb: 'patch' }],
} as const;

export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

function apiPrefix(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** The REST path of an object (no subresource). */
export function objectPath(o: Pick<ObjectRef, 'group' | 'version' | 'resource' | 'namespace' | 'name'>): string {
  const ns = o.namespace ? `/namespaces/${encodeURIComponent(o.namespace)}` : '';
  return `${apiPrefix(o.group, o.version)}${ns}/${o.resource}/${encodeURIComponent(o.name)}`;
}

const podPath = (p: PodRef) => objectPath({ group: '', version: 'v1', resource: 'pods', namespace: p.namespace, name: p.name });

function reason(r: KubeResponse): string {
  const msg = typeof r.body === 'object' && r.body ? r.body.message : typeof r.body === 'string' ? r.body.slice(0, 200) : '';
  return `${r.status}${msg ? ` ${msg}` : ''}`;
}

/** Maps an answer: 2xx → ok; 404 → gone; 403 → failed naming the missing RBAC; else failed. */
function answer(r: KubeResponse, what: string, verbResource: string, onConflict?: () => Outcome): Outcome {
  if (r.status >= 200 && r.status < 300) return ok(what, r.status);
  if (r.status === 404) return gone(`${what}: not found (already gone)`, r.status);
  if (r.status === 409 && onConflict) return onConflict();
  if (r.status === 403) return failed(`${what}: forbidden (${reason(r)}); the service account needs ${verbResource} (kubectl apply -k deploy/respond)`, r.status);
  return failed(`${what}: ${reason(r)}`, r.status);
}

function deleteOptions(grace: number | undefined, uid: string | undefined): Record<string, unknown> {
  return {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    propagationPolicy: 'Background',
    ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    ...(uid ? { preconditions: { uid } } : {}),
  };
}

export async function terminatePod(k: KubeClient, pod: PodRef, graceSeconds: number | undefined): Promise<Outcome> {
  const what = `delete pod ${pod.namespace}/${pod.name}`;
  const r = await k.send('DELETE', podPath(pod), deleteOptions(graceSeconds, pod.uid));
  return answer(r, `${what}${graceSeconds !== undefined ? ` (grace ${graceSeconds}s)` : ''}`, 'delete on pods', () => gone(`${what}: the name belongs to a newer pod now (uid precondition failed); left alone`, 409));
}

/** Merge-patches labels and annotations onto the pod; a 409 is retried once. */
export async function labelPod(k: KubeClient, pod: PodRef, labels: Record<string, string>, annotations: Record<string, string>): Promise<Outcome> {
  const metadata: Record<string, unknown> = {};
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  const what = `label pod ${pod.namespace}/${pod.name} (${Object.entries({ ...labels, ...annotations }).map(([a, b]) => `${a}=${b}`).join(', ')})`;
  let r = await k.send('PATCH', podPath(pod), { metadata }, MERGE_PATCH);
  if (r.status === 409) r = await k.send('PATCH', podPath(pod), { metadata }, MERGE_PATCH);
  return answer(r, what, 'patch on pods');
}

/** A label value naming the pod (its name when it fits a label value, else a hash of it). */
export function isolateId(pod: PodRef): string {
  if (pod.name.length <= 63 && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(pod.name)) return pod.name;
  return `h${createHash('sha256').update(pod.name).digest('hex').slice(0, 40)}`;
}

/** The deny-all NetworkPolicy (ingress and egress) selecting the isolated pod by its label. */
export function isolationPolicy(pod: PodRef, alertRule: string): Record<string, unknown> {
  const id = isolateId(pod);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: `kestrel-isolate-${id}`.slice(0, 253),
      namespace: pod.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kestrel' },
      annotations: { 'kestrel.io/reason': alertRule },
    },
    spec: { podSelector: { matchLabels: { [ISOLATE_LABEL]: id } }, policyTypes: ['Ingress', 'Egress'] },
  };
}

/** Labels the pod for the policy, then creates the policy (an existing one is the same isolation). */
export async function isolatePod(k: KubeClient, pod: PodRef, alertRule: string): Promise<Outcome> {
  const labelled = await labelPod(k, pod, { [ISOLATE_LABEL]: isolateId(pod) }, {});
  if (labelled.result !== 'ok') return labelled;
  const policy = isolationPolicy(pod, alertRule);
  const name = (policy.metadata as { name: string }).name;
  const what = `isolate pod ${pod.namespace}/${pod.name} (NetworkPolicy ${name}, deny all ingress and egress)`;
  const r = await k.send('POST', `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(pod.namespace)}/networkpolicies`, policy);
  return answer(r, what, 'create on networkpolicies', () => ok(`${what}: the policy already exists`, 409));
}

export async function deleteObject(k: KubeClient, o: ObjectRef, graceSeconds: number | undefined): Promise<Outcome> {
  const what = `delete ${o.resource}${o.group ? `.${o.group}` : ''} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
  const r = await k.send('DELETE', objectPath(o), deleteOptions(graceSeconds, o.uid));
  return answer(r, what, `delete on ${o.resource}`, () => gone(`${what}: the name belongs to a newer object now (uid precondition failed); left alone`, 409));
}

export async function cordonNode(k: KubeClient, node: string): Promise<Outcome> {
  const r = await k.send('PATCH', `/api/v1/nodes/${encodeURIComponent(node)}`, { spec: { unschedulable: true } }, MERGE_PATCH);
  return answer(r, `cordon node ${node}`, 'patch on nodes');
}
