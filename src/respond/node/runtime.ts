// Stopping or pausing a container through its runtime: podman through its CLI (what the syscall
// source's container metadata comes from as well), CRI runtimes (containerd, CRI-O) through the
// CRI socket's StopContainer (CRI has no pause).
import { execFile } from 'node:child_process';
import { failed, gone, ok, type Outcome } from '../outcome.js';
import { criStopContainer } from './cri.js';

export interface RuntimeOptions {
  podmanPath: string;
  criSocket: string;
  criTimeoutMs: number;
}

function podman(path: string, args: string[], timeoutMs: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(path, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stderr: stderr || (err ? err.message : '') });
    });
  });
}

const NO_SUCH = /no such container|no container with/i;

export async function stopContainer(o: RuntimeOptions, id: string, type: string | undefined, timeoutSeconds: number): Promise<Outcome> {
  if (type === 'podman') {
    const r = await podman(o.podmanPath, ['stop', '--time', String(timeoutSeconds), id], (timeoutSeconds + 30) * 1000);
    if (r.code === 0) return ok(`podman stop ${id.slice(0, 12)}`);
    if (NO_SUCH.test(r.stderr)) return gone(`container ${id.slice(0, 12)} no longer exists`);
    return failed(`podman stop ${id.slice(0, 12)} failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  if (o.criSocket) return criStopContainer(o.criSocket, id, timeoutSeconds, o.criTimeoutMs + timeoutSeconds * 1000);
  return failed(`cannot stop a ${type ?? 'unknown'} container: no CRI socket configured (cri.socket) and it is not a podman container`);
}

export async function pauseContainer(o: RuntimeOptions, id: string, type: string | undefined): Promise<Outcome> {
  if (type !== 'podman') return failed(`cannot pause a ${type ?? 'unknown'} container: CRI has no pause call; use stop_container or kill_container`);
  const r = await podman(o.podmanPath, ['pause', id], 30_000);
  if (r.code === 0) return ok(`podman pause ${id.slice(0, 12)}`);
  if (NO_SUCH.test(r.stderr)) return gone(`container ${id.slice(0, 12)} no longer exists`);
  if (/already paused/i.test(r.stderr)) return ok(`container ${id.slice(0, 12)} was already paused`);
  return failed(`podman pause ${id.slice(0, 12)} failed: ${r.stderr.trim().split('\n').pop()}`);
}
