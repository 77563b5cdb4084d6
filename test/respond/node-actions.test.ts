// The node-local actions on real processes (pidfd kill, its guards) and CRI's StopContainer against
// a real gRPC-over-HTTP/2 server on a unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Http2Server } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pidfdApi } from '../../src/respond/node/pidfd.js';
import { killProcess } from '../../src/respond/node/signal.js';
import { criStopContainer, stopContainerFrame } from '../../src/respond/node/cri.js';

const api = pidfdApi();
const opts = { procRoot: '/proc', protectedNames: ['kestrel-guarded'], ownContainers: [] };

/** The process's start time as proc.pid.ts gives it (ns since the epoch). */
function startNs(pid: number): bigint {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ticks = BigInt(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]!);
  return (api as Exclude<typeof api, Error>).bootEpochNs() + ticks * 10_000_000n;
}

const exited = (c: ChildProcess) => new Promise<NodeJS.Signals | null>((r) => (c.signalCode !== null || c.exitCode !== null ? r(c.signalCode) : c.once('exit', (_code, sig) => r(sig))));

describe.skipIf(api instanceof Error)(`kill through a pidfd${api instanceof Error ? ` (SKIPPED: ${api.message})` : ''}`, () => {
  const children: ChildProcess[] = [];
  const sleeper = (cmd = '/bin/sleep') => {
    const c = spawn(cmd, ['3600'], { stdio: 'ignore' });
    children.push(c);
    return c;
  };
  afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

  it('kills the process the alert named, verified by its start time', async () => {
    const c = sleeper();
    await new Promise((r) => c.once('spawn', r));
    const o = killProcess(opts, c.pid!, startNs(c.pid!), 'SIGTERM');
    expect(o.result).toBe('ok');
    expect(await exited(c)).toBe('SIGTERM');
  });

  it('leaves a process alone whose start time is not the alert\'s (the pid was reused), and says so', async () => {
    const c = sleeper();
    await new Promise((r) => c.once('spawn', r));
    const o = killProcess(opts, c.pid!, startNs(c.pid!) - 5_000_000_000n, 'SIGKILL');
    expect(o).toMatchObject({ result: 'gone' });
    expect(o.detail).toContain('now belongs to another process');
    c.kill('SIGTERM'); // the positive signal: it was alive to receive this
    expect(await exited(c)).toBe('SIGTERM');
  });

  it('a pid that has exited is "gone"; no start time means no kill', async () => {
    const c = sleeper();
    await new Promise((r) => c.once('spawn', r));
    const start = startNs(c.pid!);
    expect(killProcess(opts, c.pid!, undefined, 'SIGKILL')).toMatchObject({ result: 'failed' });
    c.kill('SIGKILL');
    await exited(c);
    expect(killProcess(opts, c.pid!, start, 'SIGKILL')).toMatchObject({ result: 'gone' });
  });

  it('never signals host pid 1, Kestrel itself, or node machinery / protected names', async () => {
    expect(killProcess(opts, 1, startNs(1), 'SIGKILL')).toMatchObject({ result: 'denied', detail: 'not signalling pid 1 of the host' });
    expect(killProcess(opts, process.pid, startNs(process.pid), 'SIGKILL')).toMatchObject({ result: 'denied', detail: 'not signalling Kestrel itself' });
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-guard-'));
    for (const name of ['conmon', 'kestrel-guarded']) {
      copyFileSync('/bin/sleep', join(dir, name));
      chmodSync(join(dir, name), 0o755);
      const c = sleeper(join(dir, name));
      await new Promise((r) => c.once('spawn', r));
      const o = killProcess(opts, c.pid!, startNs(c.pid!), 'SIGKILL');
      expect(o.result, name).toBe('denied');
      expect(o.detail).toContain('node machinery');
    }
  });
});

describe('CRI StopContainer over the runtime socket', () => {
  let server: Http2Server;
  const seen: Buffer[] = [];
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends StopContainerRequest as gRPC and reads grpc-status: 0 ok, 5 gone, others failed', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'kestrel-cri-')), 'cri.sock');
    server = createServer();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push(body);
        const id = body.subarray(7, 7 + body[6]!).toString();
        const code = headers[':path'] !== '/runtime.v1.RuntimeService/StopContainer' ? 12 : id === 'missing' ? 5 : id === 'broken' ? 13 : 0;
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(code), ...(code ? { 'grpc-message': 'runtime%20says%20no' } : {}) }));
        stream.end(code ? undefined : Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    await new Promise<void>((r) => server.listen(socket, r));
    expect(await criStopContainer(socket, 'abc123', 7, 5000)).toMatchObject({ result: 'ok' });
    expect(seen[0]).toEqual(stopContainerFrame('abc123', 7));
    expect([...seen[0]!]).toEqual([0, 0, 0, 0, 10, 0x0a, 6, ...Buffer.from('abc123'), 0x10, 7]);
    expect(await criStopContainer(socket, 'missing', 7, 5000)).toMatchObject({ result: 'gone' });
    expect(await criStopContainer(socket, 'broken', 7, 5000)).toMatchObject({ result: 'failed', detail: 'CRI StopContainer broken: grpc-status 13 runtime says no' });
    expect(await criStopContainer(join(socket, '..', 'nosuch.sock'), 'x', 1, 1000)).toMatchObject({ result: 'failed' });
  });
});
