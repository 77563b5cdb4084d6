import { describe, expect, it } from 'vitest';
import { SeenEvents } from '../../../src/sources/k8saudit/dedupe.js';

describe('SeenEvents (dedupe by auditID+stage)', () => {
  it('reports repeats, keeps stages apart, forgets the oldest beyond capacity (per stage)', () => {
    const s = new SeenEvents(2);
    expect(s.add('a', 'ResponseStarted')).toBe(true);
    expect(s.add('a', 'ResponseComplete')).toBe(true);
    expect(s.add('a', 'ResponseStarted')).toBe(false);
    expect(s.add('b', 'ResponseComplete')).toBe(true);
    expect(s.add('c', 'ResponseComplete')).toBe(true); // evicts a/ResponseComplete
    expect(s.size).toBe(3);
    expect(s.add('a', 'ResponseStarted')).toBe(false);
    expect(s.add('a', 'ResponseComplete')).toBe(true);
    expect(s.add('c', 'ResponseComplete')).toBe(false);
    s.delete('c', 'ResponseComplete');
    expect(s.add('c', 'ResponseComplete')).toBe(true);
  });

  it('after many wraps remembers exactly the last `capacity` pairs', () => {
    const s = new SeenEvents(1000);
    for (let i = 0; i < 10_500; i++) s.add(`id-${i}`, 'ResponseComplete');
    expect(s.size).toBe(1000);
    expect(s.add('id-9499', 'ResponseComplete')).toBe(true); // evicted
    expect(s.add('id-10499', 'ResponseComplete')).toBe(false); // remembered
  });

  it('capacity 0 disables it', () => {
    const s = new SeenEvents(0);
    expect(s.add('a', 'x')).toBe(true);
    expect(s.add('a', 'x')).toBe(true);
  });
});

describe('SeenEvents under churn', () => {
  it('matches a plain model over 200,000 adds and deletes with colliding and re-added IDs', () => {
    const cap = 500;
    const s = new SeenEvents(cap);
    const order: string[] = []; // the model: IDs in arrival order, the last `cap` remembered
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let repeats = 0;
    for (let i = 0; i < 200_000; i++) {
      const id = `id-${rand(3000)}`;
      if (rand(50) === 0) {
        s.delete(id, 'ResponseComplete');
        const at = order.indexOf(id);
        if (at >= 0) order.splice(at, 1, '');
        continue;
      }
      const known = order.includes(id);
      expect(s.add(id, 'ResponseComplete')).toBe(!known);
      if (known) repeats++;
      else {
        order.push(id);
        if (order.length > cap) order.shift();
      }
    }
    expect(repeats).toBeGreaterThan(10_000);
    expect(s.size).toBe(order.filter((x) => x !== '').length);
  });
});
