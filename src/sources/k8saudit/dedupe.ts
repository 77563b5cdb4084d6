/**
 * Remembers the last `capacity` (auditID, stage) pairs seen, so an event delivered twice (the
 * apiserver retries a batch it thinks failed) is evaluated once. Oldest entries go first.
 */
export class SeenEvents {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Records the pair; returns false when it was already seen. */
  add(auditID: string, stage: string): boolean {
    if (this.capacity <= 0) return true;
    const key = `${auditID}\u0000${stage}`;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.capacity) {
      const oldest = this.seen.values().next().value as string;
      this.seen.delete(oldest);
    }
    this.seen.add(key);
    return true;
  }

  /** Forgets a pair (an event accepted into the queue that then could not be kept). */
  delete(auditID: string, stage: string): void {
    this.seen.delete(`${auditID}\u0000${stage}`);
  }

  get size(): number {
    return this.seen.size;
  }
}
