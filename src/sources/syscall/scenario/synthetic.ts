// A small language for test scenarios: a few lines describe a process tree and what it does, and
// come out as a state snapshot plus real binary records (through the same encoder layout the
// kernel side fills), ready for the processor or a capture file.
//
//   user 0 root                                      # host /etc/passwd entry (also: group GID NAME)
//   container web1 name=web image=nginx:1.25 privileged=true mounts=/var/run/docker.sock:/var/run/docker.sock
//   proc systemd pid=1 exe=/sbin/init
//   proc nginx pid=100 parent=1 exe=/usr/sbin/nginx container=web1 uid=33
//   100 spawn /bin/sh -c id                          # fork (child 101) + execve in the child
//   300 spawn vpid=1 /bin/app                        # ... the child being pid 1 of its namespace
//   101 openat /etc/shadow O_RDONLY                  # ret: the next free fd
//   101 openat res=ENOENT /nonexistent O_RDONLY
//   101 connect 1.2.3.4:4444                         # socket + connect (tcp)
//   101 raw ptrace request=16 pid=1                  # any event, params by name
//   101 raw connect fd=3 tuple=AF_NETLINK            # ... an address param as a family alone
//
// Statements are separated by newlines or `;`; `#` starts a comment. Options (key=value) come
// right after the command, before positional arguments. Every command takes res=N|ERRNO and
// comm=NAME. Pids not declared with `proc` are created on first use (parent 1).
import { ERRNO_NAMES } from '../fields/names.js';
import { newContext } from '../state/context.js';
import { encodeRecord, type ParamInput, type RecordInput } from '../record/encode.js';
import { EVENTS, KT, codesByName } from '../record/event-table.js';
import { EXE_FROM_MEMFD, EXE_LOWER_LAYER, EXE_UPPER_LAYER, EXE_WRITABLE, PT, isNumeric } from '../record/layout.js';
import * as L from '../record/linux.js';
import { AT_FDCWD, baseName, resolvePath } from '../record/paths.js';
import { AF_INET, AF_INET6, AF_UNIX, encodeSockaddr, encodeSocktuple, parseIp } from '../record/sockaddr.js';
import type { ContainerInfo, ContainerMount } from '../state/containers.js';
import { FdInfo, FdType } from '../state/fd.js';
import { ProcessInfo, ThreadInfo } from '../state/process.js';
import { takeSnapshot, type StateSnapshot } from '../state/snapshot.js';
import type { UserEntry } from '../state/users.js';

/** Fixed so synthetic alerts have stable times: 2023-11-14T22:13:20Z at boot time 0. */
export const SYNTHETIC_BOOT_EPOCH_NS = 1_700_000_000_000_000_000n;
export const SYNTHETIC_HOSTNAME = 'kestrel-test';

export interface Scenario {
  snapshot: StateSnapshot;
  /** Every record, back to back (one batch). */
  records: Uint8Array;
  /** Each record separately, for tests that look at one. */
  list: Uint8Array[];
  bootEpochNs: bigint;
  hostname: string;
}

export class ScenarioError extends Error {}

const SIGCHLD = 17;
const FULL_CAPS = (1n << 41n) - 1n;

interface Model {
  pid: number;
  ppid: number;
  comm: string;
  exe: string;
  exepath: string;
  args: string[];
  cwd: string;
  uid: number;
  gid: number;
  loginuid: number;
  tty: number;
  sid: number;
  vpgid: number;
  container: string;
  fds: Set<number>;
  env: string[];
  /** pid in its own pid namespace, when not the host pid (`spawn vpid=1`: a container's first process). */
  vpid?: number;
}

function tokenize(line: string): string[] {
  const out: string[] = [];
  // a token may quote a part: key="a b c" is one token, `key=a b c`
  const re = /(?:[^\s"]|"(?:[^"\\]|\\.)*")+/g;
  for (const m of line.matchAll(re)) out.push(m[0].replace(/"((?:[^"\\]|\\.)*)"/g, (_q, inner: string) => inner.replace(/\\(.)/g, '$1')));
  return out;
}

function splitStatements(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let line = '';
    let quoted = false;
    for (const ch of raw) {
      if (ch === '"') quoted = !quoted;
      if (!quoted && ch === '#') break;
      if (!quoted && ch === ';') {
        out.push(line);
        line = '';
        continue;
      }
      line += ch;
    }
    out.push(line);
  }
  return out.map((l) => l.trim()).filter(Boolean);
}

/** Leading key=value options, then positional arguments. */
function options(tokens: string[]): { opts: Map<string, string>; args: string[] } {
  const opts = new Map<string, string>();
  let i = 0;
  for (; i < tokens.length; i++) {
    const m = /^([a-z_][a-z0-9_]*)=(.*)$/.exec(tokens[i]!);
    if (!m) break;
    opts.set(m[1]!, m[2]!);
  }
  return { opts, args: tokens.slice(i) };
}

function num(text: string): number {
  if (/^-?0[0-7]+$/.test(text)) return parseInt(text, 8);
  const v = Number(text);
  if (!Number.isFinite(v)) throw new ScenarioError(`not a number: ${text}`);
  return v;
}

/** res=ENOENT / res=-2 / res=3. */
function resValue(text: string): number {
  if (/^-?[0-9]+$/.test(text)) return Number(text);
  const i = ERRNO_NAMES.indexOf(text);
  if (i <= 0) throw new ScenarioError(`unknown errno ${text}`);
  return -i;
}

const FLAG_NAMES: Record<string, number> = {
  O_RDONLY: 0,
  O_WRONLY: L.O_WRONLY,
  O_RDWR: L.O_RDWR,
  O_CREAT: L.O_CREAT,
  O_EXCL: L.O_EXCL,
  O_TRUNC: L.O_TRUNC,
  O_APPEND: L.O_APPEND,
  O_NONBLOCK: L.O_NONBLOCK,
  O_DSYNC: L.O_DSYNC,
  O_DIRECT: L.O_DIRECT,
  O_LARGEFILE: L.O_LARGEFILE,
  O_DIRECTORY: L.O_DIRECTORY,
  O_NOFOLLOW: L.O_NOFOLLOW,
  O_CLOEXEC: L.O_CLOEXEC,
  O_SYNC: L.O_SYNC,
  O_PATH: L.O_PATH,
  O_TMPFILE: L.O_TMPFILE,
  EXE_WRITABLE,
  EXE_UPPER_LAYER,
  EXE_FROM_MEMFD,
  EXE_LOWER_LAYER,
  CLONE_THREAD: L.CLONE_THREAD,
  CLONE_NEWNS: 0x20000,
  CLONE_NEWUSER: 0x10000000,
  CLONE_NEWPID: 0x20000000,
  CLONE_NEWNET: 0x40000000,
  AF_UNIX,
  AF_INET,
  AF_INET6,
  AF_NETLINK: 16,
  AF_PACKET: 17,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_CLOEXEC: L.SOCK_CLOEXEC,
  PTRACE_TRACEME: 0,
  PTRACE_POKETEXT: 4,
  PTRACE_POKEDATA: 5,
  PTRACE_ATTACH: 16,
  PTRACE_SETREGS: 13,
  PTRACE_SEIZE: 0x4206,
  S_ISUID: 0o4000,
  S_ISGID: 0o2000,
  S_IXUSR: 0o100,
};

/** `O_WRONLY|O_CREAT`, `0644`, `17`. */
function flags(text: string): number {
  let v = 0;
  for (const part of text.split('|')) {
    const f = FLAG_NAMES[part];
    v |= f !== undefined ? f : num(part);
  }
  return v >>> 0;
}

function hostPort(text: string): { ip: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!m) throw new ScenarioError(`expected IP:PORT, got ${text}`);
  return { ip: m[1]!, port: Number(m[2]) };
}

function fullId(id: string): string {
  if (/^[0-9a-f]{64}$/.test(id)) return id;
  return Buffer.from(id.padEnd(32, '.')).toString('hex').slice(0, 64).padEnd(64, '0');
}

class Builder {
  private readonly procs = new Map<number, Model>();
  private readonly records: Uint8Array[] = [];
  private readonly ctx = newContext({ bootEpochNs: SYNTHETIC_BOOT_EPOCH_NS, hostname: SYNTHETIC_HOSTNAME });
  private readonly cgroups = new Map<bigint, string[]>();
  private readonly containerIds = new Map<string, { full: string; cgroupId: bigint }>();
  private readonly users = new Map<string, { users: Map<number, UserEntry>; groups: Map<number, string> }>();
  private ts = 1_000_000_000n;
  private nextPid = 1000;
  private declaredUsers = false;

  run(text: string): Scenario {
    for (const stmt of splitStatements(text)) {
      try {
        this.statement(tokenize(stmt));
      } catch (e) {
        throw new ScenarioError(`${(e as Error).message} (in: ${stmt})`);
      }
    }
    this.freeze();
    const total = this.records.reduce((s, r) => s + r.length, 0);
    const all = new Uint8Array(total);
    let o = 0;
    for (const r of this.records) {
      all.set(r, o);
      o += r.length;
    }
    return { snapshot: this.snapshot, records: all, list: this.records, bootEpochNs: SYNTHETIC_BOOT_EPOCH_NS, hostname: SYNTHETIC_HOSTNAME };
  }

  private snapshot!: StateSnapshot;
  private snapshotTaken = false;

  /** The snapshot holds everything declared before the first record. */
  private freeze(): void {
    if (this.snapshotTaken) return;
    if (!this.declaredUsers) this.defaultUsers();
    for (const [k, t] of this.users) this.ctx.users.set(k, t);
    this.snapshot = takeSnapshot(this.ctx, this.cgroups);
    this.snapshotTaken = true;
  }

  private defaultUsers(): void {
    const host = this.table('');
    for (const [uid, name, home, shell] of [
      [0, 'root', '/root', '/bin/bash'],
      [1, 'daemon', '/usr/sbin', '/usr/sbin/nologin'],
      [33, 'www-data', '/var/www', '/usr/sbin/nologin'],
      [1000, 'alice', '/home/alice', '/bin/bash'],
      [65534, 'nobody', '/nonexistent', '/usr/sbin/nologin'],
    ] as const) {
      if (!host.users.has(uid)) host.users.set(uid, { name, home, shell });
    }
    for (const [gid, name] of [
      [0, 'root'],
      [33, 'www-data'],
      [1000, 'alice'],
      [65534, 'nogroup'],
    ] as const) {
      if (!host.groups.has(gid)) host.groups.set(gid, name);
    }
    this.declaredUsers = true;
  }

  private table(key: string) {
    let t = this.users.get(key);
    if (!t) this.users.set(key, (t = { users: new Map(), groups: new Map() }));
    return t;
  }

  private statement(tokens: string[]): void {
    const [head, ...rest] = tokens;
    if (head === undefined) return;
    if (head === 'proc') return this.proc(rest);
    if (head === 'container') return this.container(rest);
    if (head === 'user' || head === 'group') return this.userLine(head, rest);
    if (!/^[0-9]+$/.test(head)) throw new ScenarioError(`unknown statement ${head}`);
    this.freeze();
    const pid = Number(head);
    const [cmd, ...args] = rest;
    if (!cmd) throw new ScenarioError('missing command');
    this.command(this.model(pid), cmd, options(args));
  }

  private userLine(kind: 'user' | 'group', tokens: string[]): void {
    const [id, name, ...more] = tokens;
    const { opts } = options(more);
    const key = opts.has('container') ? this.containerIds.get(opts.get('container')!)?.full.slice(0, 12) ?? '' : '';
    const t = this.table(key);
    if (kind === 'user') t.users.set(num(id!), { name: name!, home: opts.get('home') ?? `/home/${name}`, shell: opts.get('shell') ?? '/bin/sh' });
    else t.groups.set(num(id!), name!);
    if (key === '') this.declaredUsers = true;
  }

  private container(tokens: string[]): void {
    const [id, ...more] = tokens;
    const { opts } = options(more);
    const full = fullId(id!);
    const cgroupId = BigInt(0x1000 + this.containerIds.size);
    this.containerIds.set(id!, { full, cgroupId });
    const image = opts.get('image');
    const mounts: ContainerMount[] = (opts.get('mounts') ?? '')
      .split(',')
      .filter(Boolean)
      .map((m) => {
        const [source, dest, mode, rw] = m.split(':');
        return { source: source!, dest: dest ?? source!, mode: mode ?? '', rdwr: rw !== 'false', propagation: 'rprivate' };
      });
    const labels: Record<string, string> = {};
    for (const kv of (opts.get('labels') ?? '').split(',').filter(Boolean)) {
      const eq = kv.indexOf('=');
      labels[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const info: ContainerInfo = {
      id: full.slice(0, 12),
      fullId: full,
      type: (opts.get('type') as ContainerInfo['type']) ?? 'docker',
      lookup: 'ok',
      name: opts.get('name') ?? id!,
      privileged: opts.get('privileged') === 'true',
      mounts,
      labels,
      ...(opts.has('start') ? { startTs: String(SYNTHETIC_BOOT_EPOCH_NS + BigInt(opts.get('start')!)) } : {}),
    };
    if (image) {
      info.image = image;
      const at = image.lastIndexOf(':');
      const slash = image.lastIndexOf('/');
      info.imageRepository = at > slash ? image.slice(0, at) : image;
      if (at > slash) info.imageTag = image.slice(at + 1);
    }
    this.ctx.containers.put(info);
    this.cgroups.set(cgroupId, [`unified=/system.slice/docker-${full}.scope`]);
  }

  private proc(tokens: string[]): void {
    const [name, ...more] = tokens;
    const { opts } = options(more);
    const pid = num(opts.get('pid') ?? String(this.nextPid++));
    const exepath = opts.get('exepath') ?? opts.get('exe') ?? `/usr/bin/${name}`;
    const m: Model = {
      pid,
      ppid: num(opts.get('parent') ?? '1'),
      comm: (opts.get('comm') ?? name!).slice(0, 15),
      exe: opts.get('exe') ?? exepath,
      exepath,
      args: opts.has('args') ? tokenize(opts.get('args')!) : [],
      cwd: opts.get('cwd') ?? '/',
      uid: num(opts.get('uid') ?? '0'),
      gid: num(opts.get('gid') ?? opts.get('uid') ?? '0'),
      loginuid: opts.has('loginuid') ? num(opts.get('loginuid')!) >>> 0 : 0xffffffff,
      tty: num(opts.get('tty') ?? '0'),
      sid: num(opts.get('sid') ?? String(pid)),
      vpgid: num(opts.get('pgid') ?? String(pid)),
      container: opts.get('container') ?? '',
      fds: new Set([0, 1, 2]),
      env: opts.has('env') ? opts.get('env')!.split(',') : ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    };
    this.procs.set(pid, m);
    if (this.snapshotTaken) throw new ScenarioError('proc lines must come before the first record');
    const p = new ProcessInfo(pid);
    p.vpid = pid;
    p.ppid = m.ppid;
    p.comm = m.comm;
    p.exe = m.exe;
    p.exepath = m.exepath;
    p.setArgs(m.args);
    p.env = m.env;
    p.cwd = m.cwd;
    p.uid = m.uid;
    p.gid = m.gid;
    p.loginuid = m.loginuid;
    p.tty = m.tty;
    p.sid = m.sid;
    p.vpgid = m.vpgid;
    p.capPermitted = p.capEffective = m.uid === 0 ? FULL_CAPS : 0n;
    p.startTs = SYNTHETIC_BOOT_EPOCH_NS + BigInt(num(opts.get('start') ?? '0'));
    if (m.container) {
      const c = this.containerIds.get(m.container);
      if (!c) throw new ScenarioError(`container ${m.container} is not declared`);
      p.containerId = c.full.slice(0, 12);
      p.cgroupId = c.cgroupId;
      p.cgroupIdLo = Number(c.cgroupId & 0xffffffffn);
      p.cgroups = this.cgroups.get(c.cgroupId)!;
    }
    for (const n of [0, 1, 2]) {
      const fd = new FdInfo(n);
      fd.type = FdType.FILE;
      fd.name = m.tty ? '/dev/pts/0' : '/dev/null';
      p.fds.set(n, fd);
    }
    this.ctx.threads.addProcess(p);
    const t = new ThreadInfo(pid, p);
    t.comm = m.comm;
    t.vtid = pid;
    this.ctx.threads.addThread(t);
  }

  private model(pid: number): Model {
    let m = this.procs.get(pid);
    if (!m) {
      m = {
        pid,
        ppid: 1,
        comm: `proc${pid}`,
        exe: `/usr/bin/proc${pid}`,
        exepath: `/usr/bin/proc${pid}`,
        args: [],
        cwd: '/',
        uid: 0,
        gid: 0,
        loginuid: 0xffffffff,
        tty: 0,
        sid: pid,
        vpgid: pid,
        container: '',
        fds: new Set([0, 1, 2]),
        env: [],
      };
      this.procs.set(pid, m);
    }
    return m;
  }

  private emit(m: Model, type: number, ret: number, params: Record<string, ParamInput | undefined>, opts: Map<string, string>): void {
    const c = m.container ? this.containerIds.get(m.container) : undefined;
    const input: RecordInput = {
      type,
      ts: this.ts,
      ret: opts.has('res') ? resValue(opts.get('res')!) : ret,
      tid: m.pid,
      pid: m.pid,
      ...(m.vpid !== undefined ? { vpid: m.vpid, vtid: m.vpid } : {}),
      ppid: m.ppid,
      uid: m.uid,
      gid: m.gid,
      loginuid: m.loginuid,
      cgroupId: c?.cgroupId ?? 1n,
      comm: opts.get('comm') ?? m.comm,
      params,
      ...(opts.has('truncated') ? { truncated: opts.get('truncated')!.split(',') } : {}),
    };
    this.ts += 1000n;
    this.records.push(encodeRecord(input));
  }

  private nextFd(m: Model, opts: Map<string, string>): number {
    if (opts.has('fd')) {
      const n = num(opts.get('fd')!);
      m.fds.add(n);
      return n;
    }
    let n = 3;
    while (m.fds.has(n)) n++;
    m.fds.add(n);
    return n;
  }

  private resOr(opts: Map<string, string>, ok: number): number {
    return opts.has('res') ? resValue(opts.get('res')!) : ok;
  }

  private command(m: Model, cmd: string, { opts, args }: { opts: Map<string, string>; args: string[] }): void {
    const a = (i: number, what: string) => {
      const v = args[i];
      if (v === undefined) throw new ScenarioError(`${cmd}: missing ${what}`);
      return v;
    };
    switch (cmd) {
      case 'spawn': {
        const child = this.fork(m, opts);
        this.exec(child, args, opts, KT.EXECVE);
        return;
      }
      case 'fork':
        this.fork(m, opts);
        return;
      case 'execve':
      case 'execveat':
        if (opts.has('vpid')) m.vpid = num(opts.get('vpid')!);
        this.exec(m, args, opts, cmd === 'execve' ? KT.EXECVE : KT.EXECVEAT);
        return;
      case 'exit':
        this.emit(m, KT.PROCEXIT, 0, { status: num(args[0] ?? '0'), ret: num(args[0] ?? '0'), sig: 0, core: 0, reaper_tid: 1 }, opts);
        this.procs.delete(m.pid);
        return;
      case 'open':
      case 'openat':
      case 'openat2': {
        const path = a(0, 'path');
        const f = flags(args[1] ?? 'O_RDONLY');
        const res = this.resOr(opts, -1);
        const fd = res < 0 && opts.has('res') ? res : this.nextFd(m, opts);
        const type = cmd === 'open' ? KT.OPEN : cmd === 'openat' ? KT.OPENAT : KT.OPENAT2;
        const params: Record<string, ParamInput | undefined> = { fd, name: path, flags: f, mode: num(opts.get('mode') ?? '0'), dev: 0x803, ino: num(opts.get('ino') ?? '1234') };
        if (cmd !== 'open') params.dirfd = num(opts.get('dirfd') ?? String(AT_FDCWD));
        if (cmd === 'openat2') params.resolve = 0;
        this.emit(m, type, fd, params, opts);
        return;
      }
      case 'creat': {
        const res = this.resOr(opts, -1);
        const fd = res < 0 && opts.has('res') ? res : this.nextFd(m, opts);
        this.emit(m, KT.CREAT, fd, { fd, name: a(0, 'path'), mode: num(opts.get('mode') ?? '0644'), dev: 0x803, ino: 1 }, opts);
        return;
      }
      case 'close': {
        const fd = num(a(0, 'fd'));
        m.fds.delete(fd);
        this.emit(m, KT.CLOSE, 0, { res: this.resOr(opts, 0), fd }, opts);
        return;
      }
      case 'socket': {
        const fd = this.nextFd(m, opts);
        this.emit(m, KT.SOCKET, fd, { fd, domain: flags(args[0] ?? 'AF_INET'), type: flags(args[1] ?? 'SOCK_STREAM'), proto: num(args[2] ?? '0') }, opts);
        return;
      }
      case 'connect':
      case 'sendto': {
        const server = hostPort(a(0, 'IP:PORT'));
        const v6 = parseIp(server.ip).family === AF_INET6;
        const client = hostPort(opts.get('from') ?? (v6 ? '[fd00::2]:40000' : '10.0.0.2:40000'));
        const udp = opts.get('proto') === 'udp' || cmd === 'sendto';
        let fd: number;
        if (opts.has('fd')) fd = num(opts.get('fd')!);
        else {
          fd = this.nextFd(m, new Map());
          this.emit(m, KT.SOCKET, fd, { fd, domain: v6 ? AF_INET6 : AF_INET, type: udp ? 2 : 1, proto: 0 }, new Map([['comm', opts.get('comm') ?? m.comm]]));
        }
        const tuple = encodeSocktuple(client, server);
        if (cmd === 'connect') this.emit(m, KT.CONNECT, this.resOr(opts, 0), { res: this.resOr(opts, 0), tuple, fd, addr: encodeSockaddr(server) }, opts);
        else this.emit(m, KT.SENDTO, this.resOr(opts, 64), { res: this.resOr(opts, 64), data: Buffer.from(opts.get('data') ?? 'payload'), fd, size: 64, tuple }, opts);
        return;
      }
      case 'accept': {
        const peer = hostPort(a(0, 'IP:PORT'));
        const local = hostPort(opts.get('local') ?? '10.0.0.2:80');
        const fd = this.nextFd(m, opts);
        this.emit(m, KT.ACCEPT4, fd, { fd, tuple: encodeSocktuple(peer, local), queuepct: 0, queuelen: 0, queuemax: 128, flags: 0 }, opts);
        return;
      }
      case 'listen':
        this.emit(m, KT.LISTEN, 0, { res: this.resOr(opts, 0), fd: num(a(0, 'fd')), backlog: 128 }, opts);
        return;
      case 'bind': {
        const addr = hostPort(a(1, 'IP:PORT'));
        this.emit(m, KT.BIND, 0, { res: this.resOr(opts, 0), addr: encodeSockaddr(addr), fd: num(a(0, 'fd')) }, opts);
        return;
      }
      case 'dup':
      case 'dup2':
      case 'dup3': {
        const oldfd = num(a(0, 'oldfd'));
        const newfd = args[1] !== undefined ? num(args[1]) : this.nextFd(m, opts);
        m.fds.add(newfd);
        const type = cmd === 'dup' ? KT.DUP : cmd === 'dup2' ? KT.DUP2 : KT.DUP3;
        const params: Record<string, ParamInput> = { res: newfd, oldfd };
        if (cmd !== 'dup') params.newfd = newfd;
        if (cmd === 'dup3') params.flags = 0;
        this.emit(m, type, newfd, params, opts);
        return;
      }
      case 'chdir':
        this.emit(m, KT.CHDIR, this.resOr(opts, 0), { res: this.resOr(opts, 0), path: a(0, 'path') }, opts);
        if (this.resOr(opts, 0) === 0) m.cwd = resolvePath(m.cwd, a(0, 'path'));
        return;
      case 'memfd_create': {
        const fd = this.nextFd(m, opts);
        this.emit(m, KT.MEMFD_CREATE, fd, { fd, name: a(0, 'name'), flags: flags(args[1] ?? '1') }, opts);
        return;
      }
      case 'symlink':
      case 'symlinkat': {
        const res = this.resOr(opts, 0);
        const params: Record<string, ParamInput> = { res, target: a(0, 'target'), linkpath: a(1, 'linkpath') };
        if (cmd === 'symlinkat') params.linkdirfd = AT_FDCWD;
        this.emit(m, cmd === 'symlink' ? KT.SYMLINK : KT.SYMLINKAT, res, params, opts);
        return;
      }
      case 'link':
      case 'linkat':
      case 'rename':
      case 'renameat':
      case 'renameat2': {
        const res = this.resOr(opts, 0);
        const params: Record<string, ParamInput> = { res, oldpath: a(0, 'oldpath'), newpath: a(1, 'newpath') };
        if (cmd === 'linkat') Object.assign(params, { olddir: AT_FDCWD, newdir: AT_FDCWD, flags: 0 });
        if (cmd === 'renameat' || cmd === 'renameat2') Object.assign(params, { olddirfd: AT_FDCWD, newdirfd: AT_FDCWD });
        if (cmd === 'renameat2') params.flags = 0;
        this.emit(m, codesByName(cmd)[0]!, res, params, opts);
        return;
      }
      case 'unlink':
      case 'rmdir':
      case 'mkdir': {
        const res = this.resOr(opts, 0);
        const params: Record<string, ParamInput> = { res, path: a(0, 'path') };
        if (cmd === 'mkdir') params.mode = num(opts.get('mode') ?? '0755');
        this.emit(m, codesByName(cmd)[0]!, res, params, opts);
        return;
      }
      case 'unlinkat':
        this.emit(m, KT.UNLINKAT, this.resOr(opts, 0), { res: this.resOr(opts, 0), dirfd: AT_FDCWD, name: a(0, 'path'), flags: 0 }, opts);
        return;
      case 'mkdirat':
        this.emit(m, KT.MKDIRAT, this.resOr(opts, 0), { res: this.resOr(opts, 0), dirfd: AT_FDCWD, path: a(0, 'path'), mode: num(opts.get('mode') ?? '0755') }, opts);
        return;
      case 'chmod':
        this.emit(m, KT.CHMOD, this.resOr(opts, 0), { res: this.resOr(opts, 0), filename: a(0, 'path'), mode: flags(a(1, 'mode')) }, opts);
        return;
      case 'fchmodat':
        this.emit(m, KT.FCHMODAT, this.resOr(opts, 0), { res: this.resOr(opts, 0), dirfd: AT_FDCWD, filename: a(0, 'path'), mode: flags(a(1, 'mode')) }, opts);
        return;
      case 'setuid':
        this.emit(m, KT.SETUID, this.resOr(opts, 0), { res: this.resOr(opts, 0), uid: num(a(0, 'uid')) }, opts);
        if (this.resOr(opts, 0) === 0) m.uid = num(a(0, 'uid'));
        return;
      case 'ptrace':
        this.emit(m, KT.PTRACE, this.resOr(opts, 0), { res: this.resOr(opts, 0), addr: 0, data: 0, request: flags(a(0, 'request')), pid: num(a(1, 'pid')) }, opts);
        return;
      case 'raw':
        this.raw(m, a(0, 'event'), args.slice(1), opts);
        return;
      default:
        throw new ScenarioError(`unknown command ${cmd}`);
    }
  }

  private fork(parent: Model, opts: Map<string, string>): Model {
    const pid = opts.has('pid') ? num(opts.get('pid')!) : this.freePid(parent.pid + 1);
    const child: Model = { ...parent, pid, ppid: parent.pid, fds: new Set(parent.fds), args: [...parent.args] };
    if (opts.has('vpid')) child.vpid = num(opts.get('vpid')!);
    else delete child.vpid;
    this.procs.set(pid, child);
    this.emit(
      parent,
      KT.CLONE,
      pid,
      {
        res: pid,
        exe: parent.exe,
        args: [parent.exe, ...parent.args],
        tid: pid,
        pid,
        ptid: parent.pid,
        cwd: parent.cwd,
        fdlimit: 1024,
        comm: parent.comm,
        flags: SIGCHLD,
        uid: parent.uid,
        gid: parent.gid,
        vtid: child.vpid ?? pid,
        vpid: child.vpid ?? pid,
      },
      new Map([['comm', parent.comm]]),
    );
    return child;
  }

  private freePid(from: number): number {
    let p = from;
    while (this.procs.has(p) || this.ctx.threads.process(p)) p++;
    return p;
  }

  private exec(m: Model, args: string[], opts: Map<string, string>, type: number): void {
    const path = args[0];
    if (path === undefined) throw new ScenarioError('exec: missing path');
    const argv0 = opts.get('argv0') ?? path;
    const exepath = opts.get('exepath') ?? resolvePath(m.cwd, path);
    const res = this.resOr(opts, 0);
    if (res === 0) {
      m.exe = argv0;
      m.exepath = exepath;
      m.args = args.slice(1);
      m.comm = (opts.get('comm') ?? baseName(path)).slice(0, 15);
      if (opts.has('uid')) m.uid = num(opts.get('uid')!);
      if (opts.has('tty')) m.tty = num(opts.get('tty')!);
      if (opts.has('env')) m.env = opts.get('env')!.split(',');
    }
    const c = m.container ? this.containerIds.get(m.container) : undefined;
    const params: Record<string, ParamInput | undefined> = {
      res,
      exe: argv0,
      args: [argv0, ...args.slice(1)],
      tid: m.pid,
      pid: m.pid,
      ptid: m.ppid,
      cwd: m.cwd,
      fdlimit: 1024,
      comm: m.comm,
      cgroups: c ? this.cgroups.get(c.cgroupId) : undefined,
      env: m.env,
      tty: m.tty,
      pgid: m.vpgid,
      loginuid: m.loginuid,
      flags: flags(opts.get('flags') ?? '0'),
      cap_inheritable: 0n,
      cap_permitted: m.uid === 0 ? FULL_CAPS : 0n,
      cap_effective: m.uid === 0 ? FULL_CAPS : 0n,
      exe_ino: 4242,
      exe_ino_ctime: SYNTHETIC_BOOT_EPOCH_NS - 10n ** 12n,
      exe_ino_mtime: SYNTHETIC_BOOT_EPOCH_NS - 10n ** 12n,
      uid: m.uid,
      trusted_exepath: exepath,
    };
    if (type === KT.EXECVE) params.filename = path;
    else Object.assign(params, { dirfd: num(opts.get('dirfd') ?? String(AT_FDCWD)), pathname: path });
    if (res !== 0) for (const k of Object.keys(params)) if (k !== 'res' && k !== 'filename' && k !== 'pathname') delete params[k];
    const extra = new Map(opts);
    extra.delete('res');
    extra.set('comm', opts.get('comm') ?? m.comm);
    this.emit(m, type, res, params, extra);
  }

  /** `raw EVENT k=v ...`: any event, params by Falco name, typed by the event table. */
  private raw(m: Model, event: string, kv: string[], opts: Map<string, string>): void {
    const code = /^[0-9]+$/.test(event) ? Number(event) : codesByName(event)[0];
    const spec = code === undefined ? undefined : EVENTS[code];
    if (!spec) throw new ScenarioError(`unknown event ${event}`);
    const params: Record<string, ParamInput> = {};
    let ret = 0;
    for (const item of kv) {
      const eq = item.indexOf('=');
      if (eq < 0) throw new ScenarioError(`raw: expected name=value, got ${item}`);
      const name = item.slice(0, eq);
      const value = item.slice(eq + 1);
      if (name === 'ret') {
        ret = resValue(value);
        continue;
      }
      const i = spec.param(name);
      if (i < 0) throw new ScenarioError(`${spec.name} has no param ${name}`);
      const t = spec.params[i]!.type;
      if (t === PT.ERRNO || t === PT.FD || t === PT.PID) params[name] = resValue(value);
      else if (isNumeric(t)) params[name] = t === PT.UINT64 || t === PT.ABSTIME ? BigInt(flags(value)) : flags(value);
      else if (t === PT.ARGV) params[name] = value.split(',');
      // a family name alone (AF_NETLINK): an address of that family with nothing after it
      else if ((t === PT.SOCKADDR || t === PT.SOCKTUPLE) && /^AF_[A-Z0-9]+$/.test(value)) params[name] = Uint8Array.of(flags(value));
      else if (t === PT.SOCKADDR) params[name] = encodeSockaddr(value.startsWith('/') || value.startsWith('@') ? { path: value } : hostPort(value));
      else if (t === PT.SOCKTUPLE) {
        const [c, s] = value.split('->') as [string, string];
        params[name] = encodeSocktuple(hostPort(c), hostPort(s));
      } else params[name] = value;
    }
    if (opts.has('res')) ret = resValue(opts.get('res')!);
    const extra = new Map(opts);
    extra.delete('res');
    this.emit(m, spec.code, ret, params, extra);
  }
}

/** Builds a scenario from its text (see the header of this file). */
export function buildScenario(text: string): Scenario {
  return new Builder().run(text);
}
