// fd.* (libsinsp's sinsp_filter_check_fd): the file descriptor the syscall works on or created.
import { NO_FD, type SyscallEvent } from '../syscall-event.js';
import { KT, typeMask } from '../record/event-table.js';
import { dirName } from '../record/paths.js';
import { FdType, L4_NAMES, ROLE_SERVER, fdTypeChar, fdTypeString, type FdInfo } from '../state/fd.js';
import type { FieldDef, FieldValue } from '../../../fields/types.js';
import { resolvedPathParam } from '../state/path-params.js';

type Def = FieldDef<SyscallEvent>;

/** Events whose failed call still names a file (libsinsp's extract_fdname_from_creator). */
const FILE_CREATORS = typeMask(KT.OPEN, KT.OPENAT, KT.OPENAT2, KT.CREAT);
const SOCKET_CREATORS = typeMask(KT.SOCKET, KT.ACCEPT, KT.ACCEPT4, KT.CONNECT);

function creatorName(e: SyscallEvent, raw: boolean): string | undefined {
  if (FILE_CREATORS[e.type] === 1) {
    const i = e.spec.param('name');
    return raw ? e.str(i) : resolvedPathParam(e, i);
  }
  return undefined;
}

/** fd.typechar of a failed fd-creating call, from the call itself. */
function creatorTypechar(e: SyscallEvent): string | undefined {
  if (FILE_CREATORS[e.type] === 1) return 'f';
  if (SOCKET_CREATORS[e.type] === 1) return '4';
  if (e.type === KT.PIPE || e.type === KT.PIPE2) return 'p';
  return e.fdNum === -1 ? 'o' : undefined;
}

function withFd(get: (fd: FdInfo, e: SyscallEvent) => FieldValue | undefined) {
  return () => (e: SyscallEvent) => (e.fd ? get(e.fd, e) : undefined);
}

function ipOnly(get: (fd: FdInfo) => FieldValue | undefined) {
  return withFd((fd) => (fd.isIp ? get(fd) : undefined));
}

const isFileLike = (fd: FdInfo) => fd.type === FdType.FILE || fd.type === FdType.DIRECTORY;

function fdName(e: SyscallEvent): string | undefined {
  if (e.fd) return e.fd.name;
  return creatorName(e, false);
}

function typesOf(e: SyscallEvent, n: number | undefined): FieldValue | undefined {
  const fds = e.proc?.fds;
  if (!fds) return undefined;
  if (n !== undefined) {
    const fd = fds.get(n);
    return fd ? [fdTypeString(fd.type)] : [];
  }
  const set = new Set<string>();
  for (const fd of fds.values()) set.add(fdTypeString(fd.type));
  return [...set];
}

export const fdFields: Def[] = [
  { name: 'fd.num', type: 'INT64', desc: 'the unique number identifying the file descriptor.', bind: () => (e) => (e.fdNum === NO_FD ? undefined : e.fdNum) },
  { name: 'fd.type', type: 'CHARBUF', desc: "type of FD. Can be 'file', 'directory', 'ipv4', 'ipv6', 'unix', 'pipe', 'event', 'signalfd', 'eventpoll', 'inotify', 'signalfd' or 'memfd'.", bind: withFd((fd) => fdTypeString(fd.type)) },
  {
    name: 'fd.typechar',
    type: 'CHARBUF',
    desc: "type of FD as a single character. Can be 'f' for file, 4 for IPv4 socket, 6 for IPv6 socket, 'u' for unix socket, p for pipe, 'e' for eventfd, 's' for signalfd, 'l' for eventpoll, 'i' for inotify, 'b' for bpf, 'u' for userfaultd, 'r' for io_uring, 'm' for memfd ,'o' for unknown.",
    bind: () => (e) => (e.fd ? fdTypeChar(e.fd.type) : e.fdNum === NO_FD ? undefined : creatorTypechar(e)),
  },
  { name: 'fd.name', type: 'CHARBUF', desc: 'FD full name. If the fd is a file, this field contains the full path. If the FD is a socket, this field contain the connection tuple.', bind: () => (e) => (e.fdNum === NO_FD ? undefined : fdName(e)) },
  {
    name: 'fd.directory',
    type: 'CHARBUF',
    desc: 'If the fd is a file, the directory that contains it.',
    bind: () => (e) => {
      // as libsinsp's TYPE_DIRECTORY: a directory fd is its own directory; a file's is its parent
      if (e.fd) return e.fd.type === FdType.DIRECTORY ? e.fd.name : e.fd.type === FdType.FILE ? e.fd.directory : undefined;
      const n = e.fdNum === NO_FD ? undefined : creatorName(e, false);
      return n === undefined ? undefined : dirName(n);
    },
  },
  { name: 'fd.filename', type: 'CHARBUF', desc: 'If the fd is a file, the filename without the path.', bind: withFd((fd) => (fd.type === FdType.FILE ? fd.filename : undefined)) },
  { name: 'fd.ip', type: 'IPADDR', desc: 'matches the ip address (client or server) of the fd.', bind: ipOnly((fd) => fd.ips) },
  { name: 'fd.cip', type: 'IPADDR', desc: 'client IP address.', bind: ipOnly((fd) => fd.cip || undefined) },
  { name: 'fd.sip', type: 'IPADDR', desc: 'server IP address.', bind: ipOnly((fd) => fd.sip || undefined) },
  { name: 'fd.lip', type: 'IPADDR', desc: 'local IP address.', bind: ipOnly((fd) => fd.lip || undefined) },
  { name: 'fd.rip', type: 'IPADDR', desc: 'remote IP address.', bind: ipOnly((fd) => fd.rip || undefined) },
  { name: 'fd.port', type: 'PORT', desc: 'matches the port (either client or server) of the fd.', bind: ipOnly((fd) => [fd.cport, fd.sport]) },
  { name: 'fd.cport', type: 'PORT', desc: 'for TCP/UDP FDs, the client port.', bind: ipOnly((fd) => fd.cport) },
  { name: 'fd.sport', type: 'PORT', desc: 'for TCP/UDP FDs, server port.', bind: ipOnly((fd) => fd.sport) },
  { name: 'fd.lport', type: 'PORT', desc: 'for TCP/UDP FDs, the local port.', bind: ipOnly((fd) => fd.lport) },
  { name: 'fd.rport', type: 'PORT', desc: 'for TCP/UDP FDs, the remote port.', bind: ipOnly((fd) => fd.rport) },
  { name: 'fd.l4proto', type: 'CHARBUF', desc: "the IP protocol of a socket. Can be 'tcp', 'udp', 'icmp' or 'raw'.", bind: withFd((fd) => L4_NAMES[fd.l4proto]) },
  { name: 'fd.sockfamily', type: 'CHARBUF', desc: "the socket family for socket events. Can be 'ip' or 'unix'.", bind: withFd((fd) => (fd.isIp ? 'ip' : fd.type === FdType.UNIX ? 'unix' : undefined)) },
  { name: 'fd.is_server', type: 'BOOL', desc: "'true' if the process owning this FD is the server endpoint in the connection.", bind: withFd((fd) => fd.role === ROLE_SERVER) },
  { name: 'fd.uid', type: 'CHARBUF', desc: 'a unique identifier for the FD, created by chaining the FD number and the thread ID.', bind: withFd((fd, e) => `${e.tid}${fd.num}`) },
  { name: 'fd.containername', type: 'CHARBUF', desc: 'chaining of the container ID and the FD name.', bind: () => (e) => (e.fdNum === NO_FD ? undefined : `${e.proc?.containerId || 'host'}:${fdName(e) ?? ''}`) },
  {
    name: 'fd.containerdirectory',
    type: 'CHARBUF',
    desc: 'chaining of the container ID and the directory name.',
    bind: () => (e) => {
      const n = e.fdNum === NO_FD ? undefined : fdName(e);
      return n === undefined ? undefined : `${e.proc?.containerId || 'host'}:${dirName(n)}`;
    },
  },
  { name: 'fd.net', type: 'IPNET', desc: 'matches the IP network (client or server) of the fd.', bind: ipOnly((fd) => fd.ips) },
  { name: 'fd.cnet', type: 'IPNET', desc: 'matches the client IP network of the fd.', bind: ipOnly((fd) => fd.cip || undefined) },
  { name: 'fd.snet', type: 'IPNET', desc: 'matches the server IP network of the fd.', bind: ipOnly((fd) => fd.sip || undefined) },
  { name: 'fd.lnet', type: 'IPNET', desc: 'matches the local IP network of the fd.', bind: ipOnly((fd) => fd.lip || undefined) },
  { name: 'fd.rnet', type: 'IPNET', desc: 'matches the remote IP network of the fd.', bind: ipOnly((fd) => fd.rip || undefined) },
  { name: 'fd.connected', type: 'BOOL', desc: "for TCP/UDP FDs, 'true' if the socket is connected.", bind: withFd((fd) => fd.connected) },
  { name: 'fd.name_changed', type: 'BOOL', desc: 'True when an event changes the name of an fd used by this event. This can occur in some cases such as udp connections where the connection tuple changes.', bind: withFd((_fd, e) => e.fdNameChanged) },
  { name: 'fd.cip.name', type: 'CHARBUF', desc: 'Domain name associated with the client IP address (Kestrel: not resolved, no value).', bind: () => () => undefined },
  { name: 'fd.sip.name', type: 'CHARBUF', desc: 'Domain name associated with the server IP address (Kestrel: not resolved, no value).', bind: () => () => undefined },
  { name: 'fd.lip.name', type: 'CHARBUF', desc: 'Domain name associated with the local IP address (Kestrel: not resolved, no value).', bind: () => () => undefined },
  { name: 'fd.rip.name', type: 'CHARBUF', desc: 'Domain name associated with the remote IP address (Kestrel: not resolved, no value).', bind: () => () => undefined },
  { name: 'fd.dev', type: 'INT32', desc: 'device number (major/minor) containing the referenced file', bind: withFd((fd) => (isFileLike(fd) ? fd.dev : undefined)) },
  { name: 'fd.dev.major', type: 'INT32', desc: 'major device number containing the referenced file', bind: withFd((fd) => (isFileLike(fd) ? fd.dev >>> 20 : undefined)) },
  { name: 'fd.dev.minor', type: 'INT32', desc: 'minor device number containing the referenced file', bind: withFd((fd) => (isFileLike(fd) ? fd.dev & 0xfffff : undefined)) },
  { name: 'fd.ino', type: 'INT64', desc: 'inode number of the referenced file', bind: withFd((fd) => (isFileLike(fd) ? fd.ino : undefined)) },
  {
    name: 'fd.nameraw',
    type: 'CHARBUF',
    desc: 'FD full name raw. Just like fd.name, but only used if fd is a file path. File path is kept raw with limited sanitization and without deriving the absolute path.',
    bind: () => (e) => {
      if (e.fd) return isFileLike(e.fd) ? e.fd.nameRawClean : undefined;
      if (e.fdNum === NO_FD) return undefined;
      return creatorName(e, true)?.replace(/\/{2,}/g, '/');
    },
  },
  {
    name: 'fd.types',
    type: 'CHARBUF',
    list: true,
    desc: 'List of FD types in use. Can be passed an fd number e.g. fd.types[0] to get the type of stdout as a single item list.',
    arg: { required: false, kind: 'index' },
    bind: (arg) => {
      const n = arg === undefined ? undefined : Number(arg);
      return (e) => typesOf(e, n);
    },
  },
];
