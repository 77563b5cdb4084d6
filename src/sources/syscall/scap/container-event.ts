// Container metadata events of scap files (PPME_CONTAINER_JSON_E and _2_E): the JSON libsinsp's
// container engines wrote into the capture (sinsp_container_manager::container_to_json in
// falcosecurity/libs), which answers container.name, container.image.* and
// container.privileged in a replay as they answered live. A malformed document is counted and
// skipped, never fatal.
import type { CgroupContainer } from '../state/cgroup.js';
import { splitImage, type ContainerInfo, type ContainerMeta, type ContainerMount, type ContainerStore } from '../state/containers.js';

export const PPME_CONTAINER_JSON_E = 272;
export const PPME_CONTAINER_JSON_2_E = 324;

/** libsinsp's sinsp_container_type -> the runtimes Kestrel names (others are not kept). */
const TYPES: Record<number, CgroupContainer['type']> = { 0: 'docker', 6: 'cri', 7: 'containerd', 8: 'cri-o', 11: 'podman' };

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function mounts(v: unknown): ContainerMount[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v
    .filter((m): m is Json => typeof m === 'object' && m !== null)
    .map((m) => ({ source: str(m.Source) ?? '', dest: str(m.Destination) ?? '', mode: str(m.Mode) ?? '', rdwr: m.RW === true, propagation: str(m.Propagation) ?? '' }));
}

/**
 * Applies one container event's JSON to the store. Returns 'applied', 'other-runtime' (a type
 * Kestrel does not name: lxc, mesos, ...) or the reason the document is unusable.
 */
export function applyContainerJson(store: ContainerStore, text: string): 'applied' | 'other-runtime' | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `bad JSON (${(e as Error).message})`;
  }
  const c = (doc as { container?: unknown } | null)?.container;
  if (typeof c !== 'object' || c === null) return 'no "container" object';
  const j = c as Json;
  const id = str(j.id);
  if (!id || !/^[0-9a-f]{12,64}$/.test(id)) return `bad container id ${JSON.stringify(j.id)}`;
  const type = TYPES[typeof j.type === 'number' ? j.type : -1];
  if (!type) return 'other-runtime';
  const image = str(j.image);
  const split = image ? splitImage(image) : undefined;
  const meta: ContainerMeta = {
    ...(str(j.name) !== undefined ? { name: str(j.name) } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(str(j.imageid) !== undefined ? { imageId: str(j.imageid) } : {}),
    imageRepository: str(j.imagerepo) ?? split?.repository,
    imageTag: str(j.imagetag) ?? split?.tag,
    imageDigest: str(j.imagedigest) ?? split?.digest,
    ...(typeof j.privileged === 'boolean' ? { privileged: j.privileged } : {}),
    ...(mounts(j.Mounts) ? { mounts: mounts(j.Mounts) } : {}),
    ...(typeof j.labels === 'object' && j.labels !== null ? { labels: Object.fromEntries(Object.entries(j.labels as Json).filter(([, v]) => typeof v === 'string')) as Record<string, string> } : {}),
    ...(str(j.ip) !== undefined ? { ip: str(j.ip) } : {}),
    ...(typeof j.created_time === 'number' ? { startTs: String(BigInt(Math.trunc(j.created_time)) * 1_000_000_000n) } : {}),
    source: 'scap',
  };
  for (const k of Object.keys(meta) as (keyof ContainerMeta)[]) if (meta[k] === undefined) delete meta[k];
  const short = id.slice(0, 12);
  const existing = store.get(short);
  if (existing) {
    Object.assign(existing, meta);
    existing.lookup = 'ok';
  } else {
    const info: ContainerInfo = { id: short, fullId: str(j.full_id) ?? id, type, lookup: 'ok', ...meta };
    store.put(info);
  }
  return 'applied';
}
