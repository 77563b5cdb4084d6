import type { Logger } from 'pino';

/**
 * Logs the first occurrence of a recurring problem at once, then stays quiet until `quietMs`
 * pass without it, and then logs how many more there were: one line per burst, not per event.
 */
export class BurstLog {
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastDetail: Record<string, unknown> = {};

  constructor(
    private readonly log: Logger,
    private readonly what: string,
    private readonly quietMs = 10_000,
  ) {}

  note(detail: Record<string, unknown>, count = 1): void {
    if (this.timer === undefined) {
      this.log.warn(detail, this.what);
      if (count > 1) this.suppressed += count - 1;
    } else {
      this.suppressed += count;
      this.lastDetail = detail;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => this.flush(), this.quietMs);
    this.timer.unref();
  }

  /** Logs the pending summary, if any, and ends the burst. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed > 0) {
      this.log.warn({ ...this.lastDetail, more: this.suppressed }, `${this.what} (${this.suppressed} more in this burst)`);
    }
    this.suppressed = 0;
  }
}
