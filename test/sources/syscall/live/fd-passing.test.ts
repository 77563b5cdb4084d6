// Live eBPF: an fd passed over a unix socket (SCM_RIGHTS in recvmsg's control data) becomes an
// fd of the receiver with its name, as libsinsp's recvmsg ancillary-data parsing makes it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLiveLock, liveSkipReason, skipNote } from './helpers.js';
import { runProcess, startLiveAgent, type LiveAgent } from './agent-harness.js';

const python = spawnSync('python3', ['-c', 'import socket; socket.send_fds']).status === 0;
const reason = liveSkipReason() ?? (python ? undefined : 'python3 (3.9+, socket.send_fds) is not installed');

const RULES = `
- rule: Kestrel test recvmsg
  desc: the workload's recvmsg calls (makes the collector report recvmsg)
  condition: evt.type = recvmsg and proc.cmdline contains kestrel-scm
  output: recvmsg (fd=%fd.num res=%evt.res)
  priority: DEBUG
- rule: Kestrel test passed fd closed
  desc: the workload closes a file fd
  condition: evt.type = close and proc.cmdline contains kestrel-scm and fd.typechar = f
  output: closed (fd=%fd.num name=%fd.name pid=%proc.pid)
  priority: NOTICE
`;

// open /etc/hostname as A, pass A to ourselves over a socketpair, receive it as B, close B then A
const WORKLOAD = String.raw`
import os, socket, sys, time
a = os.open('/etc/hostname', os.O_RDONLY)
s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
socket.send_fds(s1, [b'x'], [a])
msg, fds, flags, addr = socket.recv_fds(s2, 16, 4)
b = fds[0]
print(a, b, flush=True)
time.sleep(0.3)
os.close(b)
os.close(a)
`;

describe.skipIf(!!reason)(`live eBPF: fds passed with SCM_RIGHTS${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  let live: LiveAgent;

  beforeAll(async () => {
    release = await acquireLiveLock();
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-scm-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    live = await startLiveAgent([join(dir, 'rules.yaml')]);
  }, 900_000);
  afterAll(async () => {
    await live?.stop();
    await release?.();
  });

  it('the received fd has the passed file\'s name: closing it alerts with fd.name /etc/hostname', async () => {
    const { stdout, code, pid } = await runProcess('python3', ['-c', WORKLOAD, 'kestrel-scm']);
    expect(code).toBe(0);
    const [a, b] = stdout.trim().split(/\s+/).map(Number) as [number, number];
    expect(b).not.toBe(a);
    // the last closes of this run: the interpreter closed other files under these numbers before
    const closeOf = (n: number) => (x: { rule: string; output_fields: Record<string, unknown> }) =>
      x.rule === 'Kestrel test passed fd closed' && x.output_fields['proc.pid'] === pid && x.output_fields['fd.num'] === n && x.output_fields['fd.name'] === '/etc/hostname';
    await live.alert('close of the received fd, named', closeOf(b));
    // the original is closed after it, with the same name: both were tracked
    await live.alert('close of the original fd, named', closeOf(a));
  });
});
