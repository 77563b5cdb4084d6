// User and group names, per root filesystem: the host's /etc/passwd for host processes, the
// container's own /etc/passwd (read through /proc/PID/root) for containers, as libsinsp does.
import { readFileSync } from 'node:fs';

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

/**
 * Tables by key: '' for the host, the container id for containers. In live mode a loader reads
 * them on first use (once per key); in replay they come from the capture.
 */
export class UserDb {
  private readonly tables = new Map<string, UserTables | null>();
  lookups = 0;
  loadFailures = 0;
  /** Called with (key, tables) when a table is loaded live (capture records it). */
  onLoad: ((key: string, t: UserTables) => void) | undefined;

  constructor(private readonly loader?: (key: string, pid: number) => UserTables | undefined) {}

  set(key: string, t: UserTables): void {
    this.tables.set(key, t);
  }

  entries(): [string, UserTables][] {
    return [...this.tables].filter((e): e is [string, UserTables] => e[1] !== null);
  }

  /** The tables for a root key, loading them (live mode) through a process living there. */
  get(key: string, pid: number): UserTables | undefined {
    let t = this.tables.get(key);
    if (t === undefined) {
      t = null;
      if (this.loader) {
        this.lookups++;
        const loaded = this.loader(key, pid);
        if (loaded) {
          t = loaded;
          this.onLoad?.(key, loaded);
        } else this.loadFailures++;
      }
      this.tables.set(key, t);
    }
    return t ?? undefined;
  }

  user(key: string, pid: number, uid: number): UserEntry | undefined {
    return this.get(key, pid)?.users.get(uid);
  }

  group(key: string, pid: number, gid: number): string | undefined {
    return this.get(key, pid)?.groups.get(gid);
  }
}
