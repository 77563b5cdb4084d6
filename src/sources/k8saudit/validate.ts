// Recognising audit events in what a client POSTs: an audit.k8s.io EventList (v1 or v1beta1),
// a single Event, or a JSON array of Events. Each item is checked on its own, so one bad event
// never costs the rest of its batch.
import type { Json, JsonObject } from './event.js';

export const API_VERSIONS = new Set(['audit.k8s.io/v1', 'audit.k8s.io/v1beta1']);
export const STAGES = new Set(['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);
export const LEVELS = new Set(['None', 'Metadata', 'Request', 'RequestResponse']);

/**
 * How deep an event may nest (the event object itself is level 1), outside the request and
 * response bodies. Real audit events stay well under 100; the checks here render these members
 * with JSON.stringify, which overflows from ~5,000 levels.
 *
 * The bodies (requestObject, responseObject) may nest deeper: they hold what the client sent, and
 * like Falco's k8saudit plugin Kestrel still evaluates the fields it reads there (walks that are
 * iterative), so a deep value beside `securityContext.privileged: true` cannot hide the pod from
 * the rules. A field that renders a deep body whole (json.obj) throws for that rule only, which
 * the engine counts in kestrel_evaluation_errors_total.
 */
export const BODY_MEMBERS: ReadonlySet<string> = new Set(['requestObject', 'responseObject']);
export const MAX_EVENT_DEPTH = 1000;

export interface Rejection {
  /** Position of the item in the batch (0 for a single Event). */
  index: number;
  /** Stable reason code, also the metric label. */
  reason: string;
  message: string;
}

export interface Items {
  items: Json[];
  /** Set when the body is not an audit payload at all (then items is empty). */
  problem?: Rejection;
}

/** Splits a parsed body into the events it carries. */
export function itemsOf(body: Json): Items {
  if (Array.isArray(body)) return { items: body };
  if (body === null || typeof body !== 'object') {
    return { items: [], problem: { index: 0, reason: 'not-an-object', message: `body is a JSON ${kindOf(body)}, not an audit Event or EventList` } };
  }
  if (body.kind === 'EventList') {
    if (body.apiVersion !== undefined && !API_VERSIONS.has(body.apiVersion as string)) {
      return { items: [], problem: { index: 0, reason: 'wrong-api-version', message: `EventList apiVersion ${JSON.stringify(body.apiVersion)} is not audit.k8s.io/v1 or v1beta1` } };
    }
    if (!Array.isArray(body.items)) {
      return { items: [], problem: { index: 0, reason: 'bad-items', message: 'EventList has no items array' } };
    }
    return { items: body.items };
  }
  return { items: [body] };
}

/** Why `item` is not a usable audit event, or undefined when it is one. */
export function eventProblem(item: Json, index: number): Rejection | undefined {
  const bad = (reason: string, message: string): Rejection => ({ index, reason, message });
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    return bad('not-an-object', `item is a JSON ${kindOf(item)}, not an audit Event object`);
  }
  const e = item as JsonObject;
  // First: the checks below render values with JSON.stringify, which a deep value overflows.
  for (const key in e) {
    if (!BODY_MEMBERS.has(key) && nestsDeeperThan(e[key]!, MAX_EVENT_DEPTH - 1)) {
      return bad('too-deep', `${JSON.stringify(key.slice(0, 100))} nests more than ${MAX_EVENT_DEPTH} levels deep`);
    }
  }
  if (e.kind !== undefined && e.kind !== 'Event') return bad('wrong-kind', `kind is ${JSON.stringify(e.kind)}, expected "Event"`);
  if (e.apiVersion !== undefined && !API_VERSIONS.has(e.apiVersion as string)) {
    return bad('wrong-api-version', `apiVersion ${JSON.stringify(e.apiVersion)} is not audit.k8s.io/v1 or v1beta1`);
  }
  if (typeof e.auditID !== 'string' || e.auditID === '') return bad('missing-audit-id', 'auditID is missing or not a string');
  if (typeof e.stage !== 'string' || !STAGES.has(e.stage)) return bad('bad-stage', `stage ${JSON.stringify(e.stage)} is not a known audit stage`);
  if (e.level !== undefined && (typeof e.level !== 'string' || !LEVELS.has(e.level))) {
    return bad('bad-level', `level ${JSON.stringify(e.level)} is not a known audit level`);
  }
  if (typeof e.verb !== 'string') return bad('missing-verb', 'verb is missing or not a string');
  if (typeof e.requestURI !== 'string') return bad('missing-request-uri', 'requestURI is missing or not a string');
  if (e.user === null || typeof e.user !== 'object' || Array.isArray(e.user)) return bad('missing-user', 'user is missing or not an object');
  for (const k of ['stageTimestamp', 'requestReceivedTimestamp'] as const) {
    if (e[k] !== undefined && typeof e[k] !== 'string') return bad('bad-timestamp', `${k} is not a string`);
  }
  return undefined;
}

// The walk's work lists, reused: validation runs for every event the webhook receives.
const pendingValues: Json[] = [];
const pendingDepths: number[] = [];

/** Whether `value` holds arrays or objects nested more than `limit` levels; iterative, so any depth is safe. */
export function nestsDeeperThan(value: Json, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  pendingValues.length = 0;
  pendingDepths.length = 0;
  pendingValues.push(value);
  pendingDepths.push(1);
  let tooDeep = false;
  while (pendingValues.length > 0 && !tooDeep) {
    const v = pendingValues.pop()!;
    const depth = pendingDepths.pop()!;
    if (depth > limit) tooDeep = true;
    else if (Array.isArray(v)) {
      for (const x of v) pendIfNested(x, depth + 1);
    } else {
      const o = v as JsonObject;
      for (const k in o) pendIfNested(o[k]!, depth + 1);
    }
  }
  pendingValues.length = 0;
  pendingDepths.length = 0;
  return tooDeep;
}

function pendIfNested(value: Json, depth: number): void {
  if (value === null || typeof value !== 'object') return;
  pendingValues.push(value);
  pendingDepths.push(depth);
}

function kindOf(v: Json): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
