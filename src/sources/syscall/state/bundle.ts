// Container metadata from the OCI bundle, read synchronously when a container is first seen.
// The runtime writes the bundle's config.json (and its own state) before it starts the container's
// first process, so privileged, mounts, and what the runtime put in the annotations (image, pod,
// labels for CRI-O and containerd) are known on the container's very first record; podman's and
// docker's own records of the container add its name and image. The runtime's API (runtimes.ts)
// answers later and completes or corrects what is here. Waiting for that answer instead (holding
// the container's first events) costs tens to hundreds of milliseconds per container; reading
// these local files well under one (bench/container-meta.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { splitImage, type ContainerInfo, type ContainerMeta, type ContainerMount, type InitialLookupStats } from './containers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function readJson(path: string): Json | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return JSON.parse(text) as Json; // a syntax error is reported by the caller
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Where the bundle's config.json of a container may be, for runc, crun, containerd, podman and CRI-O. */
export function bundleCandidates(root: string, id: string): (() => string | undefined)[] {
  const fromRuncState = (dir: string) => () => {
    const st = readJson(`${dir}/${id}/state.json`);
    const label = (st?.config?.labels as string[] | undefined)?.find((l) => l.startsWith('bundle='));
    return label ? `${root}${label.slice('bundle='.length)}/config.json` : undefined;
  };
  const direct = (path: string) => () => path;
  return [
    // podman and CRI-O keep the bundle in their storage (graph root, then run root)
    direct(`${root}/var/lib/containers/storage/overlay-containers/${id}/userdata/config.json`),
    direct(`${root}/run/containers/storage/overlay-containers/${id}/userdata/config.json`),
    // containerd (Kubernetes, Docker): the shim's bundle directory, one per namespace
    () => {
      const base = `${root}/run/containerd/io.containerd.runtime.v2.task`;
      const ns = listDir(base).find((n) => listDir(`${base}/${n}`).includes(id));
      return ns ? `${base}/${ns}/${id}/config.json` : undefined;
    },
    // a runtime's own state names the bundle
    fromRuncState(`${root}/run/runc`),
    () => {
      const st = readJson(`${root}/run/crun/${id}/status`);
      return typeof st?.bundle === 'string' ? `${root}${st.bundle}/config.json` : undefined;
    },
  ];
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);

/** The container's bind mounts from the spec, without the runtime's own files for it (hosts, resolv.conf...). */
function specMounts(spec: Json, fullId: string): ContainerMount[] {
  const out: ContainerMount[] = [];
  for (const m of (spec.mounts ?? []) as Json[]) {
    const opts = (Array.isArray(m.options) ? m.options : []) as string[];
    const isBind = m.type === 'bind' || opts.includes('bind') || opts.includes('rbind');
    const source = String(m.source ?? '');
    if (!isBind || !source.startsWith('/') || source.includes(fullId)) continue;
    out.push({
      source,
      dest: String(m.destination ?? ''),
      mode: '', // as podman's inspect reports a bind mount (docker's Mode is the -v suffix, not in the spec)
      rdwr: !opts.includes('ro'),
      propagation: opts.find((o) => PROPAGATIONS.has(o)) ?? '',
    });
  }
  return out;
}

/**
 * Privileged: podman says so in an annotation; otherwise the spec of a privileged container
 * (docker, CRI) is recognised by what privileged means to runc: no masked or read-only paths
 * and CAP_SYS_ADMIN in the bounding set.
 */
function specPrivileged(spec: Json): boolean {
  const a = (spec.annotations ?? {}) as Record<string, string>;
  const podman = a['io.podman.annotations.privileged'];
  if (podman !== undefined) return podman.toUpperCase() === 'TRUE';
  const linux = (spec.linux ?? {}) as Json;
  const masked = (linux.maskedPaths ?? []) as unknown[];
  const readonly = (linux.readonlyPaths ?? []) as unknown[];
  const bounding = (spec.process?.capabilities?.bounding ?? []) as string[];
  return masked.length === 0 && readonly.length === 0 && bounding.includes('CAP_SYS_ADMIN');
}

/** Pod identity and labels the CRI runtimes write into the annotations. */
function specLabels(a: Record<string, string>): Record<string, string> | undefined {
  const crio = a['io.kubernetes.cri-o.Labels'];
  if (crio) {
    try {
      return JSON.parse(crio) as Record<string, string>;
    } catch {
      return undefined;
    }
  }
  if (a['io.kubernetes.cri.sandbox-name'] === undefined) return undefined;
  const labels: Record<string, string> = {};
  const put = (k: string, from: string) => {
    if (a[from] !== undefined) labels[k] = a[from]!;
  };
  put('io.kubernetes.pod.name', 'io.kubernetes.cri.sandbox-name');
  put('io.kubernetes.pod.namespace', 'io.kubernetes.cri.sandbox-namespace');
  put('io.kubernetes.pod.uid', 'io.kubernetes.cri.sandbox-uid');
  put('io.kubernetes.container.name', 'io.kubernetes.cri.container-name');
  put('io.kubernetes.sandbox.id', 'io.kubernetes.cri.sandbox-id');
  return labels;
}

/** Metadata an OCI runtime spec (the bundle's config.json) carries. */
export function metaFromOciSpec(spec: Json, fullId: string): ContainerMeta {
  const a = (spec.annotations ?? {}) as Record<string, string>;
  const labels = specLabels(a);
  const image = a['io.kubernetes.cri-o.ImageName'] ?? a['io.kubernetes.cri.image-name'];
  const name = labels?.['io.kubernetes.container.name'];
  const ns = ((spec.linux?.namespaces ?? []) as Json[]).map((n) => String(n.type));
  return {
    ...(name ? { name } : {}),
    ...(image ? imageMeta(image) : {}),
    privileged: specPrivileged(spec),
    mounts: specMounts(spec, fullId),
    ...(labels ? { labels } : {}),
    hostPid: !ns.includes('pid'),
    hostNetwork: !ns.includes('network'),
    hostIpc: !ns.includes('ipc'),
    source: 'bundle',
  };
}

function imageMeta(image: string): Partial<ContainerMeta> {
  const p = splitImage(image);
  return { image, imageRepository: p.repository, imageTag: p.tag ?? (p.digest ? undefined : 'latest'), ...(p.digest ? { imageDigest: p.digest } : {}) };
}

/** podman's and CRI-O's storage index of containers: their name and image name. */
function storageMeta(root: string, fullId: string): Partial<ContainerMeta> {
  for (const base of [`${root}/var/lib/containers/storage`, `${root}/run/containers/storage`]) {
    let list: Json[] | undefined;
    try {
      list = readJson(`${base}/overlay-containers/containers.json`) as Json[] | undefined;
    } catch {
      continue;
    }
    const c = Array.isArray(list) ? list.find((x) => x.id === fullId) : undefined;
    if (!c) continue;
    let md: Json;
    try {
      md = typeof c.metadata === 'string' ? (JSON.parse(c.metadata) as Json) : {};
    } catch {
      md = {}; // the name and image then come from the runtime's answer
    }
    const out: Partial<ContainerMeta> = {};
    const name = (md.name as string | undefined) ?? (c.names as string[] | undefined)?.[0];
    if (name) out.name = name;
    if (typeof md['image-name'] === 'string' && md['image-name']) Object.assign(out, imageMeta(md['image-name']));
    if (typeof c.image === 'string') out.imageId = c.image.slice(0, 12);
    return out;
  }
  return {};
}

/** Docker's own record of a container (written before it starts): name, image, labels. */
function dockerMeta(root: string, fullId: string): Partial<ContainerMeta> {
  let j: Json | undefined;
  try {
    j = readJson(`${root}/var/lib/docker/containers/${fullId}/config.v2.json`);
  } catch {
    return {}; // unreadable: the runtime's answer fills these in
  }
  if (!j) return {};
  const cfg = (j.Config ?? {}) as Json;
  const out: Partial<ContainerMeta> = {};
  const name = String(j.Name ?? '').replace(/^\//, '');
  if (name) out.name = name;
  if (typeof cfg.Image === 'string' && cfg.Image) Object.assign(out, imageMeta(cfg.Image));
  if (typeof j.Image === 'string') out.imageId = j.Image.replace(/^sha256:/, '').slice(0, 12);
  if (cfg.Labels && typeof cfg.Labels === 'object') out.labels = cfg.Labels as Record<string, string>;
  return out;
}

/**
 * Reads what the runtime left on disk for a container about to start; undefined when nothing was
 * found. Counts into `stats`.
 */
export function readBundleMeta(c: Pick<ContainerInfo, 'fullId'>, hostRoot: string, stats: InitialLookupStats): ContainerMeta | undefined {
  const root = hostRoot.replace(/\/$/, '');
  for (const candidate of bundleCandidates(root, c.fullId)) {
    let spec: Json | undefined;
    try {
      const path = candidate();
      spec = path ? readJson(path) : undefined;
    } catch {
      stats.bad++;
      return undefined;
    }
    if (!spec) continue;
    stats.found++;
    const meta = metaFromOciSpec(spec, c.fullId);
    // the spec has no image or name for podman: its storage index does
    const extra = meta.image && meta.name ? {} : { ...storageMeta(root, c.fullId), ...dockerMeta(root, c.fullId) };
    return { ...extra, ...meta };
  }
  stats.missing++;
  return undefined;
}
