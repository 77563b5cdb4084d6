// user.* and group.* (libsinsp's sinsp_filter_check_user / _group): names come from the
// process's own root (the container's /etc/passwd for container processes). A uid or gid no
// table knows reads as libsinsp's sinsp_threadinfo::get_user()/get_group() fallback: uid 0 is
// `root` with home `/root`, gid 0 is `root`, anything else `<NA>`.
import type { SyscallEvent } from '../syscall-event.js';
import type { FieldDef } from '../../../fields/types.js';
import type { UserEntry } from '../state/users.js';

type Def = FieldDef<SyscallEvent>;

const UNSET = 0xffffffff;

const NA = '<NA>';
const ROOT_FALLBACK: UserEntry = { name: 'root', home: '/root', shell: NA };
const NA_FALLBACK: UserEntry = { name: NA, home: NA, shell: NA };

function user(e: SyscallEvent, uid: number): UserEntry | undefined {
  const p = e.proc;
  if (!p) return undefined;
  return e.ctx.users.user(p.containerId, p.pid, uid) ?? (uid === 0 ? ROOT_FALLBACK : NA_FALLBACK);
}

export const userFields: Def[] = [
  { name: 'user.uid', type: 'UINT32', desc: 'user ID.', bind: () => (e) => e.proc?.uid },
  { name: 'user.name', type: 'CHARBUF', desc: 'user name.', bind: () => (e) => (e.proc ? user(e, e.proc.uid)?.name : undefined) },
  { name: 'user.homedir', type: 'CHARBUF', desc: 'home directory of the user.', bind: () => (e) => (e.proc ? user(e, e.proc.uid)?.home : undefined) },
  { name: 'user.shell', type: 'CHARBUF', desc: "user's shell.", bind: () => (e) => (e.proc ? user(e, e.proc.uid)?.shell : undefined) },
  { name: 'user.loginuid', type: 'INT64', desc: 'audit user id (auid), -1 when unset.', bind: () => (e) => (e.proc ? (e.proc.loginuid === UNSET ? -1 : e.proc.loginuid) : undefined) },
  {
    name: 'user.loginname',
    type: 'CHARBUF',
    desc: 'audit user name (auid).',
    bind: () => (e) => (e.proc ? (e.proc.loginuid === UNSET ? NA : user(e, e.proc.loginuid)?.name) : undefined),
  },
];

export const groupFields: Def[] = [
  { name: 'group.gid', type: 'UINT32', desc: 'group ID.', bind: () => (e) => e.proc?.gid },
  {
    name: 'group.name',
    type: 'CHARBUF',
    desc: 'group name.',
    bind: () => (e) => {
      const p = e.proc;
      return p ? (e.ctx.users.group(p.containerId, p.pid, p.gid) ?? (p.gid === 0 ? 'root' : NA)) : undefined;
    },
  },
];
