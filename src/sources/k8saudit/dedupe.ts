/**
 * Remembers, per audit stage, the last `capacity` auditIDs seen, so an event delivered twice (the
 * apiserver retries a batch it thinks failed) is evaluated once. Oldest entries go first.
 *
 * Each stage's window is an open-addressing hash table (linear probing, removed entries marked
 * and swept when they pile up) plus a ring of table slots in arrival order: one probe sequence
 * per event, where a Set plus a ring of IDs took three lookups in a large table (has, delete of
 * the oldest, add) on the webhook's hot path.
 */
/** A slot whose entry was removed: probing goes on past it, an insert may take it. */
const REMOVED = Symbol('removed');
type Slot = string | undefined | typeof REMOVED;

class Window {
  private keys: Slot[];
  private hashes: Int32Array;
  /** Where each slot's entry sits in `ring` (for removing it from the ring when it is deleted). */
  private ringAt: Int32Array;
  /** Table slots in arrival order (-1: free); `next` is the oldest. */
  private readonly ring: Int32Array;
  private next = 0;
  private mask: number;
  private removed = 0;
  size = 0;

  constructor(private readonly capacity: number) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.mask = slots - 1;
    this.keys = new Array<Slot>(slots);
    this.hashes = new Int32Array(slots);
    this.ringAt = new Int32Array(slots);
    this.ring = new Int32Array(capacity).fill(-1);
  }

  /** The slot holding `id`, or -1. */
  find(id: string, h = hashOf(id)): number {
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const k = this.keys[i];
      if (k === undefined) return -1;
      if (this.hashes[i] === h && k === id) return i;
    }
  }

  add(id: string): boolean {
    const h = hashOf(id);
    let free = -1;
    let i = h & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const k = this.keys[i];
      if (k === undefined) break;
      if (k === REMOVED) {
        if (free < 0) free = i;
      } else if (this.hashes[i] === h && k === id) return false;
    }
    const oldest = this.ring[this.next]!;
    if (oldest >= 0) this.remove(oldest);
    const slot = free >= 0 ? free : i;
    if (this.keys[slot] === REMOVED) this.removed--;
    this.keys[slot] = id;
    this.hashes[slot] = h;
    this.ring[this.next] = slot;
    this.ringAt[slot] = this.next;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.size++;
    if (this.removed * 4 > this.mask) this.sweep();
    return true;
  }

  delete(id: string): void {
    const slot = this.find(id);
    if (slot < 0) return;
    this.ring[this.ringAt[slot]!] = -1;
    this.remove(slot);
  }

  private remove(slot: number): void {
    this.keys[slot] = REMOVED;
    this.removed++;
    this.size--;
  }

  /** Rebuilds the table without the removed marks (they lengthen every probe sequence). */
  private sweep(): void {
    const keys = this.keys;
    const hashes = this.hashes;
    this.keys = new Array<Slot>(keys.length);
    this.hashes = new Int32Array(keys.length);
    this.ringAt = new Int32Array(keys.length);
    this.removed = 0;
    for (let r = 0; r < this.capacity; r++) {
      const old = this.ring[r]!;
      if (old < 0) continue;
      let i = hashes[old]! & this.mask;
      while (this.keys[i] !== undefined) i = (i + 1) & this.mask;
      this.keys[i] = keys[old];
      this.hashes[i] = hashes[old]!;
      this.ring[r] = i;
      this.ringAt[i] = r;
    }
  }
}

/** FNV-1a over the last 64 UTF-16 units (auditIDs differ at the end; equality is checked in full). */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, s.length - 64); i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
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

  /** Forgets a pair (an event that was not kept after all). */
  delete(auditID: string, stage: string): void {
    this.byStage.get(stage)?.delete(auditID);
  }

  get size(): number {
    let n = 0;
    for (const w of this.byStage.values()) n += w.size;
    return n;
  }
}
