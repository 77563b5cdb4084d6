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

/** `/proc/PID/cgroup` text as `subsys=path` entries (v2's unified hierarchy as `unified`). */
export function parseProcCgroup(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const c1 = line.indexOf(':');
    const c2 = line.indexOf(':', c1 + 1);
    if (c1 < 0 || c2 < 0) continue;
    const ctrl = line.slice(c1 + 1, c2) || 'unified';
    out.push(`${ctrl}=${line.slice(c2 + 1)}`);
  }
  return out;
}
