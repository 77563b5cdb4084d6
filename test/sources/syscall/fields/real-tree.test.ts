// Field families against a real process tree: real processes are started (a shell holding a
// file and a TCP connection, and its child), the state is seeded from /proc, and records naming
// those real pids are evaluated as the collector would deliver them.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../../../src/sources/syscall/record/encode.js';
import type { SyscallEvent } from '../../../../src/sources/syscall/syscall-event.js';
import { KT } from '../../../../src/sources/syscall/record/event-table.js';
import { newLiveContext } from '../../../../src/sources/syscall/state/live-context.js';
import { SyscallProcessor } from '../../../../src/sources/syscall/batch-processor.js';
import { containerFromCgroups, parseProcCgroup } from '../../../../src/sources/syscall/state/cgroup.js';
import { ProcFs, bootEpochNs } from '../../../../src/sources/syscall/state/procfs.js';
import { getter } from '../helpers.js';

function stat(pid: number): { ppid: number; comm: string } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = s.lastIndexOf(')');
  return { ppid: Number(s.slice(close + 2).split(' ')[1]), comm: s.slice(s.indexOf('(') + 1, close) };
}

function record(pid: number, type: number, ret: number, params: Record<string, unknown>): Uint8Array {
  const { ppid, comm } = stat(pid);
  return encodeRecord({ type, ts: 1_000n, ret, tid: pid, pid, ppid, uid: process.getuid!(), gid: process.getgid!(), comm, params: params as never });
}

let server: Server;
let port = 0;
let shell: ChildProcess;
let shellPid = 0;
let childPid = 0;
let dir = '';

beforeAll(async () => {
  server = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'kestrel-tree-')));
  // bash holds fd 7 (a file) and fd 8 (a TCP connection) and starts a child that inherits them
  shell = spawn('/bin/bash', ['-c', `exec 7</etc/hostname 8<>/dev/tcp/127.0.0.1/${port}; sleep 300 & echo $!; wait`], {
    cwd: dir,
    env: { PATH: '/usr/bin:/bin', KESTREL_TREE: 'yes' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  shellPid = shell.pid!;
  childPid = await new Promise<number>((resolve) => shell.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  // `$!` is known before the child has exec'd sleep: wait for it
  for (let i = 0; i < 200 && stat(childPid).comm !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
});

afterAll(() => {
  if (childPid) process.kill(childPid, 'SIGKILL');
  shell?.kill('SIGKILL');
  server?.close();
});

function evaluate(procRoot: string, records: Uint8Array[], fields: string[]) {
  const boot = bootEpochNs(procRoot);
  const ctx = newLiveContext({ bootEpochNs: boot, procRoot });
  const procfs = new ProcFs({ root: procRoot, bootEpochNs: boot });
  const n = procfs.scan(ctx.threads);
  const processor = new SyscallProcessor(ctx, { procfs });
  const rows: Record<string, unknown>[] = [];
  const gets = fields.map((f) => [f, getter(f)] as const);
  processor.process(Buffer.concat(records), (e: SyscallEvent) => rows.push(Object.fromEntries(gets.map(([f, g]) => [f, g(e)]))));
  return { rows, n, ctx };
}

describe('fields over a real process tree seeded from /proc', () => {
  it('proc.*: names, command lines, exe paths, cwd, env, parents and ids of real processes', () => {
    const { rows, n } = evaluate('/proc', [record(childPid, KT.OPENAT, 9, { fd: 9, dirfd: -100, name: 'out.txt', flags: 0o101 })], [
      'proc.name', 'proc.pname', 'proc.cmdline', 'proc.pcmdline', 'proc.exe', 'proc.exepath', 'proc.pexepath', 'proc.cwd', 'proc.env[KESTREL_TREE]',
      'proc.pid', 'proc.ppid', 'proc.vpid', 'proc.aname[2]', 'proc.sid', 'proc.duration', 'thread.tid', 'fd.name', 'evt.type',
    ]);
    expect(n).toBeGreaterThan(2);
    const r = rows[0]!;
    expect(r).toMatchObject({
      'proc.name': 'sleep',
      'proc.pname': 'bash',
      'proc.cmdline': 'sleep 300',
      'proc.exe': 'sleep',
      'proc.exepath': realpathSync('/bin/sleep'),
      'proc.cwd': dir + '/',
      'proc.env[KESTREL_TREE]': 'yes',
      'proc.pid': childPid,
      'proc.ppid': shellPid,
      'proc.aname[2]': stat(process.pid).comm,
      'thread.tid': childPid,
      'fd.name': `${dir}/out.txt`,
      'evt.type': 'openat',
    });
    expect(String(r['proc.pcmdline'])).toMatch(/^bash -c exec 7<\/etc\/hostname/);
    expect(r['proc.pexepath']).toBe(realpathSync('/bin/bash'));
    expect(r['proc.duration']).toEqual(expect.any(Number));
  });

  it('fd.*: inherited file and TCP connection of a real process, read from /proc/PID/fd and /proc/net', () => {
    const { rows } = evaluate(
      '/proc',
      [record(childPid, KT.CLOSE, 0, { res: 0, fd: 7 }), record(childPid, KT.CLOSE, 0, { res: 0, fd: 8 })],
      ['fd.name', 'fd.typechar', 'fd.directory', 'fd.sip', 'fd.sport', 'fd.rport', 'fd.rip', 'fd.l4proto', 'fd.connected', 'fd.is_server'],
    );
    expect(rows[0]).toMatchObject({ 'fd.name': '/etc/hostname', 'fd.typechar': 'f', 'fd.directory': '/etc' });
    expect(rows[1]).toMatchObject({ 'fd.typechar': '4', 'fd.sip': '127.0.0.1', 'fd.sport': port, 'fd.rport': port, 'fd.rip': '127.0.0.1', 'fd.l4proto': 'tcp', 'fd.connected': true, 'fd.is_server': false });
    expect(String(rows[1]!['fd.name'])).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}$`));
  });

  it('user.*, group.* and container.* from the process root and cgroup, through a host-proc root elsewhere', () => {
    const hostProc = join(mkdtempSync(join(tmpdir(), 'kestrel-hostproc-')), 'proc');
    symlinkSync('/proc', hostProc);
    const { rows } = evaluate(hostProc, [record(childPid, KT.OPENAT, 9, { fd: 9, dirfd: -100, name: '/etc/hostname', flags: 0 })], [
      'user.uid', 'user.name', 'group.gid', 'container.id', 'proc.name', 'proc.exepath', 'user.homedir',
    ]);
    const me = userInfo();
    const cg = containerFromCgroups(parseProcCgroup(readFileSync(`/proc/${childPid}/cgroup`, 'utf8')));
    expect(rows[0]).toMatchObject({
      'user.uid': me.uid,
      'user.name': me.username,
      'user.homedir': me.homedir,
      'group.gid': process.getgid!(),
      'container.id': cg ? cg.fullId.slice(0, 12) : 'host',
      'proc.name': 'sleep',
    });
  });

  it('a process the table never saw is read from /proc when its first record arrives', () => {
    const boot = bootEpochNs();
    const ctx = newLiveContext({ bootEpochNs: boot });
    const processor = new SyscallProcessor(ctx, { procfs: new ProcFs({ bootEpochNs: boot }) });
    const names: string[] = [];
    const g = getter('proc.pname');
    processor.process(record(childPid, KT.CLOSE, 0, { res: 0, fd: 7 }), (e) => names.push(`${e.proc!.comm}<${String(g(e))}:${e.fd?.name}`));
    // the parent is not known (never scanned): only the process itself was read
    expect(names).toEqual(['sleep<undefined:/etc/hostname']);
    expect(ctx.stats.procLookups).toBe(1);
  });
});
