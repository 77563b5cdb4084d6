// Field families over synthetic records: evt.*, proc.*/thread.*, fd.*, user.*/group.*,
// container.*/k8s.*, fs.path.*, with Falco's names, types and renderings.
import { describe, expect, it } from 'vitest';
import { lastFields } from '../helpers.js';

const TREE = `
user 0 root home=/root shell=/bin/bash
user 1000 alice home=/home/alice shell=/bin/zsh
user 65534 nobody home=/nonexistent shell=/usr/sbin/nologin
group 0 root
group 1000 staff
proc systemd pid=1 exe=/sbin/init
proc sshd pid=20 parent=1 exe=/usr/sbin/sshd args=-D
proc bash pid=100 parent=20 exe=/bin/bash cwd=/home/alice uid=1000 gid=1000 loginuid=1000 tty=34817 env=HOME=/home/alice,LD_PRELOAD=/tmp/x.so start=0
`;

describe('evt.*', () => {
  it('type, dir, num, res, rawres, failed, time, hostname, source', () => {
    const f = lastFields(TREE + '100 openat /etc/hosts O_RDONLY\n100 openat res=EACCES /etc/shadow O_RDONLY', [
      'evt.type',
      'evt.dir',
      'evt.num',
      'evt.res',
      'evt.rawres',
      'evt.failed',
      'evt.rawtime',
      'evt.time.iso8601',
      'evt.hostname',
      'evt.source',
      'evt.category',
      'evt.type.is.openat',
    ]);
    expect(f).toEqual({
      'evt.type': 'openat',
      'evt.dir': '<',
      'evt.num': 2,
      'evt.res': 'EACCES',
      'evt.rawres': -13,
      'evt.failed': true,
      'evt.rawtime': 1_700_000_001_000_001_000n,
      'evt.time.iso8601': '2023-11-14T22:13:21.000001000Z',
      'evt.hostname': 'kestrel-test',
      'evt.source': 'syscall',
      'evt.category': 'file',
      'evt.type.is.openat': 1,
    });
  });

  it('evt.arg by name and by index, rendered as Falco renders them; evt.rawarg raw; evt.args all', () => {
    const f = lastFields(TREE + '100 openat mode=0640 /etc/shadow O_RDONLY|O_CLOEXEC', [
      'evt.arg.flags',
      'evt.arg[3]',
      'evt.arg.name',
      'evt.arg.dirfd',
      'evt.arg.fd',
      'evt.arg.mode',
      'evt.rawarg.flags',
      'evt.rawarg.fd',
      'evt.arg.nosuch',
      'evt.args',
    ]);
    expect(f).toEqual({
      'evt.arg.flags': 'O_RDONLY|O_CLOEXEC',
      'evt.arg[3]': 'O_RDONLY|O_CLOEXEC',
      'evt.arg.name': '/etc/shadow',
      'evt.arg.dirfd': 'AT_FDCWD',
      'evt.arg.fd': '<f>/etc/shadow',
      'evt.arg.mode': '0640',
      'evt.rawarg.flags': 0o2000000,
      'evt.rawarg.fd': 3,
      'evt.arg.nosuch': undefined,
      'evt.args': 'fd=3(<f>/etc/shadow) dirfd=-100(AT_FDCWD) name=/etc/shadow flags=80000(O_RDONLY|O_CLOEXEC) mode=0640 dev=803 ino=1234',
    });
  });

  it('renders flag and enum arguments by name: write/create flags, chmod modes, socket domains, ptrace, setuid user', () => {
    expect(lastFields(TREE + '100 openat /tmp/x O_WRONLY|O_CREAT|O_TRUNC', ['evt.arg.flags'])).toEqual({ 'evt.arg.flags': 'O_TRUNC|O_CREAT|O_WRONLY' });
    expect(lastFields(TREE + '100 openat /tmp/x O_RDWR|O_APPEND', ['evt.arg.flags'])).toEqual({ 'evt.arg.flags': 'O_APPEND|O_RDWR' });
    expect(lastFields(TREE + '100 chmod /tmp/x S_ISUID|0755', ['evt.arg.mode', 'evt.arg.filename'])).toEqual({
      'evt.arg.mode': 'S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID',
      'evt.arg.filename': '/tmp/x',
    });
    expect(lastFields(TREE + '100 socket AF_PACKET SOCK_RAW', ['evt.arg.domain'])).toEqual({ 'evt.arg.domain': 'AF_PACKET' });
    expect(lastFields(TREE + '100 ptrace PTRACE_ATTACH 20', ['evt.arg.request', 'evt.arg.pid'])).toEqual({ 'evt.arg.request': 'PTRACE_ATTACH', 'evt.arg.pid': 'sshd' });
    expect(lastFields(TREE + '100 setuid 65534', ['evt.arg.uid', 'evt.rawarg.uid'])).toEqual({ 'evt.arg.uid': 'nobody', 'evt.rawarg.uid': 65534 });
    expect(lastFields(TREE + '100 raw unshare ret=0 res=0 flags=CLONE_NEWUSER|CLONE_NEWNS', ['evt.arg.flags', 'evt.res'])).toEqual({
      'evt.arg.flags': 'CLONE_NEWNS|CLONE_NEWUSER',
      'evt.res': 'SUCCESS',
    });
  });

  it('is_open_read/write/exec/create follow the open flags and mode', () => {
    const fields = ['evt.is_open_read', 'evt.is_open_write', 'evt.is_open_exec', 'evt.is_open_create'];
    expect(lastFields(TREE + '100 openat /x O_RDONLY', fields)).toEqual({ 'evt.is_open_read': true, 'evt.is_open_write': false, 'evt.is_open_exec': false, 'evt.is_open_create': false });
    expect(lastFields(TREE + '100 openat /x O_RDWR', fields)).toEqual({ 'evt.is_open_read': true, 'evt.is_open_write': true, 'evt.is_open_exec': false, 'evt.is_open_create': false });
    expect(lastFields(TREE + '100 openat mode=0755 /x O_WRONLY|O_CREAT', fields)).toEqual({ 'evt.is_open_read': false, 'evt.is_open_write': true, 'evt.is_open_exec': true, 'evt.is_open_create': true });
    expect(lastFields(TREE + '100 close 1', fields)).toEqual({ 'evt.is_open_read': false, 'evt.is_open_write': false, 'evt.is_open_exec': false, 'evt.is_open_create': false });
  });

  it('evt.buffer and evt.buflen carry the data of send/recv calls', () => {
    const f = lastFields(TREE + '100 sendto data=cafebabe 8.8.8.8:53', ['evt.buffer', 'evt.buflen', 'evt.is_io_write', 'evt.io_dir']);
    expect(Buffer.from(f['evt.buffer'] as Uint8Array).toString()).toBe('cafebabe');
    expect(f).toMatchObject({ 'evt.buflen': 8, 'evt.is_io_write': true, 'evt.io_dir': 'w' });
  });
});

describe('proc.* and thread.*', () => {
  const SCRIPT = TREE + '100 spawn /usr/bin/python3 -m http.server 8000\n101 spawn argv0=worker comm=worker /opt/app/worker --fast\n102 openat /tmp/x O_RDONLY';
  it('names, command lines, executables and ids of the process and its ancestors', () => {
    const f = lastFields(SCRIPT, [
      'proc.name', 'proc.exe', 'proc.exepath', 'proc.args', 'proc.cmdline', 'proc.exeline', 'proc.cmdnargs', 'proc.cmdlenargs',
      'proc.pname', 'proc.pexe', 'proc.pexepath', 'proc.pcmdline', 'proc.aname[2]', 'proc.aname[3]', 'proc.aname[4]', 'proc.aname[9]',
      'proc.aexe[2]', 'proc.aexepath[3]', 'proc.acmdline[1]', 'proc.apid[2]', 'proc.aname', 'proc.pid', 'proc.ppid', 'proc.vpid', 'thread.tid', 'thread.vtid', 'thread.ismain',
    ]);
    expect(f).toEqual({
      'proc.name': 'worker',
      'proc.exe': 'worker',
      'proc.exepath': '/opt/app/worker',
      'proc.args': '--fast',
      'proc.cmdline': 'worker --fast',
      'proc.exeline': 'worker --fast',
      'proc.cmdnargs': 1,
      'proc.cmdlenargs': 6,
      'proc.pname': 'python3',
      'proc.pexe': '/usr/bin/python3',
      'proc.pexepath': '/usr/bin/python3',
      'proc.pcmdline': 'python3 -m http.server 8000',
      'proc.aname[2]': 'bash',
      'proc.aname[3]': 'sshd',
      'proc.aname[4]': 'systemd',
      'proc.aname[9]': undefined,
      'proc.aexe[2]': '/bin/bash',
      'proc.aexepath[3]': '/usr/sbin/sshd',
      'proc.acmdline[1]': 'python3 -m http.server 8000',
      'proc.apid[2]': 100,
      'proc.aname': ['python3', 'bash', 'sshd', 'systemd'],
      'proc.pid': 102,
      'proc.ppid': 101,
      'proc.vpid': 102,
      'thread.tid': 102,
      'thread.vtid': 102,
      'thread.ismain': true,
    });
  });

  it('cwd, env, tty, session, login shell, capabilities, duration, exe flags', () => {
    const f = lastFields(SCRIPT, [
      'proc.cwd', 'proc.env', 'proc.env[LD_PRELOAD]', 'proc.env[NOPE]', 'proc.aenv[LD_PRELOAD]', 'proc.tty', 'proc.sid', 'proc.sname',
      'proc.loginshellid', 'thread.cap_effective', 'proc.duration', 'proc.is_exe_upper_layer', 'proc.is_exe_from_memfd', 'proc.exe_ino', 'proc.fdopencount',
    ]);
    expect(f).toMatchObject({
      'proc.cwd': '/home/alice/',
      'proc.env': 'HOME=/home/alice LD_PRELOAD=/tmp/x.so',
      'proc.env[LD_PRELOAD]': '/tmp/x.so',
      'proc.env[NOPE]': undefined,
      'proc.aenv[LD_PRELOAD]': '/tmp/x.so',
      'proc.tty': 34817,
      'proc.sid': 100,
      'proc.sname': 'bash',
      'proc.loginshellid': 100,
      'thread.cap_effective': '',
      'proc.is_exe_upper_layer': false,
      'proc.is_exe_from_memfd': false,
      'proc.exe_ino': 4242,
      'proc.fdopencount': 4,
    });
    expect(f['proc.duration']).toBe(2000);
    const root = lastFields(TREE + '1 openat /x O_RDONLY', ['thread.cap_permitted']);
    expect(String(root['thread.cap_permitted'])).toMatch(/^CAP_CHOWN CAP_DAC_OVERRIDE .* CAP_SYS_ADMIN .* CAP_CHECKPOINT_RESTORE$/);
  });

  it('a truncated argv is flagged, not silently cut', () => {
    const f = lastFields(TREE + '100 spawn truncated=args /usr/bin/long a b', ['proc.args']);
    expect(f['proc.args']).toBe('a b');
  });
});

describe('fd.*', () => {
  it('files: name, directory, filename, type, dev/ino; sockets: ips, ports, proto, family', () => {
    const file = lastFields(TREE + '100 openat /var/lib/app/data.db O_RDWR', ['fd.name', 'fd.directory', 'fd.filename', 'fd.type', 'fd.typechar', 'fd.num', 'fd.ino', 'fd.dev', 'fd.sockfamily', 'fd.cip', 'fd.containername']);
    expect(file).toEqual({
      'fd.name': '/var/lib/app/data.db',
      'fd.directory': '/var/lib/app',
      'fd.filename': 'data.db',
      'fd.type': 'file',
      'fd.typechar': 'f',
      'fd.num': 3,
      'fd.ino': 1234,
      'fd.dev': 0x803,
      'fd.sockfamily': undefined,
      'fd.cip': undefined,
      'fd.containername': 'host:/var/lib/app/data.db',
    });
    const sock = lastFields(TREE + '100 connect 2001:db8::5:443', ['fd.name', 'fd.type', 'fd.typechar', 'fd.cip', 'fd.sip', 'fd.sport', 'fd.cport', 'fd.lip', 'fd.rip', 'fd.ip', 'fd.port', 'fd.l4proto', 'fd.sockfamily', 'fd.connected', 'fd.is_server', 'fd.snet']);
    expect(sock).toEqual({
      'fd.name': 'fd00::2:40000->2001:db8::5:443',
      'fd.type': 'ipv6',
      'fd.typechar': '6',
      'fd.cip': 'fd00::2',
      'fd.sip': '2001:db8::5',
      'fd.sport': 443,
      'fd.cport': 40000,
      'fd.lip': 'fd00::2',
      'fd.rip': '2001:db8::5',
      'fd.ip': ['fd00::2', '2001:db8::5'],
      'fd.port': [40000, 443],
      'fd.l4proto': 'tcp',
      'fd.sockfamily': 'ip',
      'fd.connected': true,
      'fd.is_server': false,
      'fd.snet': '2001:db8::5',
    });
  });

  it('fd.types lists the open fd types; fd.types[N] one fd', () => {
    const f = lastFields(TREE + '100 connect 1.2.3.4:80\n100 openat /tmp/a O_RDONLY', ['fd.types', 'fd.types[3]', 'fd.types[0]']);
    expect(f).toEqual({ 'fd.types': ['file', 'ipv4'], 'fd.types[3]': ['ipv4'], 'fd.types[0]': ['file'] });
  });

  it('events without an fd have no fd fields', () => {
    const f = lastFields(TREE + '100 spawn /bin/true', ['fd.num', 'fd.name', 'fd.typechar']);
    expect(f).toEqual({ 'fd.num': undefined, 'fd.name': undefined, 'fd.typechar': undefined });
  });
});

describe('user.* and group.*', () => {
  it('names the user and group from the process root, and the login user', () => {
    const f = lastFields(TREE + '100 openat /tmp/x O_RDONLY', ['user.uid', 'user.name', 'user.homedir', 'user.shell', 'user.loginuid', 'user.loginname', 'group.gid', 'group.name']);
    expect(f).toEqual({
      'user.uid': 1000,
      'user.name': 'alice',
      'user.homedir': '/home/alice',
      'user.shell': '/bin/zsh',
      'user.loginuid': 1000,
      'user.loginname': 'alice',
      'group.gid': 1000,
      'group.name': 'staff',
    });
  });

  it("unknown users read <NA> as in libsinsp's get_user() fallback; an unset login uid is -1 with login name <NA>", () => {
    const f = lastFields(TREE + '100 setuid 4321\n100 openat comm=x /tmp/x O_RDONLY', ['user.name', 'user.homedir', 'user.shell', 'user.loginuid']);
    expect(f).toMatchObject({ 'user.name': '<NA>', 'user.homedir': '<NA>', 'user.shell': '<NA>' });
    const g = lastFields(TREE + '20 openat /tmp/x O_RDONLY', ['user.loginuid', 'user.loginname', 'user.name']);
    expect(g).toEqual({ 'user.loginuid': -1, 'user.loginname': '<NA>', 'user.name': 'root' });
  });
});

describe('container.* and k8s.*', () => {
  const C = `container abc123 name=web image=registry.example.com/team/web:2.1 privileged=true mounts=/var/run/docker.sock:/var/run/docker.sock,/srv/data:/data:ro:false labels=io.kubernetes.pod.name=web-7d9,io.kubernetes.pod.namespace=shop,app=web
user 101 nginx container=abc123
proc nginx pid=300 parent=1 exe=/usr/sbin/nginx container=abc123 uid=101
`;
  it('id, name, image parts, privileged, mounts and pod labels of a container process; host for others', () => {
    const f = lastFields(TREE + C + '300 openat /etc/nginx/nginx.conf O_RDONLY', [
      'container.id', 'container.full_id', 'container.name', 'container.image', 'container.image.repository', 'container.image.tag', 'container.type',
      'container.privileged', 'container.mounts', 'container.mount.dest[/var/run/docker.sock]', 'container.mount.dest[/srv/*]', 'container.mount.dest[/etc]',
      'container.mount.source[/data]', 'container.mount[0]', 'k8s.pod.name', 'k8s.ns.name', 'k8s.pod.label[app]', 'k8s.pod.labels', 'user.name', 'fd.containername',
    ]);
    expect(f).toMatchObject({
      'container.name': 'web',
      'container.image': 'registry.example.com/team/web:2.1',
      'container.image.repository': 'registry.example.com/team/web',
      'container.image.tag': '2.1',
      'container.type': 'docker',
      'container.privileged': true,
      'container.mounts': '/var/run/docker.sock:/var/run/docker.sock::true:rprivate,/srv/data:/data:ro:false:rprivate',
      'container.mount.dest[/var/run/docker.sock]': '/var/run/docker.sock',
      'container.mount.dest[/srv/*]': '/data',
      'container.mount.dest[/etc]': 'N/A',
      'container.mount.source[/data]': '/srv/data',
      'container.mount[0]': '/var/run/docker.sock:/var/run/docker.sock::true:rprivate',
      'k8s.pod.name': 'web-7d9',
      'k8s.ns.name': 'shop',
      'k8s.pod.label[app]': 'web',
      'k8s.pod.labels': '(app:web)',
      'user.name': 'nginx',
    });
    expect(f['container.id']).toHaveLength(12);
    expect(f['container.full_id']).toHaveLength(64);
    expect(f['fd.containername']).toBe(`${f['container.id']}:/etc/nginx/nginx.conf`);
    const host = lastFields(TREE + C + '100 openat /tmp/x O_RDONLY', ['container.id', 'container.name', 'container.image', 'container.mount.dest[/etc]', 'k8s.ns.name']);
    expect(host).toEqual({ 'container.id': 'host', 'container.name': 'host', 'container.image': undefined, 'container.mount.dest[/etc]': undefined, 'k8s.ns.name': undefined });
  });
});

describe('fs.path.*', () => {
  it('the path(s) a filesystem call works on, resolved and raw', () => {
    const f = ['fs.path.name', 'fs.path.nameraw', 'fs.path.source', 'fs.path.target', 'fs.path.targetraw'];
    expect(lastFields(TREE + '100 unlinkat notes.txt', f)).toEqual({ 'fs.path.name': '/home/alice/notes.txt', 'fs.path.nameraw': 'notes.txt', 'fs.path.source': undefined, 'fs.path.target': undefined, 'fs.path.targetraw': undefined });
    expect(lastFields(TREE + '100 renameat a.txt /tmp/b.txt', f)).toEqual({ 'fs.path.name': undefined, 'fs.path.nameraw': undefined, 'fs.path.source': '/home/alice/a.txt', 'fs.path.target': '/tmp/b.txt', 'fs.path.targetraw': '/tmp/b.txt' });
    expect(lastFields(TREE + '100 symlink ../../etc/shadow link', f)).toMatchObject({ 'fs.path.source': '../../etc/shadow', 'fs.path.target': '/home/alice/link' });
  });
});

describe('thread.cgroups and thread.cgroup.<controller>', () => {
  it('an exec into a v2 container cgroup: one entry per controller, as libsinsp lists v2 cgroups', () => {
    const id = 'cd'.repeat(32);
    const f = lastFields(
      TREE + `100 raw execve ret=0 res=0 exe=app args=app tid=100 pid=100 ptid=1 comm=app cgroups=unified=/system.slice/docker-${id}.scope trusted_exepath=/app`,
      ['thread.cgroups', 'thread.cgroup.memory', 'thread.cgroup.cpu', 'thread.cgroup.pids', 'container.id'],
    );
    const path = `/system.slice/docker-${id}.scope`;
    expect(f).toEqual({
      'thread.cgroups': `cpu=${path} memory=${path} cpuset=${path}`,
      'thread.cgroup.memory': path,
      'thread.cgroup.cpu': path,
      'thread.cgroup.pids': undefined,
      'container.id': id.slice(0, 12),
    });
  });
});
