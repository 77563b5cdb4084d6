// State tracking: fd tables through open/dup/close/fork/exec, paths resolved with cwd and dirfd,
// process lifecycle, threads, sessions and groups, containers from cgroups, bounded tables.
import { describe, expect, it } from 'vitest';
import { containerFromCgroupPath, containerFromCgroups, parseProcCgroup, recordCgroups } from '../../../src/sources/syscall/state/cgroup.js';
import { ProcessInfo, ThreadInfo } from '../../../src/sources/syscall/state/process.js';
import { ThreadTable } from '../../../src/sources/syscall/state/threads.js';
import { buildScenario } from '../../../src/sources/syscall/scenario/synthetic.js';
import { fieldsAt, processorFor } from './helpers.js';

const TREE = `
proc systemd pid=1 exe=/sbin/init
proc bash pid=100 parent=1 exe=/bin/bash cwd=/home/alice uid=1000
`;

describe('fd table', () => {
  it('tracks open, dup and close; a close still shows the fd it closes; the fd is gone after', () => {
    const rows = fieldsAt(
      TREE +
        `100 openat /etc/passwd O_RDONLY
         100 dup2 3 7
         100 close 3
         100 close 7
         100 close 7`,
      ['evt.type', 'fd.num', 'fd.name', 'fd.typechar'],
    );
    expect(rows).toEqual([
      { 'evt.type': 'openat', 'fd.num': 3, 'fd.name': '/etc/passwd', 'fd.typechar': 'f' },
      { 'evt.type': 'dup2', 'fd.num': 3, 'fd.name': '/etc/passwd', 'fd.typechar': 'f' },
      { 'evt.type': 'close', 'fd.num': 3, 'fd.name': '/etc/passwd', 'fd.typechar': 'f' },
      { 'evt.type': 'close', 'fd.num': 7, 'fd.name': '/etc/passwd', 'fd.typechar': 'f' },
      { 'evt.type': 'close', 'fd.num': 7, 'fd.name': undefined, 'fd.typechar': undefined },
    ]);
  });

  it('children inherit fds; exec closes close-on-exec ones', () => {
    const s = buildScenario(
      TREE +
        `100 openat /var/log/app.log O_WRONLY|O_APPEND
         100 openat /etc/secret O_RDONLY|O_CLOEXEC
         100 spawn /usr/bin/cat
         101 close 3
         101 close 4`,
    );
    const { processor, ctx } = processorFor(s);
    const names: (string | undefined)[] = [];
    processor.process(s.records, (e) => {
      if (e.spec.name === 'close') names.push(e.fd?.name);
    });
    expect(names).toEqual(['/var/log/app.log', undefined]);
    expect(ctx.stats.fdMisses).toBe(1);
    // the parent still has both
    expect([...ctx.threads.process(100)!.fds.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('resolves relative paths against the cwd (after chdir) and against a dirfd', () => {
    const rows = fieldsAt(
      TREE +
        `100 openat notes.txt O_RDONLY
         100 chdir ../../etc
         100 openat ./ssh/../shadow O_RDONLY
         100 openat /etc/ssh O_RDONLY|O_DIRECTORY
         100 openat dirfd=5 sshd_config O_RDONLY`,
      ['fd.name', 'fd.nameraw', 'fd.directory', 'fd.filename', 'fd.type', 'proc.cwd'],
    );
    expect(rows.map((r) => r['fd.name'])).toEqual(['/home/alice/notes.txt', undefined, '/etc/shadow', '/etc/ssh', '/etc/ssh/sshd_config']);
    expect(rows[2]).toMatchObject({ 'fd.nameraw': './ssh/../shadow', 'fd.directory': '/etc', 'fd.filename': 'shadow', 'proc.cwd': '/etc/' });
    // as libsinsp: a directory fd is its own fd.directory and has no fd.filename
    expect(rows[3]).toMatchObject({ 'fd.type': 'directory', 'fd.directory': '/etc/ssh', 'fd.filename': undefined });
    expect(rows[4]!['fd.type']).toBe('file');
  });

  it('an O_TMPFILE open is a directory fd, as libsinsp types it (no fd.typechar f: not a write below /)', () => {
    const [r] = fieldsAt(TREE + '100 openat /tmp O_RDWR|O_TMPFILE', ['fd.type', 'fd.typechar', 'fd.directory', 'fd.name', 'evt.is_open_write']);
    expect(r).toEqual({ 'fd.type': 'directory', 'fd.typechar': 'd', 'fd.directory': '/tmp', 'fd.name': '/tmp', 'evt.is_open_write': true });
  });

  it('a failed open has fd.num -1 and still names the file', () => {
    const [r] = fieldsAt(TREE + '100 openat res=ENOENT /nope O_RDONLY', ['fd.num', 'fd.name', 'fd.typechar', 'fd.directory', 'evt.res', 'evt.rawres']);
    expect(r).toEqual({ 'fd.num': -1, 'fd.name': '/nope', 'fd.typechar': 'f', 'fd.directory': '/', 'evt.res': 'ENOENT', 'evt.rawres': -2 });
  });

  it('sockets: connect sets the tuple; UDP sends to new peers change the name (fd.name_changed)', () => {
    const rows = fieldsAt(
      TREE +
        `100 connect 1.2.3.4:80
         100 socket AF_INET SOCK_DGRAM
         100 sendto fd=4 from=10.0.0.2:5353 8.8.8.8:53
         100 sendto fd=4 from=10.0.0.2:5353 8.8.8.8:53
         100 sendto fd=4 from=10.0.0.2:5353 1.1.1.1:53`,
      ['evt.type', 'fd.name', 'fd.name_changed', 'fd.l4proto', 'fd.connected'],
    );
    expect(rows.map((r) => [r['evt.type'], r['fd.name'], r['fd.name_changed'], r['fd.l4proto']])).toEqual([
      ['socket', '', false, 'tcp'],
      ['connect', '10.0.0.2:40000->1.2.3.4:80', true, 'tcp'],
      ['socket', '', false, 'udp'],
      ['sendto', '10.0.0.2:5353->8.8.8.8:53', true, 'udp'],
      ['sendto', '10.0.0.2:5353->8.8.8.8:53', false, 'udp'],
      ['sendto', '10.0.0.2:5353->1.1.1.1:53', true, 'udp'],
    ]);
    expect(rows[5]!['fd.connected']).toBe(false);
  });

  it('a netlink socket has no l4 protocol, also after connect (only an IP socket seen first at connect is taken as tcp)', () => {
    const rows = fieldsAt(
      TREE +
        `100 socket fd=7 AF_NETLINK SOCK_RAW
         100 raw connect fd=7 tuple=AF_NETLINK addr=AF_NETLINK
         100 raw connect fd=9 tuple=10.0.0.2:40000->1.2.3.4:80`,
      ['evt.type', 'fd.num', 'fd.type', 'fd.l4proto'],
    );
    expect(rows.map((r) => [r['evt.type'], r['fd.num'], r['fd.type'], r['fd.l4proto']])).toEqual([
      ['socket', 7, 'netlink', '<NA>'],
      ['connect', 7, 'netlink', '<NA>'],
      ['connect', 9, 'ipv4', 'tcp'],
    ]);
  });

  it('accept makes a server-side socket: local is the server end', () => {
    const [r] = fieldsAt(TREE + '100 accept local=10.0.0.2:8080 198.51.100.7:51000', ['fd.cip', 'fd.sip', 'fd.lip', 'fd.rip', 'fd.lport', 'fd.rport', 'fd.is_server', 'fd.name']);
    expect(r).toEqual({
      'fd.cip': '198.51.100.7',
      'fd.sip': '10.0.0.2',
      'fd.lip': '10.0.0.2',
      'fd.rip': '198.51.100.7',
      'fd.lport': 8080,
      'fd.rport': 51000,
      'fd.is_server': true,
      'fd.name': '198.51.100.7:51000->10.0.0.2:8080',
    });
  });
});

describe('processes', () => {
  it('follows fork, exec and exit: names, parents and removal', () => {
    const s = buildScenario(
      TREE +
        `100 spawn /usr/bin/python3 app.py
         101 spawn /bin/sh -c ls
         102 exit 0
         101 exit 0`,
    );
    const { processor, ctx } = processorFor(s);
    const seen: string[] = [];
    processor.process(s.records, (e) => seen.push(`${e.spec.name}:${e.proc!.comm}<${ctx.threads.parent(e.proc!)?.comm}`));
    expect(seen).toEqual(['clone:bash<systemd', 'execve:python3<bash', 'clone:python3<bash', 'execve:sh<python3', 'procexit:sh<python3', 'procexit:python3<bash']);
    expect(ctx.threads.thread(101)).toBeUndefined();
    expect(ctx.threads.thread(102)).toBeUndefined();
    expect(ctx.threads.process(100)!.comm).toBe('bash');
  });

  it('threads share their process; a thread exit keeps the process', () => {
    const s = buildScenario(
      TREE +
        `100 raw clone ret=105 res=105 tid=105 pid=100 ptid=100 flags=CLONE_THREAD vtid=105 vpid=100
         100 openat /tmp/a O_RDONLY`,
    );
    const { processor, ctx } = processorFor(s);
    processor.process(s.records, () => {});
    const t = ctx.threads.thread(105)!;
    expect(t.proc).toBe(ctx.threads.process(100));
    expect(t.proc.threads).toBe(2);
    ctx.threads.removeThread(105);
    expect(ctx.threads.process(100)).toBeDefined();
  });

  it('a process first seen in a record is created from the header and counted', () => {
    const s = buildScenario('777 openat comm=mystery /tmp/x O_RDONLY');
    const { processor, ctx } = processorFor(s);
    const names: string[] = [];
    processor.process(s.records, (e) => names.push(e.proc!.comm));
    expect(names).toEqual(['mystery']);
    expect(ctx.stats.threadsFromRecords).toBe(1);
    expect(ctx.threads.process(777)!.partial).toBe(true);
  });

  it('follows a thread renaming itself (prctl PR_SET_NAME): the record header\'s comm, back and forth', () => {
    const rows = fieldsAt(
      TREE +
        `100 openat /a O_RDONLY
         100 openat comm=worker-1 /b O_RDONLY
         100 openat comm=worker-1 /c O_RDONLY
         100 openat comm=worker-10 /d O_RDONLY
         100 openat /e O_RDONLY
         100 openat comm=bash /f O_RDONLY`,
      ['proc.name', 'fd.name'],
    );
    expect(rows.map((r) => `${r['proc.name']} ${r['fd.name']}`)).toEqual(['bash /a', 'worker-1 /b', 'worker-1 /c', 'worker-10 /d', 'bash /e', 'bash /f']);
  });

  it('tracks sessions and process groups (setsid, setpgid)', () => {
    const rows = fieldsAt(
      TREE +
        `100 spawn /usr/bin/daemon
         101 raw setsid ret=101 res=101
         101 spawn /usr/bin/worker
         102 raw setpgid ret=0 res=0 pid=0 pgid=0
         102 openat /tmp/x O_RDONLY`,
      ['proc.sid', 'proc.sname', 'proc.is_sid_leader', 'proc.vpgid', 'proc.vpgid.name', 'proc.is_vpgid_leader'],
    );
    expect(rows[rows.length - 1]).toEqual({
      'proc.sid': 101,
      'proc.sname': 'daemon',
      'proc.is_sid_leader': false,
      'proc.vpgid': 102,
      'proc.vpgid.name': 'worker',
      'proc.is_vpgid_leader': true,
    });
  });

  it('bounds the table: beyond the limit the least recently seen threads go, and are counted', () => {
    const t = new ThreadTable({ maxThreads: 100 });
    for (let pid = 1; pid <= 150; pid++) {
      const p = new ProcessInfo(pid);
      t.addProcess(p);
      const th = new ThreadInfo(pid, p);
      th.lastSeen = pid;
      t.addThread(th);
    }
    expect(t.size).toBeLessThanOrEqual(100);
    expect(t.evicted).toBeGreaterThanOrEqual(50);
    expect(t.thread(150)).toBeDefined();
    expect(t.thread(1)).toBeUndefined();
  });

  it('evicts threads the liveness probe says are gone before live ones', () => {
    const t = new ThreadTable({ maxThreads: 10 });
    t.isAlive = (tid) => tid % 2 === 0;
    for (let pid = 1; pid <= 11; pid++) {
      const p = new ProcessInfo(pid);
      t.addProcess(p);
      const th = new ThreadInfo(pid, p);
      th.lastSeen = 100 - pid; // the odd (dead) ones are the most recent
      t.addThread(th);
    }
    // 11 > 10: room is made down to 9, from the dead (odd) ones although they were seen last
    for (const tid of [2, 4, 6, 8, 10]) expect(t.thread(tid)).toBeDefined();
    expect(t.size).toBe(9);
    expect(t.evicted).toBe(2);
  });
});

describe('containers from cgroups', () => {
  const id = 'a'.repeat(52) + '0123456789ab';
  it.each([
    [`/system.slice/docker-${id}.scope`, 'docker'],
    [`/docker/${id}`, 'docker'],
    [`/machine.slice/libpod-${id}.scope/container`, 'podman'],
    [`/libpod_parent/libpod-${id}`, 'podman'],
    [`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-${id}.scope`, 'containerd'],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podab_cd.slice/crio-${id}.scope`, 'cri-o'],
    [`/kubepods/besteffort/pod0f2e6b0c-1111-2222-3333-444455556666/${id}`, 'cri'],
  ])('%s -> %s', (path, type) => {
    expect(containerFromCgroupPath(path)).toEqual({ fullId: id, type });
  });

  it('is the host for host cgroups and runtime helpers (conmon)', () => {
    expect(containerFromCgroupPath('/user.slice/user-1000.slice/session-2.scope')).toBeUndefined();
    expect(containerFromCgroupPath(`/machine.slice/libpod-conmon-${id}.scope`)).toBeUndefined();
    expect(containerFromCgroupPath('/')).toBeUndefined();
  });

  it('reads /proc/PID/cgroup as libscap does: one entry per v1 controller, named hierarchies left out, the v2 line only on a v2-only host', () => {
    const hybrid = parseProcCgroup(`12:memory:/docker/${id}\n4:cpu,cpuacct:/docker/${id}\n1:name=systemd:/system.slice/x\n0::/system.slice/docker-${id}.scope\n`);
    expect(hybrid).toEqual([`memory=/docker/${id}`, `cpu=/docker/${id}`, `cpuacct=/docker/${id}`]);
    expect(containerFromCgroups(hybrid)?.fullId).toBe(id);
    const v2 = parseProcCgroup(`0::/system.slice/docker-${id}.scope\n`);
    expect(v2).toEqual(['cpu', 'memory', 'cpuset'].map((c) => `${c}=/system.slice/docker-${id}.scope`));
    expect(containerFromCgroups(v2)?.fullId).toBe(id);
  });

  it("a record's cgroups param as per-controller entries, names as libsinsp keeps them", () => {
    expect(recordCgroups(['unified=/a'])).toEqual(['cpu=/a', 'memory=/a', 'cpuset=/a']);
    expect(recordCgroups(['perf=/b', 'mem=/c', 'io=/d', 'cpuset_cgroup=/e'])).toEqual(['perf_event=/b', 'memory=/c', 'blkio=/d', 'cpuset=/e']);
  });

  it('an exec carrying a container cgroup moves the process into the container', () => {
    const rows = fieldsAt(
      TREE +
        `container web image=docker.io/library/nginx:1.25 name=web
         100 spawn /usr/bin/runc
         101 raw execve ret=0 res=0 exe=nginx args=nginx tid=101 pid=101 ptid=100 comm=nginx cgroups=unified=/system.slice/docker-${'7765620000000000000000000000000000000000000000000000000000000000'}.scope trusted_exepath=/usr/sbin/nginx
         101 openat /etc/nginx/nginx.conf O_RDONLY`,
      ['container.id', 'proc.name'],
    );
    expect(rows.map((r) => r['container.id'])).toEqual(['host', 'host', '776562000000', '776562000000']);
  });
});
