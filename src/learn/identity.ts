// Workload identity: which profile an event belongs to. Kestrel decides it in this order:
//
//  1. Kubernetes: the pod's namespace and owning workload, read from the runtime's pod labels
//     (io.kubernetes.pod.namespace / .name) and the pod's own labels that controllers set:
//       job-name / batch.kubernetes.io/job-name  → Job (a CronJob's job "<cronjob>-<minutes>" → CronJob)
//       pod-template-hash                        → Deployment (pod "<deploy>-<hash>-<rand>"; the
//                                                   ReplicaSet hash is not part of the identity)
//       statefulset.kubernetes.io/pod-name       → StatefulSet (pod "<sts>-<ordinal>")
//       pod-template-generation                  → DaemonSet (pod "<ds>-<rand5>")
//       none of these                            → the bare pod, by its name
//  2. A container outside Kubernetes: its image repository (no tag, no digest).
//  3. A host process: "host" per executable (host/<exepath>).
//
// The rules select a workload with upstream fields only: k8s.ns.name and a k8s.pod.name prefix,
// container.image.repository, or container.id = host and proc.exepath.

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'Pod' | 'image' | 'host';

export interface WorkloadIdentity {
  /** Stable key, also the base of file names: "ns/name", "image:repo", "host:/usr/bin/x". */
  key: string;
  kind: WorkloadKind;
  /** Workload name (Kubernetes), image repository, or executable path. */
  name: string;
  namespace?: string;
  /** How the identity was derived, for the profile and the rules' comments. */
  derivedFrom: string;
  /** Kubernetes: the pod's labels less those a controller sets per pod (the NetworkPolicy selector). */
  podSelector?: Record<string, string>;
}

/** What identity needs of a container (syscall state: ContainerInfo). */
export interface ContainerFacts {
  labels?: Record<string, string>;
  imageRepository?: string;
  image?: string;
}

const POD_NAME = 'io.kubernetes.pod.name';
const POD_NS = 'io.kubernetes.pod.namespace';
/** Labels a controller sets per pod or per revision: not part of what selects the workload's pods. */
const PER_POD_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'pod-template-generation', 'statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'controller-uid', 'batch.kubernetes.io/controller-uid', 'job-name', 'batch.kubernetes.io/job-name', 'batch.kubernetes.io/job-completion-index']);

/** The pod's own labels (the runtime also keeps io.kubernetes.* and annotation.* ones) less per-pod ones. */
export function podSelector(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!k.startsWith('io.kubernetes.') && !k.startsWith('annotation.') && !PER_POD_LABELS.has(k)) out[k] = v;
  return out;
}

const CRONJOB_JOB = /^(.+)-\d{8,}$/; // the CronJob controller names jobs "<cronjob>-<scheduled minutes>"

/** The owning workload of a pod from its name and labels (step 1 above). */
export function podOwner(podName: string, labels: Record<string, string>): { kind: WorkloadKind; name: string; via: string } {
  const job = labels['batch.kubernetes.io/job-name'] ?? labels['job-name'];
  if (job) {
    const cron = CRONJOB_JOB.exec(job);
    return cron ? { kind: 'CronJob', name: cron[1]!, via: `job-name label ${job} (CronJob job)` } : { kind: 'Job', name: job, via: 'job-name label' };
  }
  const hash = labels['pod-template-hash'];
  if (hash) {
    const marker = `-${hash}-`;
    const at = podName.lastIndexOf(marker);
    if (at > 0) return { kind: 'Deployment', name: podName.slice(0, at), via: 'pod-template-hash label, ReplicaSet hash stripped' };
  }
  if (labels['statefulset.kubernetes.io/pod-name']) {
    const m = /^(.+)-\d+$/.exec(podName);
    if (m) return { kind: 'StatefulSet', name: m[1]!, via: 'statefulset.kubernetes.io/pod-name label, ordinal stripped' };
  }
  if (labels['pod-template-generation'] && labels['controller-revision-hash']) {
    const m = /^(.+)-[a-z0-9]{5}$/.exec(podName);
    if (m) return { kind: 'DaemonSet', name: m[1]!, via: 'pod-template-generation label, pod suffix stripped' };
  }
  return { kind: 'Pod', name: podName, via: 'bare pod (no controller labels)' };
}

/** Strips the tag and digest of an image reference: "reg:5000/a/b:1.2@sha256:.." → "reg:5000/a/b". */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0]!;
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

/** The identity of a process: its container (undefined: on the host) and its executable. */
export function identify(container: ContainerFacts | undefined, inContainer: boolean, exepath: string): WorkloadIdentity | undefined {
  if (!inContainer) return { key: `host:${exepath}`, kind: 'host', name: exepath, derivedFrom: 'host process, per executable' };
  const labels = container?.labels ?? {};
  const ns = labels[POD_NS];
  const pod = labels[POD_NAME];
  if (ns && pod) {
    const owner = podOwner(pod, labels);
    return { key: `${ns}/${owner.name}`, kind: owner.kind, name: owner.name, namespace: ns, derivedFrom: `${owner.kind} from pod ${ns}/${pod}: ${owner.via}`, podSelector: podSelector(labels) };
  }
  const repo = container?.imageRepository ?? (container?.image ? imageRepository(container.image) : undefined);
  if (repo) return { key: `image:${repo}`, kind: 'image', name: repo, derivedFrom: 'container image repository (not in Kubernetes)' };
  return undefined; // a container whose metadata the runtime has not given (yet): no identity to learn under
}

/** A file-name-safe form of an identity: "ns-name", "image-repo", "host-exe". */
export function fileStem(id: WorkloadIdentity): string {
  const raw = id.kind === 'host' ? `host-${id.name}` : id.kind === 'image' ? `image-${id.name}` : `${id.namespace}-${id.name}`;
  return raw.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').replace(/-{2,}/g, '-');
}
