/**
 * Remembers, per audit stage, the last `capacity` auditIDs seen, so an event delivered twice (the
 * apiserver retries a batch it thinks failed) is evaluated once. Oldest entries go first; a ring
 * of IDs says which is oldest (a Set's own order would make that O(n) once it has holes).
 */
class Window {
  readonly ids = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.ids.add(id);
    return true;
  }
}

export class SeenEvents {
  private readonly byStage = new Map<string, Window>();

  constructor(private readonly capacity: number) {}

  /** Records the pair; returns false when it was already seen. */
  add(auditID: string, stage: string): boolean {
    if (this.capacity <= 0) return true;
    let w = this.byStage.get(stage);
    if (!w) this.byStage.set(stage, (w = new Window(this.capacity)));
    return w.add(auditID);
  }

  /** Forgets a pair (an event that was not kept after all). Its ring slot simply expires later. */
  delete(auditID: string, stage: string): void {
    this.byStage.get(stage)?.ids.delete(auditID);
  }

  get size(): number {
    let n = 0;
    for (const w of this.byStage.values()) n += w.ids.size;
    return n;
  }
}
