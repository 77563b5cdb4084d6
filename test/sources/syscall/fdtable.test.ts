// The fd table answers like the Map it replaced: same entries after any sequence of opens, dups
// and closes, small and large fd numbers alike.
import { describe, expect, it } from 'vitest';
import { FdInfo } from '../../../src/sources/syscall/state/fd.js';
import { FdTable } from '../../../src/sources/syscall/state/fdtable.js';

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sorted = (xs: Iterable<[number, FdInfo]>) => [...xs].sort((a, b) => a[0] - b[0]);

describe('FdTable', () => {
  it('holds the same entries as a Map under random sets and deletes', () => {
    const r = rng(9);
    const table = new FdTable();
    const map = new Map<number, FdInfo>();
    const numbers = [0, 1, 2, 3, 4, 5, 17, 255, 1023, 1024, 4096, 65535, -1];
    for (let step = 0; step < 20_000; step++) {
      const n = numbers[Math.floor(r() * numbers.length)]!;
      const op = r();
      if (op < 0.5) {
        const fd = new FdInfo(n);
        expect(table.set(n, fd)).toBe(table);
        map.set(n, fd);
      } else if (op < 0.8) {
        expect(table.delete(n)).toBe(map.delete(n));
      } else {
        expect(table.get(n)).toBe(map.get(n));
        expect(table.has(n)).toBe(map.has(n));
      }
      expect(table.size).toBe(map.size);
    }
    expect(sorted(table)).toEqual(sorted(map));
    expect([...table.keys()].sort((a, b) => a - b)).toEqual([...map.keys()].sort((a, b) => a - b));
    expect(new Set(table.values())).toEqual(new Set(map.values()));
    expect(table.get(99999)).toBeUndefined();
    expect(table.delete(99999)).toBe(false);
  });

  it('lists small fds in numeric order, then the others as added', () => {
    const t = new FdTable();
    for (const n of [5000, 7, 2000, 0, 3]) t.set(n, new FdInfo(n));
    expect([...t.keys()]).toEqual([0, 3, 7, 5000, 2000]);
    t.clear();
    expect(t.size).toBe(0);
    expect([...t]).toEqual([]);
  });

  it('lets entries be deleted while iterating (exec closing cloexec fds)', () => {
    const t = new FdTable();
    for (let n = 0; n < 10; n++) {
      const fd = new FdInfo(n);
      fd.cloexec = n % 2 === 1;
      t.set(n, fd);
    }
    t.set(3000, Object.assign(new FdInfo(3000), { cloexec: true }));
    const copy = new FdTable();
    t.forEach((fd, n) => copy.set(n, fd));
    for (const [n, fd] of t) if (fd.cloexec) t.delete(n);
    expect([...t.keys()]).toEqual([0, 2, 4, 6, 8]);
    expect(t.size).toBe(5);
    copy.forEach((fd, n) => {
      if (fd.cloexec) copy.delete(n);
    });
    expect([...copy.keys()]).toEqual([0, 2, 4, 6, 8]);
  });
});
