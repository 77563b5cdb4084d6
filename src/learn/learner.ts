// The learner: folds evaluated events into profiles. Syscall events are read through the same
// field extractors the rules use (proc.exepath, fd.name, fd.sip, ...), so what is learned is
// exactly what the generated rules will test. Audit events are read from the audit event itself
// (objectRef.apiGroup is no field). Existing profiles are merged into; locked ones only counted.
import { syscallSource } from '../sources/syscall/source.js';
import type { SyscallEvent } from '../sources/syscall/syscall-event.js';
import { member, type AuditEvent } from '../sources/k8saudit/event.js';
import type { Extractor, FieldValue } from '../fields/types.js';
import { identify, type WorkloadIdentity } from './identity.js';
import { isRuntimeInit } from './runtime-init.js';
import { collapseWritePath, minimalPrefixes, newWorkloadProfile, underPrefix, widenWindow, emptyWindow, NAMES_KEPT, type SubjectProfile, type WorkloadProfile } from './profile.js';

function bind(name: string): Extractor<SyscallEvent> {
  const def = syscallSource.fields.get(name);
  if (!def?.bind) throw new Error(`learn: syscall field ${name} is not implemented`);
  return def.bind(undefined);
}

const F = {
  type: bind('evt.type'),
  rawres: bind('evt.rawres'),
  exepath: bind('proc.exepath'),
  pexepath: bind('proc.pexepath'),
  procName: bind('proc.name'),
  pname: bind('proc.pname'),
  isOpenWrite: bind('evt.is_open_write'),
  typechar: bind('fd.typechar'),
  name: bind('fd.name'),
  sip: bind('fd.sip'),
  cip: bind('fd.cip'),
  sport: bind('fd.sport'),
  l4proto: bind('fd.l4proto'),
};

const str = (v: FieldValue | undefined): string | undefined => (v === undefined || Array.isArray(v) ? undefined : String(v));
const EINPROGRESS = -115;
const EXECS = new Set(['execve', 'execveat']);
const OPENS = new Set(['open', 'openat', 'openat2', 'creat']);
const INBOUND = new Set(['accept', 'accept4']);

/** Which processes to learn: by namespace and by a workload key/name substring. Empty: all. */
export interface LearnSelector {
  namespaces: string[];
  workload?: string;
}

export function selects(sel: LearnSelector, id: WorkloadIdentity): boolean {
  if (sel.namespaces.length > 0 && (!id.namespace || !sel.namespaces.includes(id.namespace))) return false;
  return !sel.workload || id.key === sel.workload || id.name === sel.workload || id.key.includes(sel.workload);
}

/** In-memory working form of a workload profile: Sets for dedup, written back by finish(). */
class WorkloadState {
  readonly exes = new Map<string, Set<string>>();
  readonly writes = new Set<string>();
  readonly outbound = new Map<string, { peer: string; port: number; proto: string }>();
  readonly inbound = new Map<string, { peer: string; port: number; proto: string }>();
  readonly listening = new Map<string, { port: number; proto: string }>();
  readonly syscalls = new Set<string>();
  /** Mount namespaces the workload's processes ran in (this run): keys of the kernel's syscall capture. */
  readonly mntNs = new Set<number>();
  constructor(readonly profile: WorkloadProfile) {
    for (const [exe, parents] of Object.entries(profile.executables)) this.exes.set(exe, new Set(parents));
    for (const p of profile.writePrefixes) this.writes.add(p);
    for (const c of profile.outbound) this.outbound.set(`${c.peer} ${c.port} ${c.proto}`, c);
    for (const c of profile.inbound) this.inbound.set(`${c.peer} ${c.port} ${c.proto}`, c);
    for (const l of profile.listening) this.listening.set(`${l.port} ${l.proto}`, l);
    for (const s of profile.syscalls) this.syscalls.add(s);
  }
  /** Folds what another state learned (a container's events from before its metadata was known). */
  absorb(o: WorkloadState): void {
    for (const [exe, parents] of o.exes) {
      const mine = this.exes.get(exe) ?? new Set<string>();
      for (const p of parents) mine.add(p);
      this.exes.set(exe, mine);
    }
    for (const w of o.writes) if (!underPrefix(w, this.writes)) this.writes.add(w);
    for (const [k, v] of o.outbound) this.outbound.set(k, v);
    for (const [k, v] of o.inbound) this.inbound.set(k, v);
    for (const [k, v] of o.listening) this.listening.set(k, v);
    for (const s of o.syscalls) this.syscalls.add(s);
    for (const m of o.mntNs) this.mntNs.add(m);
    for (const [k, n] of Object.entries(o.profile.counts)) this.profile.counts[k] = (this.profile.counts[k] ?? 0) + n;
  }
  count(kind: string): void {
    this.profile.counts[kind] = (this.profile.counts[kind] ?? 0) + 1;
  }
  finish(): void {
    const p = this.profile;
    p.executables = Object.fromEntries([...this.exes].sort(([a], [b]) => a.localeCompare(b)).map(([e, ps]) => [e, [...ps].sort()]));
    p.writePrefixes = minimalPrefixes(this.writes);
    const order = (a: { peer: string; port: number; proto: string }, b: typeof a) => a.peer.localeCompare(b.peer) || a.port - b.port || a.proto.localeCompare(b.proto);
    p.outbound = [...this.outbound.values()].sort(order);
    p.inbound = [...this.inbound.values()].sort(order);
    p.listening = [...this.listening.values()].sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
    p.syscalls = [...this.syscalls].sort();
  }
}

export interface LearnSummary {
  events: number;
  /** Events of processes outside the selection, or whose container metadata was unknown. */
  unattributed: number;
  /** Events for locked profiles (not learned). */
  lockedSkipped: number;
}

export class Learner {
  private readonly workloads = new Map<string, WorkloadState>();
  private readonly subjects = new Map<string, SubjectProfile>();
  /**
   * Containers whose runtime metadata has not arrived yet (the lookup runs asynchronously): what
   * they did is kept under the container id and folded into their workload once it is known, so a
   * container's first moments (its entrypoint's exec) are learned too.
   */
  private readonly pending = new Map<string, { state: WorkloadState; ctx: SyscallEvent['ctx'] }>();
  readonly summary: LearnSummary = { events: 0, unattributed: 0, lockedSkipped: 0 };
  private firstNs = 0n;
  private lastNs = 0n;

  constructor(
    existing: { workloads: WorkloadProfile[]; subjects: SubjectProfile[] },
    private readonly selector: LearnSelector = { namespaces: [] },
  ) {
    for (const p of existing.workloads) this.workloads.set(p.identity.key, new WorkloadState(p));
    for (const s of existing.subjects) this.subjects.set(s.key, s);
  }

  private seen(ns: bigint): void {
    if (this.firstNs === 0n || ns < this.firstNs) this.firstNs = ns;
    if (ns > this.lastNs) this.lastNs = ns;
  }

  private workload(e: SyscallEvent): WorkloadState | undefined {
    const proc = e.proc;
    if (!proc) return undefined;
    const cid = proc.containerId;
    const container = cid ? e.ctx.containers.get(cid) : undefined;
    const id = identify(container, cid !== '', proc.exepath);
    if (!id) {
      if (!cid || container?.lookup === 'failed') return undefined;
      let p = this.pending.get(cid);
      const provisional: WorkloadIdentity = { key: `container:${cid}`, kind: 'image', name: cid, derivedFrom: 'container metadata pending' };
      if (!p) this.pending.set(cid, (p = { state: new WorkloadState(newWorkloadProfile(provisional)), ctx: e.ctx }));
      return p.state;
    }
    if (!selects(this.selector, id)) return undefined;
    let w = this.workloads.get(id.key);
    if (!w) this.workloads.set(id.key, (w = new WorkloadState(newWorkloadProfile(id))));
    const early = cid ? this.pending.get(cid) : undefined;
    if (early) {
      this.pending.delete(cid);
      if (!w.profile.locked) w.absorb(early.state);
    }
    return w;
  }

  /** At the end: containers still without metadata are asked once more, else dropped (counted). */
  private settlePending(): void {
    for (const [cid, p] of this.pending) {
      const c = p.ctx.containers.get(cid);
      const id = identify(c, true, '');
      if (!id || !selects(this.selector, id)) {
        this.summary.unattributed += p.state.profile.counts.events ?? 0;
        continue;
      }
      let w = this.workloads.get(id.key);
      if (!w) this.workloads.set(id.key, (w = new WorkloadState(newWorkloadProfile(id))));
      if (!w.profile.locked) w.absorb(p.state);
    }
    this.pending.clear();
  }

  /** Learns from one syscall event (after the state was updated for it). */
  syscall(e: SyscallEvent): void {
    this.summary.events++;
    if (isRuntimeInit(str(F.exepath(e)) ?? '', str(F.pname(e)) ?? '', str(F.procName(e)) ?? '')) {
      // the OCI runtime setting the container up, not the workload (runtime-init.ts)
      this.summary.unattributed++;
      return;
    }
    const w = this.workload(e);
    if (!w) {
      this.summary.unattributed++;
      return;
    }
    if (w.profile.locked) {
      this.summary.lockedSkipped++;
      return;
    }
    this.seen(e.timeNs());
    const type = e.spec.name;
    w.syscalls.add(type);
    w.mntNs.add(e.mntNs);
    w.count('events');
    const res = Number(F.rawres(e) ?? 0);
    if (EXECS.has(type)) {
      if (res < 0) return;
      const exe = str(F.exepath(e));
      // "/" and the like: no file (runc's re-exec of itself from a memfd shows so); nothing to allow
      if (!exe || exe.endsWith('/')) return;
      let parents = w.exes.get(exe);
      if (!parents) w.exes.set(exe, (parents = new Set()));
      const parent = str(F.pexepath(e));
      if (parent) parents.add(parent);
      w.count('exec');
    } else if (OPENS.has(type)) {
      if (res < 0 || F.isOpenWrite(e) !== true || F.typechar(e) !== 'f') return;
      const path = str(F.name(e));
      if (!path || !path.startsWith('/')) return;
      if (!underPrefix(path, w.writes)) w.writes.add(collapseWritePath(path));
      w.count('write');
    } else if (type === 'connect') {
      if (res < 0 && res !== EINPROGRESS) return;
      const conn = this.endpoint(e, F.sip);
      if (!conn) return;
      w.outbound.set(`${conn.peer} ${conn.port} ${conn.proto}`, conn);
      w.count('connect');
    } else if (INBOUND.has(type)) {
      if (res < 0) return;
      const conn = this.endpoint(e, F.cip);
      if (!conn) return;
      w.inbound.set(`${conn.peer} ${conn.port} ${conn.proto}`, conn);
      w.listening.set(`${conn.port} ${conn.proto}`, { port: conn.port, proto: conn.proto });
      w.count('accept');
    } else if (type === 'listen' || type === 'bind') {
      const tc = F.typechar(e);
      const port = Number(F.sport(e) ?? 0);
      if (res < 0 || (tc !== '4' && tc !== '6') || port === 0) return;
      const proto = str(F.l4proto(e)) ?? 'tcp';
      if (type === 'listen' || proto === 'udp') w.listening.set(`${port} ${proto}`, { port, proto });
    }
  }

  private endpoint(e: SyscallEvent, peerField: Extractor<SyscallEvent>): { peer: string; port: number; proto: string } | undefined {
    const tc = F.typechar(e);
    if (tc !== '4' && tc !== '6') return undefined;
    const peer = str(peerField(e));
    const port = Number(F.sport(e) ?? 0);
    if (!peer || port === 0) return undefined;
    return { peer, port, proto: str(F.l4proto(e)) ?? 'tcp' };
  }

  /** Learns from one audit event (only ResponseComplete/Panic requests that were allowed). */
  audit(e: AuditEvent): void {
    this.summary.events++;
    if (e.stage !== 'ResponseComplete' || !e.verb || !e.userName) {
      this.summary.unattributed++;
      return;
    }
    const code = member(member(e.obj, 'responseStatus'), 'code');
    if (typeof code === 'number' && code === 403) {
      this.summary.unattributed++; // a forbidden request is no behaviour to grant
      return;
    }
    const s = this.subject(e);
    if (s.locked) {
      this.summary.lockedSkipped++;
      return;
    }
    this.seen(e.timeNs);
    s.counts.requests = (s.counts.requests ?? 0) + 1;
    const ref = member(e.obj, 'objectRef');
    if (ref === undefined) {
      const path = String(member(e.obj, 'requestURI') ?? '').split('?')[0]!;
      if (!s.nonResourceUrls.some((u) => u.verb === e.verb && u.path === path)) s.nonResourceUrls.push({ verb: e.verb, path });
      return;
    }
    const key = {
      verb: e.verb,
      apiGroup: String(member(ref, 'apiGroup') ?? ''),
      resource: e.resource ?? '',
      subresource: e.subresource ?? '',
      namespace: String(member(ref, 'namespace') ?? ''),
    };
    const name = member(ref, 'name');
    let a = s.access.find((x) => x.verb === key.verb && x.apiGroup === key.apiGroup && x.resource === key.resource && x.subresource === key.subresource && x.namespace === key.namespace);
    if (!a) s.access.push((a = { ...key, names: [], anyName: false }));
    // list/watch/create/deletecollection carry no name (RBAC cannot restrict them by name).
    if (typeof name !== 'string' || name === '') a.anyName = true;
    else if (!a.anyName && !a.names.includes(name)) a.names.push(name);
    if (a.names.length > NAMES_KEPT) a.anyName = true;
    if (a.anyName) a.names = [];
  }

  private subject(e: AuditEvent): SubjectProfile {
    const user = e.userName!;
    const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user);
    const key = sa ? `serviceaccount:${sa[1]}/${sa[2]}` : `user:${user}`;
    let s = this.subjects.get(key);
    if (!s) {
      const groups = member(member(e.obj, 'user'), 'groups');
      s = {
        key,
        kind: sa ? 'ServiceAccount' : 'User',
        name: sa ? sa[2]! : user,
        ...(sa ? { namespace: sa[1]! } : {}),
        groups: Array.isArray(groups) ? groups.map(String) : [],
        locked: false,
        window: emptyWindow(),
        access: [],
        nonResourceUrls: [],
        counts: {},
      };
      this.subjects.set(key, s);
    }
    return s;
  }

  /** Mount namespaces the selected workloads' processes ran in during this run. */
  mountNamespaces(): Set<number> {
    const out = new Set<number>();
    for (const w of this.workloads.values()) for (const ns of w.mntNs) out.add(ns);
    for (const p of this.pending.values()) for (const ns of p.state.mntNs) out.add(ns);
    return out;
  }

  /**
   * Adds the syscalls the kernel-side capture saw per mount namespace (live learning) to the
   * workloads whose processes ran in those namespaces. Returns how many workloads got some.
   */
  addKernelSyscalls(byMntNs: ReadonlyMap<number, readonly string[]>): number {
    this.settlePending();
    let n = 0;
    for (const w of this.workloads.values()) {
      if (w.profile.locked) continue;
      let got = false;
      for (const ns of w.mntNs) {
        for (const name of byMntNs.get(ns) ?? []) w.syscalls.add(name);
        got ||= byMntNs.has(ns);
      }
      if (got) n++;
    }
    return n;
  }

  /** Ends a run: writes the working sets back and records the run in every profile it touched. */
  finish(inputs: string[], at = new Date()): { workloads: WorkloadProfile[]; subjects: SubjectProfile[] } {
    this.settlePending();
    const from = this.firstNs ? new Date(Number(this.firstNs / 1_000_000n)).toISOString() : '';
    const to = this.lastNs ? new Date(Number(this.lastNs / 1_000_000n)).toISOString() : '';
    const run = { at: at.toISOString(), inputs, events: this.summary.events };
    const workloads = [...this.workloads.values()].map((w) => {
      if (!w.profile.locked) {
        w.finish();
        widenWindow(w.profile.window, from, to);
        w.profile.window.runs.push(run);
      }
      return w.profile;
    });
    const subjects = [...this.subjects.values()];
    for (const s of subjects) {
      if (s.locked) continue;
      s.access.sort((a, b) => `${a.namespace} ${a.apiGroup} ${a.resource} ${a.subresource} ${a.verb}`.localeCompare(`${b.namespace} ${b.apiGroup} ${b.resource} ${b.subresource} ${b.verb}`));
      widenWindow(s.window, from, to);
      s.window.runs.push(run);
    }
    return { workloads, subjects };
  }

  /** Per-workload counts while learning (progress lines). */
  progress(): { key: string; events: number }[] {
    return [...this.workloads.values()].map((w) => ({ key: w.profile.identity.key, events: w.profile.counts.events ?? 0 }));
  }
}

