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
  // sockets
  l4proto = L4_UNKNOWN;
  cip = '';
  cport = 0;
  sip = '';
  sport = 0;
  role = ROLE_NONE;
  connected = false;
  unixPath = '';
  /** The interned path param the name was made from: when the name is its normalized form, directory and file name are kept there. */
  path: InternedString | undefined = undefined;

  private dirFor: string | undefined;
  private dirText = '';
  private baseText = '';
  private ipsC: string | undefined;
  private ipsS: string | undefined;
  private ipsList: string[] = [];

  constructor(public num: number) {}

  /** fd.directory of a file: computed once per name. */
  get directory(): string {
    const p = this.path;
    if (p !== undefined && p.normalized === this.name) return p.dir;
    if (this.dirFor !== this.name) this.splitName();
    return this.dirText;
  }

  /** fd.filename of a file: computed once per name. */
  get filename(): string {
    const p = this.path;
    if (p !== undefined && p.normalized === this.name) return p.base;
    if (this.dirFor !== this.name) this.splitName();
    return this.baseText;
  }

  private splitName(): void {
    const n = this.name;
    const i = n.lastIndexOf('/');
    this.dirText = i <= 0 ? '/' : n.slice(0, i);
    this.baseText = i < 0 ? n : n.slice(i + 1);
    this.dirFor = n;
  }

  private rawFor: string | undefined;
  private rawText = '';

  /** fd.nameraw: the raw path with repeated slashes squeezed (once per path). */
  get nameRawClean(): string {
    if (this.rawFor !== this.nameRaw) {
      this.rawText = this.nameRaw.indexOf('//') >= 0 ? this.nameRaw.replace(/\/{2,}/g, '/') : this.nameRaw;
      this.rawFor = this.nameRaw;
    }
    return this.rawText;
  }

  /** Both IP addresses (fd.ip, fd.net), kept while the tuple does not change. */
  get ips(): string[] {
    if (this.ipsC !== this.cip || this.ipsS !== this.sip) {
      this.ipsList = [this.cip, this.sip].filter(Boolean);
      this.ipsC = this.cip;
      this.ipsS = this.sip;
    }
    return this.ipsList;
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
    this.l4proto = L4_UNKNOWN;
    this.cip = '';
    this.cport = 0;
    this.sip = '';
    this.sport = 0;
    this.role = ROLE_NONE;
    this.connected = false;
    this.unixPath = '';
    this.path = undefined;
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
    c.l4proto = this.l4proto;
    c.cip = this.cip;
    c.cport = this.cport;
    c.sip = this.sip;
    c.sport = this.sport;
    c.role = this.role;
    c.connected = this.connected;
    c.unixPath = this.unixPath;
    c.path = this.path;
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
