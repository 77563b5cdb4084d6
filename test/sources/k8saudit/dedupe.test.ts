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
