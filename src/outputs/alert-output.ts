// Alert outputs. write() never blocks the engine: each output owns a bounded queue (in memory, or
// an on-disk spool) and a pump that delivers it in order. A failed delivery is retried with
// exponential backoff and jitter for as long as the alert is queued: an alert is lost only when
// the bound is reached (a new alert is refused), when the receiver refuses it for good, or at
// shutdown without a spool, and every loss is counted in kestrel_output_dropped_total.
// One output's pump never waits for another's: a stuck receiver fills only its own queue.
import type { Logger } from 'pino';
import { BurstLog } from '../telemetry/burst-log.js';
import { alertToJson, alertToText, DEFAULT_JSON_PROPS, type Alert } from '../engine/alert.js';
import { Backoff, sleep, type BackoffSettings } from './backoff.js';
import { alertFormatter, type AlertFormatter, type FormatOptions } from './format.js';
import { outputDropped, outputRetries, outputWritten, reportQueued } from './metrics.js';
import { MemoryQueue, type AlertQueue } from './queue.js';
import type { Counter } from 'prom-client';

export type AlertFormat = 'json' | 'text';

/** One alert as Falco prints it by default: JSON (json_output) or the text line. */
export function formatAlert(alert: Alert, format: AlertFormat): string {
  return format === 'json' ? alertToJson(alert) : alertToText(alert);
}

/** What an output could not deliver when it was closed. */
export interface CloseReport {
  output: string;
  /** Alerts still queued when the output stopped. */
  undelivered: number;
  /** Of those, how many are kept in the spool for the next start (the rest are lost). */
  spooled: number;
}

export interface AlertOutput {
  readonly name: string;
  /** Queue one alert; returns false when it was dropped (bound reached or output closed). */
  write(alert: Alert): boolean;
  /** Resolves once every queued alert has been delivered or dropped. */
  flush(): Promise<void>;
  /** Delivers what it can within `drainMs`, then stops and says what was left. */
  close(drainMs?: number): Promise<CloseReport>;
  /** Stops now (a second SIGTERM): spools or drops what is queued, synchronously. */
  abort(): CloseReport;
  /** Re-open underlying resources (e.g. a rotated log file); called on SIGHUP. */
  reopen?(): void;
  /** Alerts queued, not yet delivered. */
  readonly pending: number;
}

export interface QueuedOutputOptions {
  /** 'json' / 'text' with Falco's default properties, or the settings (json_include_*, ...). */
  format: AlertFormat | FormatOptions;
  /** A formatter shared with other outputs (built from `format` when absent). */
  formatter?: AlertFormatter;
  /** Bound of the in-memory queue (ignored when `queue` is given). */
  maxQueued: number;
  log: Logger;
  /** Falco's buffered_outputs: hold alerts briefly and write them together. */
  buffered?: boolean;
  backoff?: BackoffSettings;
  /** Attempts per alert before it is dropped (reason gave-up); 0 retries for as long as it is queued. */
  maxAttempts?: number;
  /** The queue to use instead of a MemoryQueue (a Spool). */
  queue?: AlertQueue;
}

/**
 * Why a delivery failed. `delivered` lines of the batch (from its start) did get through;
 * `permanent` means the next line must not be retried (dropped with `reason`).
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly detail: { delivered?: number; permanent?: boolean; reason?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

const DEFAULT_BACKOFF: BackoffSettings = { initialMs: 200, maxMs: 30_000 };
/** buffered_outputs: the longest an alert waits for company, and the batch that writes at once. */
const BUFFER_MS = 1000;
const BUFFER_LINES = 256;
const BATCH = 512;

export abstract class QueuedOutput implements AlertOutput {
  protected readonly queue: AlertQueue;
  private readonly formatLine: AlertFormatter;
  private pumping = false;
  private closing = false;
  private bufferTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private readonly abortCtl = new AbortController();
  private readonly backoff: Backoff;
  private headAttempts = 0;
  private readonly drops = new Map<string, ReturnType<Counter<'output' | 'reason'>['labels']>>();
  private readonly written;
  private readonly retries;
  protected readonly dropLog: BurstLog;
  private readonly failLog: BurstLog;

  constructor(
    readonly name: string,
    protected readonly opts: QueuedOutputOptions,
  ) {
    this.queue = opts.queue ?? new MemoryQueue(opts.maxQueued);
    this.formatLine = opts.formatter ?? alertFormatter(typeof opts.format === 'string' ? { json: opts.format === 'json', jsonProps: DEFAULT_JSON_PROPS, timeIso8601: false } : opts.format);
    this.backoff = new Backoff(opts.backoff ?? DEFAULT_BACKOFF);
    this.written = outputWritten.labels({ output: name });
    this.retries = outputRetries.labels({ output: name });
    this.dropLog = new BurstLog(opts.log, `output ${name}: alerts dropped`);
    this.failLog = new BurstLog(opts.log, `output ${name}: delivery failed, retrying`);
    reportQueued(name, () => this.queue.length);
    // A spool replayed from before: deliver it first (after the subclass has finished constructing).
    if (this.queue.length > 0) queueMicrotask(() => this.startPump());
  }

  /**
   * Deliver these lines (each one alert, without newline), in order. Throw a DeliveryError to
   * say how many got through and whether the next one is refused for good; any other error
   * means none got through and all will be retried. Stop early when `signal` aborts.
   */
  protected abstract deliver(lines: string[], signal: AbortSignal): Promise<void>;

  /** Whether lines are JSON (for a Content-Type). */
  protected get json(): boolean {
    return typeof this.opts.format === 'string' ? this.opts.format === 'json' : this.opts.format.json;
  }

  /** What is queued for this alert, given its formatted line (an output may add what it needs). */
  protected queuedLine(line: string, alert: Alert): string;
  protected queuedLine(line: string): string {
    return line;
  }

  get pending(): number {
    return this.queue.length;
  }

  protected get aborted(): boolean {
    return this.abortCtl.signal.aborted;
  }

  protected countDrop(reason: string, n = 1, detail: Record<string, unknown> = {}): void {
    if (n <= 0) return;
    let c = this.drops.get(reason);
    if (!c) this.drops.set(reason, (c = outputDropped.labels({ output: this.name, reason })));
    c.inc(n);
    this.dropLog.note({ output: this.name, reason, ...detail }, n);
  }

  write(alert: Alert): boolean {
    if (this.closing) {
      this.countDrop('closed');
      return false;
    }
    if (!this.queue.push(this.queuedLine(this.formatLine(alert), alert))) {
      this.countDrop(this.queue.durable ? 'spool-full' : 'queue-full', 1, { queued: this.queue.length });
      return false;
    }
    if (!this.pumping) {
      if (this.opts.buffered && this.queue.length < BUFFER_LINES) {
        this.bufferTimer ??= setTimeout(() => this.startPump(), BUFFER_MS);
      } else {
        this.pumping = true;
        queueMicrotask(() => void this.pump());
      }
    }
    return true;
  }

  private startPump(): void {
    if (this.bufferTimer) clearTimeout(this.bufferTimer);
    this.bufferTimer = undefined;
    if (this.pumping || this.queue.length === 0) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    const signal = this.abortCtl.signal;
    while (this.queue.length > 0 && !signal.aborted) {
      const batch = this.queue.peek(BATCH);
      try {
        await this.deliver(batch, signal);
        this.delivered(batch.length);
        this.backoff.reset();
      } catch (err) {
        if (signal.aborted) {
          if (err instanceof DeliveryError) this.delivered(Math.min(err.detail.delivered ?? 0, batch.length));
          break;
        }
        await this.failed(err as Error, batch.length, signal);
      }
    }
    this.pumping = false;
    for (const w of this.waiters.splice(0)) w();
  }

  private delivered(n: number): void {
    if (n <= 0) return;
    this.queue.shift(n);
    this.written.inc(n);
    this.headAttempts = 0;
  }

  private async failed(err: Error, batchLength: number, signal: AbortSignal): Promise<void> {
    const d = err instanceof DeliveryError ? err.detail : {};
    this.delivered(Math.min(d.delivered ?? 0, batchLength));
    if (d.permanent) {
      this.queue.shift(1);
      this.headAttempts = 0;
      this.countDrop(d.reason ?? 'rejected', 1, { error: err.message });
      return;
    }
    this.headAttempts++;
    const max = this.opts.maxAttempts ?? 0;
    if (max > 0 && this.headAttempts >= max) {
      this.queue.shift(1);
      this.headAttempts = 0;
      this.countDrop('gave-up', 1, { error: err.message, attempts: max });
      return;
    }
    this.retries.inc();
    const wait = Math.max(this.backoff.next(), d.retryAfterMs ?? 0);
    this.failLog.note({ output: this.name, error: err.message, queued: this.queue.length, retryInMs: Math.round(wait) });
    await sleep(wait, signal);
  }

  flush(): Promise<void> {
    this.startPump();
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(drainMs = Infinity): Promise<CloseReport> {
    this.closing = true;
    const drained = this.flush();
    let timer: NodeJS.Timeout | undefined;
    const deadline = Number.isFinite(drainMs) ? new Promise<void>((r) => (timer = setTimeout(r, drainMs))) : new Promise<void>(() => {});
    await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (this.pumping) {
      // Out of time: stop the delivery in progress and wait for the pump to notice.
      // A delivery that ignores the signal (a write the kernel never completes) gets one second.
      this.abortCtl.abort();
      await Promise.race([drained, sleep(1000)]);
    }
    const report = this.leftover();
    await this.queue.close();
    this.failLog.flush();
    this.dropLog.flush();
    await this.release();
    return report;
  }

  abort(): CloseReport {
    this.closing = true;
    this.abortCtl.abort();
    if (this.bufferTimer) clearTimeout(this.bufferTimer);
    const report = this.leftover();
    this.queue.closeSync();
    this.dropLog.flush();
    this.releaseNow();
    return report;
  }

  private leftover(): CloseReport {
    const left = this.queue.length;
    if (!this.queue.durable) this.countDrop('shutdown', left);
    return { output: this.name, undelivered: left, spooled: this.queue.durable ? left : 0 };
  }

  protected async release(): Promise<void> {}

  /** Releases what can be released synchronously (abort). */
  protected releaseNow(): void {}
}
