// The upstream Falco rules (stable + incubating + sandbox, loaded in that order) replayed over
// synthetic captures of attacks: each fires with the output fields that say who did what, and
// near-misses of each stay quiet.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../../src/engine/alert.js';
import type { RuleSet } from '../../../../src/engine/ruleset.js';
import { haveUpstream, UPSTREAM, upstreamRules } from '../helpers.js';
import { replayAlerts, scenarioCapture } from './capture-helpers.js';

if (!haveUpstream) console.warn(`SKIPPED: upstream Falco rules not found at ${UPSTREAM}`);

const BASE = `
proc systemd pid=1 exe=/sbin/init
proc sshd pid=20 parent=1 exe=/usr/sbin/sshd
proc bash pid=200 parent=20 exe=/bin/bash tty=34816 uid=1000 gid=1000 loginuid=1000 cwd=/home/alice
`;

let ruleset: RuleSet;

async function replay(script: string): Promise<Alert[]> {
  const { alerts, error } = await replayAlerts(scenarioCapture(BASE + script), ruleset);
  expect(error).toBeUndefined();
  return alerts;
}

function only(alerts: Alert[], rule: string): Alert {
  const hits = alerts.filter((a) => a.rule === rule);
  expect(hits, `alerts: ${alerts.map((a) => a.rule).join(', ')}`).toHaveLength(1);
  return hits[0]!;
}

describe.skipIf(!haveUpstream)('upstream rules over synthetic captures', () => {
  beforeAll(async () => {
    const loaded = await upstreamRules();
    expect(loaded.errors).toEqual([]);
    ruleset = loaded.ruleset;
  });

  it('read of /etc/shadow by an untrusted process', async () => {
    const alerts = await replay(`
      200 spawn /tmp/reader --dump
      201 openat /etc/shadow O_RDONLY|O_CLOEXEC
    `);
    const a = only(alerts, 'Read sensitive file untrusted');
    expect(a.priority).toBe('Warning');
    expect(a.source).toBe('syscall');
    expect(a.output_fields).toMatchObject({
      'fd.name': '/etc/shadow',
      'proc.name': 'reader',
      'proc.exepath': '/tmp/reader',
      'proc.cmdline': 'reader --dump',
      'proc.pname': 'bash',
      'proc.aname[2]': 'sshd',
      'proc.aname[3]': 'systemd',
      'proc.aname[4]': null,
      'user.name': 'alice',
      'user.uid': 1000,
      'user.loginuid': 1000,
      'proc.tty': 34816,
      'evt.type': 'openat',
    });
    expect(a.output).toContain('file=/etc/shadow');
    expect(a.time).toBe('2023-11-14T22:13:21.000002000Z');
  });

  it('near-misses of the sensitive read: other file, trusted reader, failed open, write-only', async () => {
    const alerts = await replay(`
      200 spawn /tmp/reader
      201 openat /etc/hostname O_RDONLY
      201 openat res=EACCES /etc/shadow O_RDONLY
      20 openat /etc/shadow O_RDONLY
    `);
    expect(alerts.map((a) => a.rule)).toEqual([]);
  });

  it('shell spawned by a process named nginx', async () => {
    const alerts = await replay(`
      proc nginx pid=100 parent=1 exe=/usr/sbin/nginx args="-g daemon off;" uid=33
      100 spawn /bin/sh -c id
    `);
    const a = only(alerts, 'Run shell untrusted');
    expect(a.output_fields).toMatchObject({
      'proc.name': 'sh',
      'proc.cmdline': 'sh -c id',
      'proc.exepath': '/bin/sh',
      'proc.pname': 'nginx',
      'proc.pexe': '/usr/sbin/nginx',
      'proc.pexepath': '/usr/sbin/nginx',
      'proc.pcmdline': 'nginx -g daemon off;',
      'proc.aname[2]': 'systemd',
      'user.name': 'www-data',
      'user.uid': 33,
      'evt.type': 'execve',
      'evt.arg.flags': '0',
    });
  });

  it('near-misses of the shell spawn: a shell from bash, nginx spawning a non-shell', async () => {
    const alerts = await replay(`
      proc nginx pid=100 parent=1 exe=/usr/sbin/nginx uid=33
      200 spawn /bin/sh -c id
      100 spawn /usr/sbin/nginx -s reload
    `);
    expect(alerts.map((a) => a.rule)).toEqual([]);
  });

  it('write below /etc', async () => {
    const alerts = await replay(`
      200 spawn /usr/bin/vi /etc/evil.conf
      201 openat mode=0644 /etc/evil.conf O_WRONLY|O_CREAT|O_TRUNC
    `);
    const a = only(alerts, 'Write below etc');
    expect(a.priority).toBe('Error');
    expect(a.output_fields).toMatchObject({
      'fd.name': '/etc/evil.conf',
      'proc.name': 'vi',
      'proc.cmdline': 'vi /etc/evil.conf',
      'proc.pcmdline': 'bash',
      'user.name': 'alice',
      'evt.type': 'openat',
    });
  });

  it('write below /etc through a relative path is resolved against the cwd', async () => {
    const alerts = await replay(`
      200 spawn /usr/bin/vi
      201 chdir /etc/ssh
      201 openat ../evil.conf O_RDWR
    `);
    expect(only(alerts, 'Write below etc').output_fields['fd.name']).toBe('/etc/evil.conf');
  });

  it('near-misses of the /etc write: read-only open, write elsewhere, a package manager', async () => {
    const alerts = await replay(`
      200 spawn /usr/bin/vi
      201 openat /etc/hosts O_RDONLY
      201 openat /tmp/notes O_WRONLY|O_CREAT
      200 spawn /usr/bin/dpkg -i x.deb
      202 openat /etc/x.conf O_WRONLY|O_CREAT
    `);
    expect(alerts.map((a) => a.rule)).toEqual([]);
  });

  it('netcat-style outbound connect: a shell connecting out, nc launched, ssh to port 4444', async () => {
    const alerts = await replay(`
      200 connect 203.0.113.5:4444
      200 spawn /usr/bin/nc 203.0.113.5 4444
      200 spawn /usr/bin/ssh -p 4444 evil@203.0.113.5
      202 connect 203.0.113.5:4444
    `);
    const net = only(alerts, 'System procs network activity');
    expect(net.output_fields).toMatchObject({
      'fd.name': '10.0.0.2:40000->203.0.113.5:4444',
      'fd.lport': 40000,
      'fd.rport': 4444,
      'fd.type': 'ipv4',
      'fd.l4proto': 'tcp',
      'proc.name': 'bash',
      'evt.type': 'connect',
    });
    expect(only(alerts, 'Launch Suspicious Network Tool on Host').output_fields).toMatchObject({ 'proc.name': 'nc', 'proc.cmdline': 'nc 203.0.113.5 4444', 'proc.pname': 'bash' });
    expect(only(alerts, 'Disallowed SSH Connection Non Standard Port').output_fields).toMatchObject({
      'proc.name': 'ssh',
      'fd.name': '10.0.0.2:40000->203.0.113.5:4444',
      'fd.rport': 4444,
    });
  });

  it('near-misses of the outbound connect: loopback, refused, private network, a non-system program', async () => {
    const alerts = await replay(`
      200 connect 127.0.0.1:4444
      200 connect res=ECONNREFUSED 203.0.113.6:4444
      200 spawn /usr/bin/ssh -p 4444 admin@10.1.2.3
      201 connect 10.1.2.3:4444
      200 spawn /usr/bin/curl https://example.com
      202 connect 93.184.216.34:443
    `);
    expect(alerts.map((a) => a.rule)).toEqual([]);
  });

  it('execution from /dev/shm', async () => {
    const alerts = await replay(`
      200 spawn /dev/shm/payload -x
    `);
    const a = only(alerts, 'Execution from /dev/shm');
    expect(a.output_fields).toMatchObject({
      'proc.name': 'payload',
      'proc.exepath': '/dev/shm/payload',
      'proc.cwd': '/home/alice/',
      'proc.pcmdline': 'bash',
      'evt.res': 'SUCCESS',
      'user.loginname': 'alice',
      'group.gid': 1000,
      'group.name': 'alice',
    });
  });

  it('near-miss of /dev/shm: the same binary from /tmp', async () => {
    expect((await replay('200 spawn /tmp/payload')).map((a) => a.rule)).toEqual([]);
  });

  it('memfd_create execution', async () => {
    const alerts = await replay(`
      200 spawn /usr/bin/loader
      201 memfd_create x
      201 execveat flags=EXE_FROM_MEMFD exepath=/memfd:x argv0=x comm=3 dirfd=3 ""
    `);
    const a = only(alerts, 'Fileless execution via memfd_create');
    expect(a.priority).toBe('Critical');
    expect(a.output_fields).toMatchObject({
      'proc.name': '3',
      'proc.exepath': '/memfd:x',
      'evt.type': 'execveat',
      'evt.res': 'SUCCESS',
      'proc.sname': 'bash',
      'evt.arg.flags': 'EXE_FROM_MEMFD',
    });
  });

  it('near-miss of memfd: a memfd created but an ordinary binary executed', async () => {
    const alerts = await replay(`
      200 spawn /usr/bin/loader
      201 memfd_create x
      201 execve /usr/bin/true
    `);
    expect(alerts.map((a) => a.rule)).toEqual([]);
  });

  it('symlink over /etc/shadow', async () => {
    const alerts = await replay(`
      200 spawn /usr/bin/ln -s /etc/shadow /tmp/shadowlink
      201 symlinkat /etc/shadow /tmp/shadowlink
    `);
    const a = only(alerts, 'Create Symlink Over Sensitive Files');
    expect(a.output_fields).toMatchObject({
      'evt.arg.target': '/etc/shadow',
      'evt.arg.linkpath': '/tmp/shadowlink',
      'evt.type': 'symlinkat',
      'proc.name': 'ln',
      'proc.cmdline': 'ln -s /etc/shadow /tmp/shadowlink',
    });
  });

  it('near-misses of the symlink: another target, a failed symlink', async () => {
    const alerts = await replay(`
      200 spawn /usr/bin/ln
      201 symlinkat /etc/hostname /tmp/hostlink
      201 symlink res=EEXIST /etc/shadow /tmp/shadowlink
    `);
    // Falco's rule has no result check: a failed symlink over /etc/shadow still alerts (as Falco does)
    expect(alerts.map((a) => a.rule)).toEqual(['Create Symlink Over Sensitive Files']);
    expect(alerts[0]!.output_fields['evt.type']).toBe('symlink');
  });
});
