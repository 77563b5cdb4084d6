// The guards every action passes before it runs: the namespace scope, a token bucket per action
// (the rate limit that holds under an alert storm), a cooldown per action and target, and
// idempotence (an action done on a target is not done again; one in flight is not started twice).
import type { ResponsesConfig } from './config.js';

const SYSTEM_NAMESPACES = ['kube-system'];

/** Why an action may not touch this namespace, or undefined when it may. */
export function namespaceDenied(ns: string | undefined, cfg: Pick<ResponsesConfig, 'namespaces' | 'own_namespace'>): string | undefined {
  if (ns === undefined) return undefined;
  const { allow, deny } = cfg.namespaces;
  if (deny.includes(ns)) return `namespace ${ns} is in namespaces.deny`;
  const protectedNs = ns === cfg.own_namespace || SYSTEM_NAMESPACES.includes(ns);
  if (protectedNs && !allow.includes(ns)) return `namespace ${ns} is protected (${ns === cfg.own_namespace ? "Kestrel's own" : 'a system namespace'}); list it in namespaces.allow to act there`;
  if (allow.length > 0 && !allow.includes(ns)) return `namespace ${ns} is not in namespaces.allow`;
  return undefined;
}

/** A token bucket: `burst` actions at once, refilled at `perMinute`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.perMinute) / 60_000);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export type Admission = 'go' | 'rate_limited' | 'cooldown' | 'duplicate';

const REMEMBERED = 10_000;

/** Rate limits, cooldowns and idempotence across all response rules. */
export class ActionGate {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly lastTry = new Map<string, number>();
  private readonly done = new Set<string>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly cfg: Pick<ResponsesConfig, 'rate_limit' | 'cooldown_seconds'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Decides whether `action` may run on `target` now; on 'go' the caller must call finish(). */
  admit(action: string, target: string): Admission {
    const key = `${action}\u0000${target}`;
    if (this.done.has(key) || this.inFlight.has(key)) return 'duplicate';
    const last = this.lastTry.get(key);
    if (last !== undefined && this.now() - last < this.cfg.cooldown_seconds * 1000) return 'cooldown';
    let bucket = this.buckets.get(action);
    if (!bucket) this.buckets.set(action, (bucket = new TokenBucket(this.cfg.rate_limit.per_minute, this.cfg.rate_limit.burst, this.now)));
    if (!bucket.take()) return 'rate_limited';
    this.inFlight.add(key);
    this.remember(this.lastTry, key, this.now());
    return 'go';
  }

  /** Records the outcome: a target acted on (or already gone) is never acted on again. */
  finish(action: string, target: string, settled: boolean): void {
    const key = `${action}\u0000${target}`;
    this.inFlight.delete(key);
    if (settled) {
      if (this.done.size >= REMEMBERED) this.done.delete(this.done.values().next().value!);
      this.done.add(key);
    }
  }

  private remember(map: Map<string, number>, key: string, value: number): void {
    map.delete(key);
    if (map.size >= REMEMBERED) map.delete(map.keys().next().value!);
    map.set(key, value);
  }
}
