// A container's metadata as the `container` event libsinsp writes into its own captures
// (PPME_CONTAINER_JSON_E, one CHARBUF param: the JSON of sinsp_container_manager's
// container_to_json, tid -1) and reads back in sinsp_parser::parse_container_json_evt, so
// container.id/name/image... resolve in sysdig and Falco as they did in Kestrel.
import type { ContainerInfo } from '../state/containers.js';
import { ppmEvent } from './ppm-events.js';
import { ByteSink, utf8Bytes } from './writer-bytes.js';

const CONTAINER_JSON_E = ppmEvent('CONTAINER_JSON_E').code;

/** sinsp_container_type (container_engine/sinsp_container_type.h) by Falco's container.type name. */
const SINSP_TYPES: Record<ContainerInfo['type'], number> = { docker: 0, cri: 6, containerd: 7, 'cri-o': 8, podman: 11 };
/** sinsp_container_lookup_state: SUCCESSFUL, FAILED. */
const LOOKUP_SUCCESSFUL = 1;
const LOOKUP_FAILED = 2;

export function containerJson(c: ContainerInfo): string {
  const container: Record<string, unknown> = {
    id: c.id,
    full_id: c.fullId,
    type: SINSP_TYPES[c.type] ?? 0,
    name: c.name ?? '',
    image: c.image ?? '',
    imageid: c.imageId ?? '',
    imagerepo: c.imageRepository ?? '',
    imagetag: c.imageTag ?? '',
    imagedigest: c.imageDigest ?? '',
    privileged: c.privileged ?? false,
    host_pid: c.hostPid ?? false,
    host_network: c.hostNetwork ?? false,
    host_ipc: c.hostIpc ?? false,
    lookup_state: c.lookup === 'failed' ? LOOKUP_FAILED : LOOKUP_SUCCESSFUL,
    labels: c.labels ?? {},
    Mounts: (c.mounts ?? []).map((m) => ({ Source: m.source, Destination: m.dest, Mode: m.mode, RW: m.rdwr, Propagation: m.propagation })),
    ...(c.startTs ? { created_time: Number(BigInt(c.startTs) / 1_000_000_000n) } : {}),
  };
  return JSON.stringify({ container });
}

/** The CONTAINER_JSON_E event for `c` at epoch time `ts`. */
export function containerJsonEvent(c: ContainerInfo, ts: bigint): Buffer {
  const json = utf8Bytes(containerJson(c) + '\0');
  const s = new ByteSink(64 + json.length);
  s.u64(ts).i64(-1n).u32(26 + 2 + json.length).u16(CONTAINER_JSON_E).u32(1).u16(json.length).bytes(json);
  return Buffer.from(s.view());
}
