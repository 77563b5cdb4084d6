// podman as the live response tests drive it (the machine's settings: cgroupfs, runc, low ulimits).
import { spawnSync } from 'node:child_process';

export const PODMAN = ['--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];

export function podman(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('podman', [...PODMAN, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

/** Starts `script` under /bin/sh in a detached container without network; throws when podman refuses. */
export function runShellContainer(image: string, name: string, script: string): void {
  const r = podman('run', '-d', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--name', name, image, '/bin/sh', '-c', script);
  if (r.status !== 0) throw new Error(`podman run failed: ${r.stderr}`);
}
