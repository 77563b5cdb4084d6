// A learned profile: what one workload (or one audit subject) did during learning. Profiles are
// plain JSON so they can be reviewed, edited, merged with a later run, and locked against change.
// Sets are kept as sorted arrays on disk and as Maps/Sets in memory (see ./store.ts).
import type { WorkloadIdentity } from './identity.js';

export interface LearningWindow {
  /** ISO times of the first and last event learned from (over every run merged in). */
  from: string;
  to: string;
  /** One entry per learning run: when it ran and from what. */
  runs: { at: string; inputs: string[]; events: number }[];
}

export interface Connection {
  /** Peer IP, or a CIDR once several peers of one network are collapsed. */
  peer: string;
  port: number;
  proto: string;
}

export interface WorkloadProfile {
  identity: WorkloadIdentity;
  /** A locked profile is kept as it is by later runs (what it saw is only counted). */
  locked: boolean;
  window: LearningWindow;
  /** Executables run, each with the executables of the parents that ran it. */
  executables: Record<string, string[]>;
  /** Path prefixes written to (collapsed: see collapseWritePath). */
  writePrefixes: string[];
  outbound: Connection[];
  /** Peers that connected in, and the local ports they reached. */
  inbound: Connection[];
  listening: { port: number; proto: string }[];
  /** Syscall names seen (only those the event stream carried: see the README). */
  syscalls: string[];
  /** Events seen per kind, for the summary and for reviewing how much the profile rests on. */
  counts: Record<string, number>;
}

export interface ApiAccess {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  /** "" for cluster-scoped requests. */
  namespace: string;
  /** Names requested; emptied (meaning any) once more than NAMES_KEPT were seen. */
  names: string[];
  anyName: boolean;
}

export interface SubjectProfile {
  /** user:NAME, or serviceaccount:NS/NAME. */
  key: string;
  kind: 'User' | 'ServiceAccount';
  name: string;
  namespace?: string;
  groups: string[];
  locked: boolean;
  window: LearningWindow;
  access: ApiAccess[];
  nonResourceUrls: { verb: string; path: string }[];
  counts: Record<string, number>;
}

/** Resource names kept per access before it stands for any name (audit2rbac keeps few too). */
export const NAMES_KEPT = 5;

/** Written-path collapsing: /tmp/* and per-PID dirs (/proc/<pid>, numeric components). */
const TMP_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run'];

/** The prefix a write is learned as: the file's directory, with per-run parts cut off. */
export function collapseWritePath(path: string): string {
  for (const t of TMP_DIRS) if (path === t || path.startsWith(t + '/')) return t;
  const parts = path.split('/');
  parts.pop(); // the file itself: files come and go (logs rotate), their directory stays
  // A numeric component (a pid, a per-run id) and everything below it is one prefix.
  const numeric = parts.findIndex((p, i) => i > 0 && /^\d+$/.test(p));
  const kept = numeric > 0 ? parts.slice(0, numeric) : parts;
  const dir = kept.join('/');
  return dir === '' ? '/' : dir;
}

/** Whether `path` lies under one of the prefixes (Falco's pmatch semantics). */
export function underPrefix(path: string, prefixes: Iterable<string>): boolean {
  for (const p of prefixes) if (p === '/' || path === p || path.startsWith(p + '/')) return true;
  return false;
}

/** Drops prefixes that another prefix in the list already covers. */
export function minimalPrefixes(prefixes: Iterable<string>): string[] {
  const sorted = [...new Set(prefixes)].sort();
  const out: string[] = [];
  for (const p of sorted) if (!underPrefix(p, out)) out.push(p);
  return out;
}

export function emptyWindow(): LearningWindow {
  return { from: '', to: '', runs: [] };
}

export function newWorkloadProfile(identity: WorkloadIdentity): WorkloadProfile {
  return { identity, locked: false, window: emptyWindow(), executables: {}, writePrefixes: [], outbound: [], inbound: [], listening: [], syscalls: [], counts: {} };
}

/** Widens a window by the times of a run. */
export function widenWindow(w: LearningWindow, fromIso: string, toIso: string): void {
  if (fromIso && (!w.from || fromIso < w.from)) w.from = fromIso;
  if (toIso && (!w.to || toIso > w.to)) w.to = toIso;
}
