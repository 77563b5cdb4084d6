// What a response needs to know of an alert, read from the event synchronously while the source
// still holds it (a syscall event is a cursor over a batch that moves on once evaluation returns):
// the process (pid and start time, to verify a pidfd against), its container, its pod, and for an
// audit alert the object the request named.
import { randomUUID } from 'node:crypto';
import type { Alert } from '../engine/alert.js';
import type { FieldRegistry } from '../fields/registry.js';
import type { Extractor, FieldValue } from '../fields/types.js';

export interface ProcessFacts {
  pid: number;
  /** Start time, ns since the epoch (proc.pid.ts), when the source knows it. */
  startNs?: bigint;
  name?: string;
}

export interface ObjectRef {
  /** '' for the core group. */
  group: string;
  version: string;
  resource: string;
  namespace?: string;
  name: string;
  subresource?: string;
  /** The object's uid when the event carries it: deletes are made conditional on it. */
  uid?: string;
}

export interface AlertFacts {
  /** The audit ID for audit alerts, else a fresh UUID: what log lines and notifications cite. */
  id: string;
  alert: Alert;
  process?: ProcessFacts;
  /** Full container id (absent on the host). */
  container?: { id: string; type?: string; name?: string };
  pod?: { namespace: string; name: string; uid?: string };
  object?: ObjectRef;
  user?: string;
}

/** Reads fields of one source's events by name (`name` or `name[arg]`), binding each once. */
export class FieldReader {
  private readonly bound = new Map<string, Extractor<unknown> | null>();

  constructor(private readonly registry: FieldRegistry | undefined) {}

  read(event: unknown, ref: string): FieldValue | undefined {
    let x = this.bound.get(ref);
    if (x === undefined) {
      const open = ref.indexOf('[');
      const name = open < 0 ? ref : ref.slice(0, open);
      const arg = open < 0 ? undefined : ref.slice(open + 1, ref.endsWith(']') ? -1 : undefined);
      const def = this.registry?.get(name);
      x = def?.bind?.(arg) ?? null;
      this.bound.set(ref, x);
    }
    return x ? x(event) : undefined;
  }

  text(event: unknown, ref: string): string | undefined {
    const v = this.read(event, ref);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.join(',');
    return String(v);
  }
}

function intOf(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

export function syscallFacts(alert: Alert, event: unknown, f: FieldReader): AlertFacts {
  const facts: AlertFacts = { id: randomUUID(), alert };
  const pid = intOf(f.read(event, 'proc.pid'));
  if (pid !== undefined && pid > 0) {
    const ts = f.read(event, 'proc.pid.ts');
    facts.process = { pid, ...(typeof ts === 'bigint' && ts > 0n ? { startNs: ts } : typeof ts === 'number' && ts > 0 ? { startNs: BigInt(ts) } : {}) };
    const name = f.text(event, 'proc.name');
    if (name) facts.process.name = name;
  }
  const cid = f.text(event, 'container.full_id') ?? f.text(event, 'container.id');
  if (cid && cid !== 'host') {
    const type = f.text(event, 'container.type');
    const name = f.text(event, 'container.name');
    facts.container = { id: cid, ...(type ? { type } : {}), ...(name ? { name } : {}) };
  }
  const podName = f.text(event, 'k8s.pod.name');
  const podNs = f.text(event, 'k8s.ns.name');
  if (podName && podNs) {
    const uid = f.text(event, 'k8s.pod.uid');
    facts.pod = { namespace: podNs, name: podName, ...(uid ? { uid } : {}) };
  }
  return facts;
}

export function auditFacts(alert: Alert, event: unknown, f: FieldReader): AlertFacts {
  const facts: AlertFacts = { id: f.text(event, 'ka.auditid') ?? randomUUID(), alert };
  const resource = f.text(event, 'ka.target.resource');
  const name = f.text(event, 'ka.target.name');
  const namespace = f.text(event, 'ka.target.namespace');
  const subresource = f.text(event, 'ka.target.subresource');
  if (resource && name) {
    facts.object = {
      group: f.text(event, 'jevt.value[/objectRef/apiGroup]') ?? '',
      version: f.text(event, 'jevt.value[/objectRef/apiVersion]') ?? 'v1',
      resource,
      name,
      ...(namespace ? { namespace } : {}),
      ...(subresource ? { subresource } : {}),
    };
    // the uid of the object the request created (a create's response); a subresource call
    // (exec) answers with something else, so no uid is taken from it
    const uid = subresource ? undefined : f.text(event, 'jevt.value[/responseObject/metadata/uid]');
    if (uid) facts.object.uid = uid;
    if (resource === 'pods' && namespace) facts.pod = { namespace, name, ...(uid ? { uid } : {}) };
  }
  const user = f.text(event, 'ka.user.name');
  if (user) facts.user = user;
  return facts;
}
