// One open file descriptor of a process (libsinsp's sinsp_fdinfo).
import type { InternedString } from '../record/strings.js';

export enum FdType {
  UNKNOWN,
  FILE,
  DIRECTORY,
  IPV4,
  IPV6,
  UNIX,
  PIPE,
  EVENT,
  SIGNALFD,
  EVENTPOLL,
  INOTIFY,
  TIMERFD,
  NETLINK,
  BPF,
  USERFAULTFD,
  IOURING,
  MEMFD,
  PIDFD,
}

const TYPE_STRINGS_BY: Record<FdType, string> = {
  [FdType.UNKNOWN]: '<NA>',
  [FdType.FILE]: 'file',
  [FdType.DIRECTORY]: 'directory',
  [FdType.IPV4]: 'ipv4',
  [FdType.IPV6]: 'ipv6',
  [FdType.UNIX]: 'unix',
  [FdType.PIPE]: 'pipe',
  [FdType.EVENT]: 'event',
  [FdType.SIGNALFD]: 'signalfd',
  [FdType.EVENTPOLL]: 'eventpoll',
  [FdType.INOTIFY]: 'inotify',
  [FdType.TIMERFD]: 'timerfd',
  [FdType.NETLINK]: 'netlink',
  [FdType.BPF]: 'bpf',
  [FdType.USERFAULTFD]: 'userfaultfd',
  [FdType.IOURING]: 'io_uring',
  [FdType.MEMFD]: 'memfd',
  [FdType.PIDFD]: 'pidfd',
};

const TYPE_CHARS_BY: Record<FdType, string> = {
  [FdType.UNKNOWN]: 'o',
  [FdType.FILE]: 'f',
  [FdType.DIRECTORY]: 'd',
  [FdType.IPV4]: '4',
  [FdType.IPV6]: '6',
  [FdType.UNIX]: 'u',
  [FdType.PIPE]: 'p',
  [FdType.EVENT]: 'e',
  [FdType.SIGNALFD]: 's',
  [FdType.EVENTPOLL]: 'l',
  [FdType.INOTIFY]: 'i',
  [FdType.TIMERFD]: 't',
  [FdType.NETLINK]: 'n',
  [FdType.BPF]: 'b',
  [FdType.USERFAULTFD]: 'u',
  [FdType.IOURING]: 'r',
  [FdType.MEMFD]: 'm',
  [FdType.PIDFD]: 'P',
};

// arrays: indexed loads, the fd fields read these for every check
const TYPE_STRINGS: string[] = Object.values(FdType)
  .filter((v): v is FdType => typeof v === 'number')
  .map((t) => TYPE_STRINGS_BY[t]);
const TYPE_CHARS: string[] = Object.values(FdType)
  .filter((v): v is FdType => typeof v === 'number')
  .map((t) => TYPE_CHARS_BY[t]);

export function fdTypeString(t: FdType): string {
  return TYPE_STRINGS[t]!;
}
export function fdTypeChar(t: FdType): string {
  return TYPE_CHARS[t]!;
}

export const L4_UNKNOWN = 0;
export const L4_TCP = 1;
export const L4_UDP = 2;
export const L4_ICMP = 3;
export const L4_RAW = 4;
export const L4_NAMES = ['<NA>', 'tcp', 'udp', 'icmp', 'raw'] as const;

export const ROLE_NONE = 0;
export const ROLE_CLIENT = 1;
export const ROLE_SERVER = 2;

/**
 * What only sockets have, in an object of its own: most fds are files, and a tracked process
 * holds many of them (bench/state-memory.mjs). Made on the first write of a non-default value.
 */
class SocketPart {
  l4proto = L4_UNKNOWN;
  cip = '';
  cport = 0;
  sip = '';
  sport = 0;
  role = ROLE_NONE;
  connected = false;
  unixPath = '';
  ipsC: string | undefined = undefined;
  ipsS: string | undefined = undefined;
  ipsList: string[] | undefined = undefined;

  reset(): void {
    this.l4proto = L4_UNKNOWN;
    this.cip = '';
    this.cport = 0;
    this.sip = '';
    this.sport = 0;
    this.role = ROLE_NONE;
    this.connected = false;
    this.unixPath = '';
  }

  copy(): SocketPart {
    const c = new SocketPart();
    c.l4proto = this.l4proto;
    c.cip = this.cip;
    c.cport = this.cport;
    c.sip = this.sip;
    c.sport = this.sport;
    c.role = this.role;
    c.connected = this.connected;
    c.unixPath = this.unixPath;
    return c;
  }
}

/** fd.directory, fd.filename and fd.nameraw as last computed, for names not made from an interned path. */
class NameParts {
  dirFor: string | undefined = undefined;
  dirText = '';
  baseText = '';
  rawFor: string | undefined = undefined;
  rawText = '';
}

export class FdInfo {
  type: FdType = FdType.UNKNOWN;
  /** fd.name: absolute path for files, the connection tuple for sockets. */
  name = '';
  /** fd.nameraw: the path as the process gave it. */
  nameRaw = '';
  /** Raw open flags (O_*). */
  openFlags = 0;
  cloexec = false;
  dev = 0;
  ino = 0;
  /** The interned path param the name was made from: when the name is its normalized form, directory and file name are kept there. */
  path: InternedString | undefined = undefined;
  private sock: SocketPart | undefined = undefined;
  private parts: NameParts | undefined = undefined;

  constructor(public num: number) {}

  // sockets: read as their defaults until one is set
  get l4proto(): number {
    return this.sock === undefined ? L4_UNKNOWN : this.sock.l4proto;
  }
  set l4proto(v: number) {
    if (this.sock !== undefined || v !== L4_UNKNOWN) this.socket().l4proto = v;
  }
  get cip(): string {
    return this.sock === undefined ? '' : this.sock.cip;
  }
  set cip(v: string) {
    if (this.sock !== undefined || v !== '') this.socket().cip = v;
  }
  get cport(): number {
    return this.sock === undefined ? 0 : this.sock.cport;
  }
  set cport(v: number) {
    if (this.sock !== undefined || v !== 0) this.socket().cport = v;
  }
  get sip(): string {
    return this.sock === undefined ? '' : this.sock.sip;
  }
  set sip(v: string) {
    if (this.sock !== undefined || v !== '') this.socket().sip = v;
  }
  get sport(): number {
    return this.sock === undefined ? 0 : this.sock.sport;
  }
  set sport(v: number) {
    if (this.sock !== undefined || v !== 0) this.socket().sport = v;
  }
  get role(): number {
    return this.sock === undefined ? ROLE_NONE : this.sock.role;
  }
  set role(v: number) {
    if (this.sock !== undefined || v !== ROLE_NONE) this.socket().role = v;
  }
  get connected(): boolean {
    return this.sock === undefined ? false : this.sock.connected;
  }
  set connected(v: boolean) {
    if (this.sock !== undefined || v) this.socket().connected = v;
  }
  get unixPath(): string {
    return this.sock === undefined ? '' : this.sock.unixPath;
  }
  set unixPath(v: string) {
    if (this.sock !== undefined || v !== '') this.socket().unixPath = v;
  }

  private socket(): SocketPart {
    return (this.sock ??= new SocketPart());
  }

  /** fd.directory of a file: computed once per name. */
  get directory(): string {
    const p = this.path;
    if (p !== undefined && p.normalized === this.name) return p.dir;
    return this.split().dirText;
  }

  /** fd.filename of a file: computed once per name. */
  get filename(): string {
    const p = this.path;
    if (p !== undefined && p.normalized === this.name) return p.base;
    return this.split().baseText;
  }

  private split(): NameParts {
    const parts = (this.parts ??= new NameParts());
    const n = this.name;
    if (parts.dirFor !== n) {
      const i = n.lastIndexOf('/');
      parts.dirText = i <= 0 ? '/' : n.slice(0, i);
      parts.baseText = i < 0 ? n : n.slice(i + 1);
      parts.dirFor = n;
    }
    return parts;
  }

  /** fd.nameraw: the raw path with repeated slashes squeezed (once per path). */
  get nameRawClean(): string {
    const raw = this.nameRaw;
    if (raw.indexOf('//') < 0) return raw;
    const parts = (this.parts ??= new NameParts());
    if (parts.rawFor !== raw) {
      parts.rawText = raw.replace(/\/{2,}/g, '/');
      parts.rawFor = raw;
    }
    return parts.rawText;
  }

  /**
   * Both IP addresses (fd.ip, fd.net). One array per fd, refilled when the tuple changes: a
   * field value is read while its event is evaluated, never kept past it.
   */
  get ips(): string[] {
    const s = this.socket();
    let list = s.ipsList;
    if (list === undefined || s.ipsC !== s.cip || s.ipsS !== s.sip) {
      list ??= s.ipsList = [];
      // written in place (emptying the array first would drop its backing store)
      let k = 0;
      if (s.cip) list[k++] = s.cip;
      if (s.sip) list[k++] = s.sip;
      list.length = k;
      s.ipsC = s.cip;
      s.ipsS = s.sip;
    }
    return list;
  }

  /** Makes a recycled object a fresh fd (see StateParser's pool). */
  reset(num: number): this {
    this.num = num;
    this.type = FdType.UNKNOWN;
    this.name = '';
    this.nameRaw = '';
    this.openFlags = 0;
    this.cloexec = false;
    this.dev = 0;
    this.ino = 0;
    this.path = undefined;
    this.sock?.reset();
    return this;
  }

  clone(num = this.num): FdInfo {
    const c = new FdInfo(num);
    c.type = this.type;
    c.name = this.name;
    c.nameRaw = this.nameRaw;
    c.openFlags = this.openFlags;
    c.cloexec = this.cloexec;
    c.dev = this.dev;
    c.ino = this.ino;
    c.path = this.path;
    if (this.sock !== undefined) c.sock = this.sock.copy();
    return c;
  }

  get isSocket(): boolean {
    return this.type === FdType.IPV4 || this.type === FdType.IPV6 || this.type === FdType.UNIX;
  }
  get isIp(): boolean {
    return this.type === FdType.IPV4 || this.type === FdType.IPV6;
  }
  /** Local end: the client end for clients, the server end for servers. */
  get lip(): string {
    return this.role === ROLE_SERVER ? this.sip : this.cip;
  }
  get lport(): number {
    return this.role === ROLE_SERVER ? this.sport : this.cport;
  }
  get rip(): string {
    return this.role === ROLE_SERVER ? this.cip : this.sip;
  }
  get rport(): number {
    return this.role === ROLE_SERVER ? this.cport : this.sport;
  }
}
