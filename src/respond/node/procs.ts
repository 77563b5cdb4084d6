// Reading processes from /proc for the node-local actions: a process's identity (start time,
// process group, name), the processes of a group or of a container, and whether a process belongs
// to the node's machinery (kubelet, container runtime) that responses must never touch.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

/** libsinsp and procfs use USER_HZ = 100 on every Linux architecture Kestrel runs on. */
const CLK_TCK = 100n;

/**
 * Kubelet and container runtime processes: never signalled, whatever a rule says, wherever they
 * run (kind and k3s nodes run the kubelet inside a container). The host's init is PID 1, refused
 * by number.
 */
export const NODE_MACHINERY = [
  'kubelet', 'containerd', 'containerd-shim', 'containerd-shim-runc-v2', 'dockerd', 'docker-proxy', 'crio', 'conmon', 'conmonrs',
  'runc', 'crun', 'podman', 'cri-dockerd', 'k3s', 'k3s-server', 'k3s-agent',
];

export interface ProcStat {
  comm: string;
  ppid: number;
  pgrp: number;
  /** Start time in clock ticks since boot. */
  startTicks: bigint;
}

/** /proc/PID/stat, or undefined when the process is gone. */
export function readStat(procRoot: string, pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(join(procRoot, String(pid), 'stat'), 'latin1');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: it runs from the first '(' to the last ')'.
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return { comm: text.slice(text.indexOf('(') + 1, close), ppid: Number(rest[1]), pgrp: Number(rest[2]), startTicks: BigInt(rest[19] ?? '0') };
}

/** Whether `stat` is the process that started at `startNs` (epoch ns), within two clock ticks. */
export function sameStart(stat: ProcStat, startNs: bigint, bootEpochNs: bigint): boolean {
  const expected = ((startNs - bootEpochNs) * CLK_TCK) / 1_000_000_000n;
  const diff = stat.startTicks - expected;
  return diff >= -2n && diff <= 2n;
}

/** Why this process must not be signalled, or undefined. */
export function protectedReason(procRoot: string, pid: number, stat: ProcStat, extra: readonly string[]): string | undefined {
  if (pid === 1) return 'pid 1 of the host';
  if (pid === process.pid) return 'Kestrel itself';
  let exe = '';
  try {
    exe = basename(readlinkSync(join(procRoot, String(pid), 'exe')));
  } catch {
    // kernel threads and exited processes have no exe
  }
  for (const name of [stat.comm, exe]) {
    if (name && (NODE_MACHINERY.includes(name) || extra.includes(name))) return `${name} (pid ${pid}) is node machinery (kubelet/container runtime) or listed in protected_processes`;
  }
  return undefined;
}

function pids(procRoot: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync(procRoot)) {
    const c = d.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(d));
  }
  return out;
}

/** The processes whose process group is `pgrp`. */
export function groupMembers(procRoot: string, pgrp: number): number[] {
  return pids(procRoot).filter((p) => readStat(procRoot, p)?.pgrp === pgrp);
}

/** Whether the process is in the container with this full id (its cgroup path names the id). */
export function inContainer(procRoot: string, pid: number, containerId: string): boolean {
  try {
    return readFileSync(join(procRoot, String(pid), 'cgroup'), 'utf8').includes(containerId);
  } catch {
    return false;
  }
}

/** The processes of the container with this full id. */
export function containerMembers(procRoot: string, containerId: string): number[] {
  return pids(procRoot).filter((p) => inContainer(procRoot, p, containerId));
}

/** The full id of the container this process runs in (for "never act on Kestrel's own container"). */
export function ownContainerIds(procRoot: string): string[] {
  try {
    return [...readFileSync(join(procRoot, 'self', 'cgroup'), 'utf8').matchAll(/[0-9a-f]{64}/g)].map((m) => m[0]);
  } catch {
    return [];
  }
}
