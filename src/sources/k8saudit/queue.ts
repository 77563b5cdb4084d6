/**
 * The bounded queue between the webhook (which answers 200 only once events are in here) and
 * evaluation. Batches go in whole or not at all; a drain loop hands events to the sink in
 * chunks, yielding to the event loop between chunks so the server keeps answering.
 */
export class EventQueue<E> {
  private batches: E[][] = [];
  private head = 0;
  private count = 0;
  private scheduled = false;
  private waiters: Array<() => void> = [];

  constructor(
    readonly capacity: number,
    private readonly sink: (event: E) => void,
    private readonly chunk = 256,
    /** Called when the sink throws; the event is lost for evaluation but the queue goes on. */
    private readonly onSinkError: (err: unknown) => void = () => {},
  ) {}

  get length(): number {
    return this.count;
  }

  /** Whether a batch of `n` events would be taken now. */
  fits(n: number): boolean {
    // An empty queue takes any batch, so one larger than the capacity is not refused forever.
    return this.count === 0 || this.count + n <= this.capacity;
  }

  /** Queues the whole batch, or nothing (returns false) when it does not fit. */
  tryPush(batch: E[]): boolean {
    if (batch.length === 0) return true;
    if (!this.fits(batch.length)) return false;
    this.batches.push(batch);
    this.count += batch.length;
    this.schedule();
    return true;
  }

  /** Resolves once every queued event has gone to the sink. */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    let budget = this.chunk;
    while (budget > 0 && this.batches.length > 0) {
      const batch = this.batches[0]!;
      while (budget > 0 && this.head < batch.length) {
        const event = batch[this.head]!;
        batch[this.head++] = undefined as E; // let it be collected
        this.count--;
        budget--;
        try {
          this.sink(event);
        } catch (err) {
          this.onSinkError(err);
        }
      }
      if (this.head >= batch.length) {
        this.batches.shift();
        this.head = 0;
      }
    }
    if (this.count > 0) this.schedule();
    else for (const w of this.waiters.splice(0)) w();
  };
}
