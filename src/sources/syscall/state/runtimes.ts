// Container metadata from the container runtimes, asked asynchronously: the Docker-compatible API
// on the docker or podman socket, CRI-O's info endpoint, or `podman inspect` / `crictl inspect`
// when their sockets are not reachable. The first runtime that knows the id answers.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { splitImage, type ContainerInfo, type ContainerLookup, type ContainerMeta, type ContainerMount } from './containers.js';

export interface RuntimeOptions {
  /** Prefix for runtime sockets and binaries (e.g. /host when Kestrel runs in a container). */
  hostRoot?: string;
  dockerSocket?: string;
  podmanSocket?: string;
  crioSocket?: string;
  /** Use `podman inspect` / `crictl inspect` when the sockets do not answer (default true). */
  useCli?: boolean;
  timeoutMs?: number;
}

// The runtimes' inspect JSON is untyped; each reader below checks the shape of what it takes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function getJson(socketPath: string, path: string, timeoutMs: number): Promise<Json | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs, headers: { host: 'localhost' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

function cliJson(cmd: string, args: string[], timeoutMs: number): Promise<Json | undefined> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout) => {
      if (err) return resolve(undefined);
      try {
        const v = JSON.parse(stdout) as Json | Json[];
        resolve(Array.isArray(v) ? v[0] : v);
      } catch {
        resolve(undefined);
      }
    });
  });
}

/** `2024-05-01T10:00:00.123456789Z` -> ns since the epoch (decimal string). */
export function isoToNs(iso: string | undefined): string | undefined {
  if (!iso || iso.startsWith('0001-')) return undefined;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(iso);
  if (!m) return undefined;
  const s = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(s)) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return (BigInt(s) * 1_000_000n + BigInt(frac)).toString();
}

function imageParts(image: string | undefined, digest?: string): Partial<ContainerMeta> {
  if (!image) return {};
  const p = splitImage(image);
  return {
    image,
    imageRepository: p.repository,
    imageTag: p.tag ?? (p.digest ? undefined : 'latest'),
    ...(p.digest || digest ? { imageDigest: p.digest ?? digest } : {}),
  };
}

function shortId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const hex = id.replace(/^sha256:/, '');
  return hex.slice(0, 12);
}

/** Docker `GET /containers/<id>/json` (also podman's compat API and `podman inspect`). */
export function metaFromDockerInspect(j: Json, source: string): ContainerMeta {
  const cfg = (j.Config ?? {}) as Json;
  const host = (j.HostConfig ?? {}) as Json;
  const mounts: ContainerMount[] = ((j.Mounts ?? []) as Json[]).map((m) => ({
    source: String(m.Source ?? ''),
    dest: String(m.Destination ?? ''),
    mode: String(m.Mode ?? (Array.isArray(m.Options) ? m.Options.join(',') : '')),
    rdwr: m.RW !== false,
    propagation: String(m.Propagation ?? ''),
  }));
  const name = String(j.Name ?? '').replace(/^\//, '');
  const image = (j.ImageName as string | undefined) ?? (cfg.Image as string | undefined);
  return {
    ...(name ? { name } : {}),
    ...imageParts(image, j.ImageDigest as string | undefined),
    ...(shortId(j.Image as string | undefined) ? { imageId: shortId(j.Image as string)! } : {}),
    privileged: host.Privileged === true,
    mounts,
    labels: (cfg.Labels ?? {}) as Record<string, string>,
    ...(j.NetworkSettings?.IPAddress ? { ip: String(j.NetworkSettings.IPAddress) } : {}),
    hostPid: host.PidMode === 'host',
    hostNetwork: host.NetworkMode === 'host',
    hostIpc: host.IpcMode === 'host',
    ...(isoToNs(j.State?.StartedAt) ? { startTs: isoToNs(j.State.StartedAt)! } : {}),
    source,
  };
}

/** CRI-O's `GET /containers/<id>` on its socket. */
export function metaFromCrio(j: Json): ContainerMeta {
  const labels = (j.labels ?? {}) as Record<string, string>;
  return {
    ...(j.name ? { name: String(j.name) } : {}),
    ...imageParts(j.image as string | undefined),
    ...(shortId(j.image_ref as string | undefined) ? { imageId: shortId(j.image_ref as string)! } : {}),
    labels,
    ...(Array.isArray(j.ip_addresses) && j.ip_addresses[0] ? { ip: String(j.ip_addresses[0]) } : {}),
    ...(j.created_time ? { startTs: String(j.created_time) } : {}),
    source: 'crio',
  };
}

/** `crictl inspect <id>` (containerd or CRI-O through CRI). */
export function metaFromCrictl(j: Json): ContainerMeta {
  const st = (j.status ?? {}) as Json;
  const info = (j.info ?? {}) as Json;
  const sec = info.config?.linux?.security_context ?? info.runtimeSpec?.linux ?? {};
  const mounts: ContainerMount[] = ((st.mounts ?? []) as Json[]).map((m) => ({
    source: String(m.hostPath ?? ''),
    dest: String(m.containerPath ?? ''),
    mode: '',
    rdwr: m.readonly !== true,
    propagation: String(m.propagation ?? '').replace(/^PROPAGATION_/, '').toLowerCase(),
  }));
  return {
    ...(st.metadata?.name ? { name: String(st.metadata.name) } : {}),
    ...imageParts((st.image?.image as string | undefined) ?? undefined),
    ...(shortId(st.imageRef as string | undefined) ? { imageId: shortId(st.imageRef as string)! } : {}),
    privileged: sec.privileged === true,
    mounts,
    labels: (st.labels ?? {}) as Record<string, string>,
    ...(isoToNs(st.startedAt as string | undefined) ? { startTs: isoToNs(st.startedAt as string)! } : {}),
    source: 'crictl',
  };
}

function which(bin: string, root: string): string | undefined {
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin']) {
    const p = `${root}${dir}/${bin}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The lookup the ContainerStore calls for each new container. */
export function runtimeLookup(opts: RuntimeOptions = {}): ContainerLookup {
  const root = (opts.hostRoot ?? '').replace(/\/$/, '');
  const timeout = opts.timeoutMs ?? 5000;
  const docker = opts.dockerSocket ?? `${root}/var/run/docker.sock`;
  const podman = opts.podmanSocket ?? `${root}/run/podman/podman.sock`;
  const crio = opts.crioSocket ?? `${root}/var/run/crio/crio.sock`;
  const useCli = opts.useCli ?? true;

  const viaDockerApi = async (sock: string, id: string, source: string) =>
    existsSync(sock) ? ((j: Json | undefined) => (j ? metaFromDockerInspect(j, source) : undefined))(await getJson(sock, `/containers/${id}/json`, timeout)) : undefined;
  const viaCrio = async (id: string) => (existsSync(crio) ? ((j) => (j ? metaFromCrio(j) : undefined))(await getJson(crio, `/containers/${id}`, timeout)) : undefined);
  const viaPodmanCli = async (id: string) => {
    const bin = useCli ? which('podman', root) : undefined;
    if (!bin) return undefined;
    const j = await cliJson(bin, ['inspect', '--type', 'container', '--format', 'json', id], timeout);
    return j ? metaFromDockerInspect(j, 'podman-cli') : undefined;
  };
  const viaCrictl = async (id: string) => {
    const bin = useCli ? which('crictl', root) : undefined;
    if (!bin) return undefined;
    const j = await cliJson(bin, ['inspect', '-o', 'json', id], timeout);
    return j ? metaFromCrictl(j) : undefined;
  };

  return async (c: ContainerInfo) => {
    const id = c.fullId;
    const order: (() => Promise<ContainerMeta | undefined>)[] =
      c.type === 'podman'
        ? [() => viaDockerApi(podman, id, 'podman'), () => viaPodmanCli(id)]
        : c.type === 'docker'
          ? [() => viaDockerApi(docker, id, 'docker'), () => viaDockerApi(podman, id, 'podman'), () => viaPodmanCli(id)]
          : c.type === 'cri-o'
            ? [() => viaCrio(id), () => viaCrictl(id)]
            : [() => viaCrictl(id), () => viaCrio(id), () => viaDockerApi(docker, id, 'docker')];
    for (const step of order) {
      const m = await step();
      if (m) return m;
    }
    return undefined;
  };
}
