// container.* and k8s.* for syscall events: the container comes from the process's cgroup,
// its metadata from the container runtime (asynchronously; absent until known).
import type { SyscallEvent } from '../syscall-event.js';
import type { ContainerInfo, ContainerMount } from '../state/containers.js';
import { compileGlob } from '../../../engine/glob.js';
import type { FieldDef, FieldValue } from '../../../fields/types.js';

type Def = FieldDef<SyscallEvent>;

function info(e: SyscallEvent): ContainerInfo | undefined {
  const id = e.proc?.containerId;
  return id ? e.ctx.containers.get(id) : undefined;
}

/** A container metadata field: absent for host processes and unknown metadata. */
function meta(get: (c: ContainerInfo) => FieldValue | undefined) {
  return () => (e: SyscallEvent) => {
    const c = info(e);
    return c ? get(c) : undefined;
  };
}

const mountText = (m: ContainerMount) => `${m.source}:${m.dest}:${m.mode}:${m.rdwr}:${m.propagation}`;

/** container.mount*[N] by index, or [key] by the other end's path (a glob, as Falco allows); the argument read once. */
function mountFinder(arg: string, keyIs: 'source' | 'dest'): (c: ContainerInfo) => ContainerMount | undefined {
  if (/^[0-9]+$/.test(arg)) {
    const n = Number(arg);
    return (c) => c.mounts?.[n];
  }
  if (/[*?[]/.test(arg)) {
    const match = compileGlob(arg);
    return (c) => c.mounts?.find((m) => match(m[keyIs]));
  }
  return (c) => {
    const mounts = c.mounts;
    if (!mounts) return undefined;
    for (let i = 0; i < mounts.length; i++) if (mounts[i]![keyIs] === arg) return mounts[i];
    return undefined;
  };
}

/** Mount lookups yield 'N/A' for containers without such a mount (rules test for it). */
function mountField(keyIs: 'source' | 'dest', get: (m: ContainerMount) => string) {
  return (arg: string | undefined) => {
    const find = arg === undefined ? undefined : mountFinder(arg, keyIs);
    return (e: SyscallEvent) => {
      if (!e.proc?.containerId) return undefined;
      const c = info(e);
      if (!c || find === undefined) return undefined;
      const m = find(c);
      return m ? get(m) : 'N/A';
    };
  };
}

const label = (c: ContainerInfo, k: string) => c.labels?.[k];
const KEY = { required: true, kind: 'key' } as const;

export const containerFields: Def[] = [
  { name: 'container.id', type: 'CHARBUF', desc: "The truncated container id (first 12 characters), 'host' for processes not in a container.", bind: () => (e) => (e.proc ? e.proc.containerId || 'host' : undefined), suggestedOutput: 1 },
  { name: 'container.full_id', type: 'CHARBUF', desc: "The full container id, 'host' for processes not in a container.", bind: () => (e) => (e.proc ? (e.proc.containerId ? info(e)?.fullId : 'host') : undefined) },
  { name: 'container.name', type: 'CHARBUF', desc: "The container name, 'host' for processes not in a container.", bind: () => (e) => (e.proc ? (e.proc.containerId ? info(e)?.name : 'host') : undefined), suggestedOutput: 2 },
  { name: 'container.image', type: 'CHARBUF', desc: 'The container image name (e.g. falcosecurity/falco:latest for docker).', bind: meta((c) => c.image) },
  { name: 'container.image.id', type: 'CHARBUF', desc: 'The container image id (e.g. 6f7e2741b66b).', bind: meta((c) => c.imageId) },
  { name: 'container.type', type: 'CHARBUF', desc: 'The container type, e.g. docker, cri-o, containerd, podman.', bind: meta((c) => c.type) },
  { name: 'container.privileged', type: 'BOOL', desc: "'true' for containers running as privileged, 'false' otherwise.", bind: meta((c) => c.privileged) },
  { name: 'container.mounts', type: 'CHARBUF', desc: 'A space-separated list of mount information. Each item is <source>:<dest>:<mode>:<rdrw>:<propagation>.', bind: meta((c) => (c.mounts ? c.mounts.map(mountText).join(',') : undefined)) },
  { name: 'container.mount', type: 'CHARBUF', desc: 'Information about a single mount, specified by number (container.mount[0]) or mount source (container.mount[/usr/local]).', arg: KEY, bind: mountField('source', mountText) },
  { name: 'container.mount.source', type: 'CHARBUF', desc: 'The mount source, specified by number (container.mount.source[0]) or mount destination (container.mount.source[/host/lib/modules]).', arg: KEY, bind: mountField('dest', (m) => m.source) },
  { name: 'container.mount.dest', type: 'CHARBUF', desc: 'The mount destination, specified by number (container.mount.dest[0]) or mount source (container.mount.dest[/lib/modules]).', arg: KEY, bind: mountField('source', (m) => m.dest) },
  { name: 'container.mount.mode', type: 'CHARBUF', desc: 'The mount mode, specified by number or mount source.', arg: KEY, bind: mountField('source', (m) => m.mode) },
  { name: 'container.mount.rdwr', type: 'CHARBUF', desc: 'The mount rdwr value, specified by number or mount source.', arg: KEY, bind: mountField('source', (m) => String(m.rdwr)) },
  { name: 'container.mount.propagation', type: 'CHARBUF', desc: 'The mount propagation value, specified by number or mount source.', arg: KEY, bind: mountField('source', (m) => m.propagation) },
  { name: 'container.image.repository', type: 'CHARBUF', desc: 'The container image repository (e.g. falcosecurity/falco).', bind: meta((c) => c.imageRepository), suggestedOutput: 3 },
  { name: 'container.image.tag', type: 'CHARBUF', desc: 'The container image tag (e.g. stable, latest).', bind: meta((c) => c.imageTag), suggestedOutput: 4 },
  { name: 'container.image.digest', type: 'CHARBUF', desc: 'The container image registry digest (e.g. sha256:d977378f890d445c15e51795296e4e5062f109ce6da83e0a355fc4ad8699d27).', bind: meta((c) => c.imageDigest) },
  { name: 'container.healthcheck', type: 'CHARBUF', desc: "The container's health check. Will be the null value ('N/A') if no healthcheck configured.", bind: meta(() => undefined) },
  { name: 'container.liveness_probe', type: 'CHARBUF', desc: "The container's liveness probe.", bind: meta(() => undefined) },
  { name: 'container.readiness_probe', type: 'CHARBUF', desc: "The container's readiness probe.", bind: meta(() => undefined) },
  { name: 'container.start_ts', type: 'ABSTIME', desc: 'Container start as epoch timestamp in nanoseconds.', bind: meta((c) => (c.startTs ? BigInt(c.startTs) : undefined)) },
  {
    name: 'container.duration',
    type: 'RELTIME',
    desc: 'Number of nanoseconds since the container start.',
    bind: () => (e) => {
      const c = info(e);
      return c?.startTs ? Number(e.timeNs() - BigInt(c.startTs)) : undefined;
    },
  },
  { name: 'container.ip', type: 'CHARBUF', desc: "The container's / pod's primary ip address.", bind: meta((c) => c.ip) },
  { name: 'container.host_pid', type: 'BOOL', desc: "'true' if the container is running in the host PID namespace.", bind: meta((c) => c.hostPid) },
  { name: 'container.host_network', type: 'BOOL', desc: "'true' if the container is running in the host network namespace.", bind: meta((c) => c.hostNetwork) },
  { name: 'container.host_ipc', type: 'BOOL', desc: "'true' if the container is running in the host IPC namespace.", bind: meta((c) => c.hostIpc) },
  { name: 'container.label', type: 'CHARBUF', desc: 'A container label, e.g. container.label[maintainer].', arg: KEY, bind: (arg) => meta((c) => label(c, arg!))() },
];

const POD_NAME = 'io.kubernetes.pod.name';
const POD_NS = 'io.kubernetes.pod.namespace';
const POD_UID = 'io.kubernetes.pod.uid';
const SANDBOX = 'io.kubernetes.sandbox.id';

function podLabels(c: ContainerInfo): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.labels ?? {})) if (!k.startsWith('io.kubernetes.') && !k.startsWith('annotation.')) out[k] = v;
  return out;
}

export const k8sFields: Def[] = [
  { name: 'k8s.pod.name', type: 'CHARBUF', desc: 'The Kubernetes pod name.', bind: meta((c) => label(c, POD_NAME)), suggestedOutput: 5 },
  { name: 'k8s.ns.name', type: 'CHARBUF', desc: 'The Kubernetes namespace name.', bind: meta((c) => label(c, POD_NS)), suggestedOutput: 6 },
  { name: 'k8s.pod.id', type: 'CHARBUF', desc: 'The Kubernetes pod UID (legacy name of k8s.pod.uid).', bind: meta((c) => label(c, POD_UID)) },
  { name: 'k8s.pod.uid', type: 'CHARBUF', desc: 'The Kubernetes pod UID.', bind: meta((c) => label(c, POD_UID)) },
  { name: 'k8s.pod.sandbox_id', type: 'CHARBUF', desc: 'The truncated Kubernetes pod sandbox ID (first 12 characters).', bind: meta((c) => label(c, SANDBOX)?.slice(0, 12)) },
  { name: 'k8s.pod.full_sandbox_id', type: 'CHARBUF', desc: 'The full Kubernetes pod / sandbox ID.', bind: meta((c) => label(c, SANDBOX)) },
  { name: 'k8s.pod.label', type: 'CHARBUF', desc: 'The Kubernetes pod label, e.g. k8s.pod.label[foo].', arg: KEY, bind: (arg) => meta((c) => podLabels(c)[arg!])() },
  {
    name: 'k8s.pod.labels',
    type: 'CHARBUF',
    desc: 'The Kubernetes pod comma-separated key/value labels, e.g. (foo1:bar1,foo2:bar2).',
    bind: meta((c) => {
      const l = Object.entries(podLabels(c));
      return l.length ? `(${l.map(([k, v]) => `${k}:${v}`).join(',')})` : undefined;
    }),
  },
  { name: 'k8s.pod.ip', type: 'CHARBUF', desc: 'The Kubernetes pod ip, same as container.ip field as each container in a pod shares the network stack of the sandbox / pod.', bind: meta((c) => c.ip) },
];
