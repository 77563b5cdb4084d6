// A process's fd table with the Map interface the state uses. Most fds are small numbers that
// are opened and closed all the time: they live in an array indexed by number (a Map's
// deletions make its backing store grow and be rebuilt every few opens). Iteration goes through
// the small fds in numeric order, then the others in insertion order (libsinsp's table is a
// hash map: it has no order either).
import type { FdInfo } from './fd.js';

/** fds below this go in the array. */
const SMALL = 1024;

export class FdTable implements Iterable<[number, FdInfo]> {
  private readonly slots: Array<FdInfo | undefined> = [];
  private big: Map<number, FdInfo> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(n: number): FdInfo | undefined {
    if (n >= 0 && n < SMALL) return n < this.slots.length ? this.slots[n] : undefined;
    return this.big?.get(n);
  }

  has(n: number): boolean {
    return this.get(n) !== undefined;
  }

  set(n: number, fd: FdInfo): this {
    if (n >= 0 && n < SMALL) {
      const s = this.slots;
      while (s.length <= n) s.push(undefined);
      if (s[n] === undefined) this.count++;
      s[n] = fd;
      return this;
    }
    const big = (this.big ??= new Map());
    if (!big.has(n)) this.count++;
    big.set(n, fd);
    return this;
  }

  delete(n: number): boolean {
    if (n >= 0 && n < SMALL) {
      if (n >= this.slots.length || this.slots[n] === undefined) return false;
      this.slots[n] = undefined;
      this.count--;
      return true;
    }
    if (!this.big?.delete(n)) return false;
    this.count--;
    return true;
  }

  clear(): void {
    this.slots.length = 0;
    this.big = undefined;
    this.count = 0;
  }

  /** Calls `f` for each entry, in iteration order, without allocating per entry. Entries may be deleted meanwhile. */
  forEach(f: (fd: FdInfo, n: number) => void): void {
    const s = this.slots;
    for (let n = 0; n < s.length; n++) {
      const fd = s[n];
      if (fd !== undefined) f(fd, n);
    }
    this.big?.forEach(f);
  }

  *entries(): IterableIterator<[number, FdInfo]> {
    const s = this.slots;
    for (let n = 0; n < s.length; n++) {
      const fd = s[n];
      if (fd !== undefined) yield [n, fd];
    }
    if (this.big) yield* this.big.entries();
  }

  *keys(): IterableIterator<number> {
    for (const [n] of this.entries()) yield n;
  }

  *values(): IterableIterator<FdInfo> {
    for (const [, fd] of this.entries()) yield fd;
  }

  [Symbol.iterator](): IterableIterator<[number, FdInfo]> {
    return this.entries();
  }
}
