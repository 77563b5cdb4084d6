// The queue between the engine and one output: lines (formatted alerts) wait here, in order,
// until the output's pump has delivered them. push() is called on the evaluation path, so it
// never waits; the bound is what makes an alert be dropped (and the caller counts it).

export interface AlertQueue {
  readonly length: number;
  /** Appends a line; false when the bound is reached (the line was not taken). */
  push(line: string): boolean;
  /** Up to `max` lines from the head, still queued. */
  peek(max: number): string[];
  /** Removes `n` lines from the head (delivered, or given up and counted by the caller). */
  shift(n: number): void;
  /** Resolves once what the queue holds is as durable as it will be (spool: on disk). */
  close(): Promise<void>;
  /** close() without waiting, for the last moment of the process. */
  closeSync(): void;
  /** Lines that survive this process (a spool's), 0 for memory. */
  readonly durable: boolean;
}

/** A bounded in-memory FIFO (an array with a moving head: shift is O(1) amortised). */
export class MemoryQueue implements AlertQueue {
  private lines: string[] = [];
  private head = 0;
  readonly durable = false;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.lines.length - this.head;
  }

  push(line: string): boolean {
    if (this.length >= this.capacity) return false;
    this.lines.push(line);
    return true;
  }

  peek(max: number): string[] {
    return this.lines.slice(this.head, this.head + max);
  }

  shift(n: number): void {
    this.head += Math.min(n, this.length);
    if (this.head === this.lines.length) {
      this.lines = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  closeSync(): void {}
}
