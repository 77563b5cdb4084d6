// Container identity from a cgroup path, for the runtimes libsinsp recognizes.

export interface CgroupContainer {
  /** 64-hex full id. */
  fullId: string;
  /** Runtime as Falco names it in container.type. */
  type: 'docker' | 'podman' | 'containerd' | 'cri-o' | 'cri';
}

const HEX64 = '([0-9a-f]{64})';
const PATTERNS: [RegExp, CgroupContainer['type']][] = [
  // systemd-managed scopes
  [new RegExp(`/docker-${HEX64}\\.scope(?:/|$)`), 'docker'],
  [new RegExp(`/libpod-(?!conmon-)${HEX64}\\.scope(?:/|$)`), 'podman'],
  [new RegExp(`/cri-containerd-${HEX64}\\.scope(?:/|$)`), 'containerd'],
  [new RegExp(`/crio-(?!conmon-)${HEX64}\\.scope(?:/|$)`), 'cri-o'],
  // cgroupfs layouts
  [new RegExp(`/libpod_parent/libpod-${HEX64}(?:/|$)`), 'podman'],
  [new RegExp(`/docker/${HEX64}(?:/|$)`), 'docker'],
  [new RegExp(`/kubepods[^/]*/(?:[^/]+/)*?(?:pod[0-9a-f_-]+/)${HEX64}(?:/|$)`), 'cri'],
  [new RegExp(`/crio/${HEX64}(?:/|$)`), 'cri-o'],
  [new RegExp(`/containerd/${HEX64}(?:/|$)`), 'containerd'],
];

/** The container a cgroup path belongs to, or undefined for host cgroups (and runtime helpers such as conmon). */
export function containerFromCgroupPath(path: string): CgroupContainer | undefined {
  for (const [re, type] of PATTERNS) {
    const m = re.exec(path);
    if (m) return { fullId: m[1]!, type };
  }
  return undefined;
}

/**
 * The container of a process from its cgroup entries (`/proc/PID/cgroup` lines `N:ctrl:path`, or
 * the record's `subsys=path` list): the first entry that names one.
 */
export function containerFromCgroups(entries: readonly string[]): CgroupContainer | undefined {
  for (const e of entries) {
    const path = cgroupEntryPath(e);
    if (path === undefined) continue;
    const c = containerFromCgroupPath(path);
    if (c) return c;
  }
  return undefined;
}

/** The path part of `N:ctrl:/path` or `subsys=/path`. */
export function cgroupEntryPath(e: string): string | undefined {
  const eq = e.indexOf('=');
  if (eq >= 0 && e[eq + 1] === '/') return e.slice(eq + 1);
  const c1 = e.indexOf(':');
  if (c1 < 0) return e.startsWith('/') ? e : undefined;
  const c2 = e.indexOf(':', c1 + 1);
  return c2 < 0 ? undefined : e.slice(c2 + 1);
}

/**
 * A controller name as libsinsp's sinsp_threadinfo::set_cgroups keeps it: `_cgroup` suffixes
 * dropped, `perf` -> `perf_event`, `mem` -> `memory`, `io` -> `blkio`.
 */
export function controllerName(name: string): string {
  const n = name.replace('_cgroup', '');
  return n === 'perf' ? 'perf_event' : n === 'mem' ? 'memory' : n === 'io' ? 'blkio' : n;
}

/** The controllers libscap lists for a cgroup v2 process (the ones its container engines use). */
const V2_CONTROLLERS = ['cpu', 'memory', 'cpuset'];

/**
 * `/proc/PID/cgroup` text as per-controller `subsys=path` entries, as libscap reads it: one entry
 * per controller of a v1 hierarchy (`4:cpu,cpuacct:/x` -> `cpu=/x`, `cpuacct=/x`), named
 * hierarchies (`name=systemd`) left out; the v2 line (`0::/x`) as `cpu`, `memory` and `cpuset`
 * entries on a v2-only host, left out on a hybrid one.
 */
export function parseProcCgroup(text: string): string[] {
  const out: string[] = [];
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const c1 = line.indexOf(':');
    const c2 = line.indexOf(':', c1 + 1);
    if (c1 < 0 || c2 < 0) continue;
    const ctrls = line.slice(c1 + 1, c2);
    const path = line.slice(c2 + 1);
    if (ctrls === '') {
      if (line.slice(0, c1) === '0') v2 = path;
      continue;
    }
    for (const c of ctrls.split(',')) if (c && !c.startsWith('name=')) out.push(`${controllerName(c)}=${path}`);
  }
  if (v2 !== undefined && out.length === 0) for (const c of V2_CONTROLLERS) out.push(`${c}=${v2}`);
  return out;
}

/**
 * A record's cgroups param as per-controller entries: the collector writes one entry, the v2
 * hierarchy as `unified=/x` (listed as libscap lists v2: `cpu`, `memory`, `cpuset`) or, on a v1
 * host, the first controller not at its root. Names are normalised as libsinsp does.
 */
export function recordCgroups(entries: readonly string[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const name = e.slice(0, eq);
    const path = e.slice(eq + 1);
    if (name === 'unified') for (const c of V2_CONTROLLERS) out.push(`${c}=${path}`);
    else out.push(`${controllerName(name)}=${path}`);
  }
  return out;
}
