// User and group names, per root filesystem: the host's /etc/passwd for host processes, the
// container's own /etc/passwd (read through /proc/PID/root) for containers, as libsinsp's
// sinsp_usergroup_manager does (userspace/libsinsp/user.cpp). Unlike libsinsp, which reads a
// container's files once, the tables are re-checked at a bounded rate (one stat of each file per
// root per refresh interval) and re-read when a file changed, so users added later resolve.
import { lstatSync, readFileSync, statSync } from 'node:fs';

export interface UserEntry {
  name: string;
  home: string;
  shell: string;
}

export interface UserTables {
  users: Map<number, UserEntry>;
  groups: Map<number, string>;
}

/** Serializable form (capture snapshots). */
export interface UserTablesJson {
  users: [number, UserEntry][];
  groups: [number, string][];
}

export function parsePasswd(text: string): Map<number, UserEntry> {
  const m = new Map<number, UserEntry>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    if (!Number.isInteger(uid) || m.has(uid)) continue;
    m.set(uid, { name: f[0]!, home: f[5]!, shell: f[6]! });
  }
  return m;
}

export function parseGroup(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid) || m.has(gid)) continue;
    m.set(gid, f[0]!);
  }
  return m;
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads `<root>/etc/passwd` and `<root>/etc/group`; undefined when neither is readable. */
export function readUserTables(root: string): UserTables | undefined {
  const base = root.endsWith('/') ? root.slice(0, -1) : root;
  const passwd = readOr(`${base}/etc/passwd`);
  const group = readOr(`${base}/etc/group`);
  if (passwd === undefined && group === undefined) return undefined;
  return { users: parsePasswd(passwd ?? ''), groups: parseGroup(group ?? '') };
}

export function tablesToJson(t: UserTables): UserTablesJson {
  return { users: [...t.users], groups: [...t.groups] };
}

export function tablesFromJson(j: UserTablesJson): UserTables {
  return { users: new Map(j.users), groups: new Map(j.groups) };
}

/** How to reach the tables of a root: read them, and say whether they changed (cheaply). */
export interface UserTableSource {
  read(key: string, pid: number): UserTables | undefined;
  /**
   * The identity of the files now (device, inode, size, mtime), compared with the last one to
   * decide whether to read again; undefined when the root cannot be read now (the process is
   * gone, or still sees the host's root before its runtime pivoted into the container's).
   * Without it the tables are read once.
   */
  stamp?(key: string, pid: number): string | undefined;
}

export interface UserDbOptions {
  /** How long tables are trusted before their files are stat'ed again (ms). */
  refreshMs?: number;
  /** How soon a root that could not be read is tried again (ms). */
  retryMs?: number;
  /** ms clock (tests). */
  now?: () => number;
}

interface Entry {
  tables: UserTables | undefined;
  stamp: string | undefined;
  checkedAt: number;
}

const DEFAULT_REFRESH_MS = 2000;
const DEFAULT_RETRY_MS = 100;

/**
 * Tables by key: '' for the host, the container id for containers. In live mode a source reads
 * them on first use and re-reads them when their files change; in replay they come from the
 * capture (set()).
 */
export class UserDb {
  private readonly tables = new Map<string, Entry>();
  private readonly source: UserTableSource | undefined;
  private readonly refreshMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  /** Reads of a root's files (first loads and reloads). */
  lookups = 0;
  /** Reads that found neither file. */
  loadFailures = 0;
  /** Reads after a file changed. */
  reloads = 0;
  /** Lookups put off because the root could not be reached yet. */
  deferred = 0;
  /** Called with (key, tables) when a table is loaded live (capture records it). */
  onLoad: ((key: string, t: UserTables) => void) | undefined;

  constructor(source?: UserTableSource | ((key: string, pid: number) => UserTables | undefined), opts: UserDbOptions = {}) {
    this.source = typeof source === 'function' ? { read: source } : source;
    this.refreshMs = opts.refreshMs ?? DEFAULT_REFRESH_MS;
    this.retryMs = opts.retryMs ?? DEFAULT_RETRY_MS;
    this.now = opts.now ?? Date.now;
  }

  set(key: string, t: UserTables): void {
    this.tables.set(key, { tables: t, stamp: undefined, checkedAt: Infinity });
  }

  entries(): [string, UserTables][] {
    const out: [string, UserTables][] = [];
    for (const [k, e] of this.tables) if (e.tables) out.push([k, e.tables]);
    return out;
  }

  /** Forgets a root (its container is gone). */
  delete(key: string): void {
    this.tables.delete(key);
  }

  /** The tables for a root key, loading or refreshing them (live mode) through a process living there. */
  get(key: string, pid: number): UserTables | undefined {
    const e = this.tables.get(key);
    const src = this.source;
    if (!src) return e?.tables;
    if (e) {
      if (!src.stamp) return e.tables;
      const now = this.now();
      if (now - e.checkedAt < (e.stamp === undefined ? this.retryMs : this.refreshMs)) return e.tables;
      return this.refresh(key, pid, e, now, src);
    }
    return this.refresh(key, pid, undefined, src.stamp ? this.now() : 0, src);
  }

  private refresh(key: string, pid: number, e: Entry | undefined, now: number, src: UserTableSource): UserTables | undefined {
    let stamp: string | undefined;
    if (src.stamp) {
      stamp = src.stamp(key, pid);
      if (stamp === undefined) {
        // not reachable now: keep what we had, try again soon
        this.deferred++;
        if (e) e.checkedAt = now;
        else this.tables.set(key, { tables: undefined, stamp: undefined, checkedAt: now });
        return e?.tables;
      }
      if (e && e.stamp === stamp) {
        e.checkedAt = now;
        return e.tables;
      }
    }
    this.lookups++;
    const tables = src.read(key, pid);
    if (!tables) this.loadFailures++;
    else if (e?.tables) this.reloads++;
    // a root without the files is remembered as such (by its stamp) until they appear
    this.tables.set(key, { tables, stamp: stamp ?? '', checkedAt: now });
    if (tables) this.onLoad?.(key, tables);
    return tables;
  }

  user(key: string, pid: number, uid: number): UserEntry | undefined {
    return this.get(key, pid)?.users.get(uid);
  }

  group(key: string, pid: number, gid: number): string | undefined {
    return this.get(key, pid)?.groups.get(gid);
  }
}

function statOrUndefined(path: string, follow: boolean) {
  try {
    return (follow ? statSync : lstatSync)(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // EACCES, ELOOP, ESRCH...: unreachable now
  }
}

function fileStamp(path: string): string {
  const st = statOrUndefined(path, false);
  // a symlink in a container's /etc would be followed from the host's root: not read
  if (!st || !st.isFile()) return '-';
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * Tables read from files under /proc: the host's from `hostRoots(pid)`, a container's through
 * `<proc>/<pid>/root` once that root is no longer the host's (the runtime's init runs in the
 * container's cgroup before it pivots into the container's root). When the process asked about
 * is gone (short-lived processes usually are by the time their record is read), other processes
 * of the same container (`othersOf`) are tried.
 */
export function procUserTableSource(proc: string, hostRoots: (pid: number) => string[], othersOf?: (key: string) => Iterable<number>): UserTableSource {
  const hostRootId = (): string | undefined => {
    const st = statOrUndefined(proc === '/proc' ? '/' : `${proc}/1/root`, true);
    return st ? `${st.dev}:${st.ino}` : undefined;
  };
  const containerRootOf = (pid: number, host: string | undefined): string | undefined => {
    const root = `${proc}/${pid}/root`;
    const st = statOrUndefined(root, true);
    return st && `${st.dev}:${st.ino}` !== host ? root : undefined;
  };
  /** A root of the container `key` reachable now: through `pid`, else another of its processes. */
  const rootOf = (key: string, pid: number): string | undefined => {
    if (key === '') {
      for (const root of hostRoots(pid)) if (statOrUndefined(root, true)) return root;
      return undefined;
    }
    const host = hostRootId();
    const own = containerRootOf(pid, host);
    if (own || !othersOf) return own;
    let tried = 0;
    for (const other of othersOf(key)) {
      if (other === pid) continue;
      const r = containerRootOf(other, host);
      if (r || ++tried >= 8) return r;
    }
    return undefined;
  };
  return {
    read(key, pid) {
      const root = rootOf(key, pid);
      if (root === undefined) return undefined;
      if (key === '') return readUserTables(root);
      // only regular files (as stamp() checks): a symlink would resolve against the host's root
      const base = `${root}/etc`;
      const passwd = fileStamp(`${base}/passwd`) === '-' ? undefined : readOr(`${base}/passwd`);
      const group = fileStamp(`${base}/group`) === '-' ? undefined : readOr(`${base}/group`);
      if (passwd === undefined && group === undefined) return undefined;
      return { users: parsePasswd(passwd ?? ''), groups: parseGroup(group ?? '') };
    },
    stamp(key, pid) {
      const root = rootOf(key, pid);
      if (root === undefined) return undefined;
      const base = root.endsWith('/') ? root.slice(0, -1) : root;
      return `${fileStamp(`${base}/etc/passwd`)} ${fileStamp(`${base}/etc/group`)}`;
    },
  };
}
