// What one action came to. `gone`: the target no longer exists (the process exited, the object was
// already deleted): nothing left to do, and not a failure. `denied`: a guard refused it.
export type Result = 'ok' | 'gone' | 'failed' | 'denied' | 'dry_run' | 'rate_limited' | 'cooldown' | 'duplicate' | 'kill_switch';

export interface Outcome {
  result: Result;
  /** What was done or why not, in words (the log line and the notification carry it). */
  detail: string;
  /** e.g. the HTTP status the API server answered. */
  status?: number;
  /** capture: the capture file written. */
  file?: string;
}

export const ok = (detail: string, status?: number): Outcome => ({ result: 'ok', detail, ...(status ? { status } : {}) });
export const gone = (detail: string, status?: number): Outcome => ({ result: 'gone', detail, ...(status ? { status } : {}) });
export const failed = (detail: string, status?: number): Outcome => ({ result: 'failed', detail, ...(status ? { status } : {}) });
export const denied = (detail: string): Outcome => ({ result: 'denied', detail });

/** An action whose target was acted on or is gone is settled: it is never repeated. */
export function settled(o: Outcome): boolean {
  return o.result === 'ok' || o.result === 'gone';
}
