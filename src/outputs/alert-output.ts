// Alert outputs. write() never blocks the engine: lines wait in a bounded queue that a pump
// delivers in batches; when the queue is full or delivery fails, alerts are dropped and counted
// (kestrel_output_dropped_total{output,reason}) and logged once per burst.
import type { Logger } from 'pino';
import { BurstLog } from '../telemetry/burst-log.js';
import { alertToJson, alertToText, type Alert } from '../engine/alert.js';
import { outputDropped, outputWritten } from './metrics.js';

export type AlertFormat = 'json' | 'text';

export interface AlertOutput {
  readonly name: string;
  /** Queue one alert; returns false when it was dropped (queue full or output closed). */
  write(alert: Alert): boolean;
  /** Resolves once every queued alert has been delivered or dropped. */
  flush(): Promise<void>;
  /** Flushes, then releases the output. */
  close(): Promise<void>;
  /** Re-open underlying resources (e.g. a rotated log file); called on SIGHUP. */
  reopen?(): void;
}

export function formatAlert(alert: Alert, format: AlertFormat): string {
  return format === 'json' ? alertToJson(alert) : alertToText(alert);
}

export interface QueuedOutputOptions {
  format: AlertFormat;
  maxQueued: number;
  log: Logger;
}

export abstract class QueuedOutput implements AlertOutput {
  private queue: string[] = [];
  private pumping = false;
  private closed = false;
  private waiters: Array<() => void> = [];
  private readonly dropFull;
  private readonly dropFailed;
  private readonly written;
  protected readonly dropLog: BurstLog;

  constructor(
    readonly name: string,
    protected readonly opts: QueuedOutputOptions,
  ) {
    this.dropFull = outputDropped.labels({ output: name, reason: 'queue-full' });
    this.dropFailed = outputDropped.labels({ output: name, reason: 'delivery-failed' });
    this.written = outputWritten.labels({ output: name });
    this.dropLog = new BurstLog(opts.log, `output ${name}: alerts dropped`);
  }

  /**
   * Deliver these lines (each one alert, without newline). Rejects when they could not be; an
   * error with a `failures` count says only that many were lost.
   */
  protected abstract deliver(lines: string[]): Promise<void>;

  write(alert: Alert): boolean {
    if (this.closed || this.queue.length >= this.opts.maxQueued) {
      this.dropFull.inc();
      this.dropLog.note({ output: this.name, reason: this.closed ? 'closed' : 'queue-full', queued: this.queue.length });
      return false;
    }
    this.queue.push(formatAlert(alert, this.opts.format));
    if (!this.pumping) {
      this.pumping = true;
      queueMicrotask(() => void this.pump());
    }
    return true;
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.deliver(batch);
        this.written.inc(batch.length);
      } catch (err) {
        // An output that delivered part of the batch says how many it lost.
        const lost = Math.min(batch.length, (err as { failures?: number }).failures ?? batch.length);
        if (lost < batch.length) this.written.inc(batch.length - lost);
        this.dropFailed.inc(lost);
        this.dropLog.note({ output: this.name, reason: 'delivery-failed', error: (err as Error).message }, lost);
      }
    }
    this.pumping = false;
    for (const w of this.waiters.splice(0)) w();
  }

  flush(): Promise<void> {
    if (!this.pumping && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.dropLog.flush();
    await this.release();
  }

  protected async release(): Promise<void> {}
}
