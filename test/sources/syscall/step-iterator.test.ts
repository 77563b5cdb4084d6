// stepIterator drives a replay reader written as a sync generator: values come out in order, the
// promises it yields are waited on (their values sent back in, their rejections thrown in), and
// ending early runs the generator's finally, waiting on what it yields there.
import { describe, expect, it } from 'vitest';
import { stepIterator } from '../../../src/sources/syscall/step-iterator.js';

const later = <T>(v: T) => new Promise<T>((resolve) => setImmediate(() => resolve(v)));

describe('stepIterator', () => {
  it('yields the values in order and sends each awaited value back into the generator', async () => {
    function* steps(): Generator<{ n: number } | Promise<unknown>, void, unknown> {
      yield { n: 1 };
      const got = (yield later(41)) as number;
      yield { n: got + 1 };
      yield { n: 3 };
    }
    const out: number[] = [];
    for await (const v of stepIterator(steps())) out.push(v.n);
    expect(out).toEqual([1, 42, 3]);
  });

  it('throws a rejected read into the generator, after the values before it', async () => {
    const seen: string[] = [];
    function* steps(): Generator<{ n: number } | Promise<unknown>, void, unknown> {
      yield { n: 1 };
      try {
        yield Promise.reject(new Error('disk gone'));
      } catch (err) {
        seen.push(`caught ${(err as Error).message}`);
        throw new Error('read failed at byte offset 16', { cause: err });
      }
    }
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const v of stepIterator(steps())) out.push(v.n);
      })(),
    ).rejects.toThrow('read failed at byte offset 16');
    expect(out).toEqual([1]);
    expect(seen).toEqual(['caught disk gone']);
  });

  it('break runs the finally block and waits for the close it yields', async () => {
    const log: string[] = [];
    function* steps(): Generator<{ n: number } | Promise<unknown>, void, unknown> {
      try {
        for (let n = 1; ; n++) yield { n };
      } finally {
        yield later('closed').then((s) => log.push(s));
        log.push('finally done');
      }
    }
    for await (const v of stepIterator(steps())) if (v.n === 3) break;
    expect(log).toEqual(['closed', 'finally done']);
  });

  it('after the end, next() keeps answering done', async () => {
    function* steps(): Generator<{ n: number } | Promise<unknown>, void, unknown> {
      yield { n: 1 };
    }
    const it = stepIterator(steps());
    expect(await it.next()).toEqual({ value: { n: 1 }, done: false });
    expect((await it.next()).done).toBe(true);
    expect((await it.next()).done).toBe(true);
  });
});
