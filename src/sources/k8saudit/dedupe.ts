/**
 * Remembers the last `capacity` (auditID, stage) pairs seen, so an event delivered twice (the
 * apiserver retries a batch it thinks failed) is evaluated once. Oldest entries go first; a ring
 * of keys says which is oldest (a Set's own order would make that O(n) once it has holes).
 */
export class SeenEvents {
  private readonly seen = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(Math.max(0, capacity));
  }

  /** Records the pair; returns false when it was already seen. */
  add(auditID: string, stage: string): boolean {
    if (this.capacity <= 0) return true;
    const key = `${auditID}\u0000${stage}`;
    if (this.seen.has(key)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.seen.delete(oldest);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.capacity;
    this.seen.add(key);
    return true;
  }

  /** Forgets a pair (an event that was not kept after all). Its ring slot simply expires later. */
  delete(auditID: string, stage: string): void {
    this.seen.delete(`${auditID}\u0000${stage}`);
  }

  get size(): number {
    return this.seen.size;
  }
}
