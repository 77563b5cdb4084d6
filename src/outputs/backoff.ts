// Exponential backoff with jitter between delivery attempts ("equal jitter": half the capped
// exponential delay fixed, half random), so that many agents retrying one receiver spread out.

export interface BackoffSettings {
  /** Delay after the first failure. */
  initialMs: number;
  /** Cap of the exponential growth. */
  maxMs: number;
}

export class Backoff {
  private failures = 0;

  constructor(
    private readonly settings: BackoffSettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt; each call counts one more failure. */
  next(): number {
    const cap = Math.min(this.settings.maxMs, this.settings.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return cap / 2 + (this.random() * cap) / 2;
  }

  reset(): void {
    this.failures = 0;
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
