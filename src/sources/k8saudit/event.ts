// One Kubernetes audit event (audit.k8s.io/v1 or v1beta1 `Event`), as parsed JSON, plus values
// derived from it on first use so that several rules asking for the same thing pay once.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A JSON value as the k8saudit plugin renders it: strings as they are, others as JSON text. */
function text(v: Json | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
}

export function member(o: Json | undefined, key: string): Json | undefined {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export class AuditEvent {
  // What nearly every rule tests, read once: upstream rules test the stage ~40 times per event,
  // the resource and verb ~20 times each.
  readonly stage: string | undefined;
  readonly verb: string | undefined;
  readonly resource: string | undefined;
  readonly subresource: string | undefined;
  readonly userName: string | undefined;
  /** Nanoseconds since the epoch, from stageTimestamp (else requestReceivedTimestamp, else receipt). */
  private time?: bigint;
  private rawTime?: string;
  private query?: URLSearchParams | null;
  private text?: string;

  constructor(
    readonly obj: JsonObject,
    /** When Kestrel received the event, ns since the epoch: the fallback time. */
    readonly receivedNs: bigint = BigInt(Date.now()) * 1_000_000n,
    /** The cluster this event came from, when the webhook is configured with a name. */
    readonly clusterName?: string,
  ) {
    this.stage = text(member(obj, 'stage'));
    this.verb = text(member(obj, 'verb'));
    const ref = member(obj, 'objectRef');
    this.resource = text(member(ref, 'resource'));
    this.subresource = text(member(ref, 'subresource'));
    this.userName = text(member(member(obj, 'user'), 'username'));
  }

  get timeNs(): bigint {
    if (this.time === undefined) {
      const o = this.obj;
      this.time =
        parseRfc3339Ns(o.stageTimestamp) ?? parseRfc3339Ns(o.requestReceivedTimestamp) ?? this.receivedNs;
    }
    return this.time;
  }

  /** timeNs as decimal text (jevt.rawtime, which many upstream macros test with `exists`). */
  get rawTimeText(): string {
    return (this.rawTime ??= String(this.timeNs));
  }

  /** The parsed query of requestURI; null when there is no requestURI or it cannot be parsed. */
  get uriQuery(): URLSearchParams | null {
    if (this.query === undefined) {
      const uri = this.obj.requestURI;
      this.query = null;
      if (typeof uri === 'string') {
        const q = uri.indexOf('?');
        try {
          this.query = new URLSearchParams(q < 0 ? '' : uri.slice(q + 1));
        } catch {
          this.query = null;
        }
      }
    }
    return this.query;
  }

  /** The whole event as indented JSON text (what the json plugin's json.obj shows). */
  get jsonText(): string {
    if (this.text === undefined) this.text = JSON.stringify(this.obj, null, 2);
    return this.text;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?(Z|z|[+-]\d{2}:?\d{2})$/;

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** RFC 3339 timestamp (as Kubernetes writes MicroTime) -> ns since the epoch, keeping all digits. */
export function parseRfc3339Ns(value: unknown): bigint | undefined {
  if (typeof value !== 'string') return undefined;
  // Fast path for what kube-apiserver writes: 2024-05-14T09:21:37.123456Z
  const len = value.length;
  if (len >= 20 && value.charCodeAt(len - 1) === 90 /* Z */ && value.charCodeAt(10) === 84 /* T */ && value.charCodeAt(19) !== 43 && value.charCodeAt(19) !== 45) {
    const ms = Date.UTC(digits(value, 0, 4), digits(value, 5, 7) - 1, digits(value, 8, 10), digits(value, 11, 13), digits(value, 14, 16), digits(value, 17, 19));
    let frac = 0;
    if (len > 21 && value.charCodeAt(19) === 46 /* . */) {
      const end = Math.min(len - 1, 29);
      frac = digits(value, 20, end);
      for (let i = end - 20; i < 9; i++) frac *= 10;
    } else if (len !== 20) {
      return parseGeneral(value);
    }
    if (!Number.isNaN(ms) && !Number.isNaN(frac) && value.charCodeAt(4) === 45 && value.charCodeAt(13) === 58) {
      return BigInt(ms) * 1_000_000n + BigInt(frac);
    }
  }
  return parseGeneral(value);
}

function parseGeneral(value: string): bigint | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  let ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const zone = m[8]!;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const d = zone.slice(1).replace(':', '');
    ms -= sign * (+d.slice(0, 2) * 60 + +d.slice(2, 4)) * 60_000;
  }
  if (Number.isNaN(ms)) return undefined;
  const frac = m[7] ? BigInt(m[7].padEnd(9, '0')) : 0n;
  return BigInt(ms) * 1_000_000n + frac;
}
