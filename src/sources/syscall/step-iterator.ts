// Replay readers as sync generators driven by a small async iterator: the generator yields its
// events and, where it must wait for I/O, the promise to wait for (the promise's value comes back
// as the value of that `yield`; its rejection is thrown there). An event costs one already-resolved
// promise (what `for await` needs), where an async generator's `yield` — and `yield*` over a sync
// generator inside one — costs several promise ticks per event: on a real capture, most of a
// replay's time went there.

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/** The async iterator over `steps`: its values that are not promises, in order, waiting on the promises it yields. */
export function stepIterator<T extends object>(steps: Generator<T | Promise<unknown>, void, unknown>): AsyncIterableIterator<T> {
  /** Runs the generator through the promises it waits on, up to its next value or its end. */
  const settle = async (first: IteratorResult<T | Promise<unknown>, void>): Promise<IteratorResult<T>> => {
    let r = first;
    while (!r.done && r.value instanceof Promise) {
      let value: unknown;
      try {
        value = await r.value;
      } catch (err) {
        r = steps.throw(err);
        continue;
      }
      r = steps.next(value);
    }
    return r.done ? DONE : (r as IteratorYieldResult<T>);
  };
  return {
    next(): Promise<IteratorResult<T>> {
      let r: IteratorResult<T | Promise<unknown>, void>;
      try {
        r = steps.next();
      } catch (err) {
        return Promise.reject(err as Error);
      }
      // the common case: the next event was ready
      if (!r.done && !(r.value instanceof Promise)) return Promise.resolve(r as IteratorYieldResult<T>);
      return settle(r);
    },
    /** Ends the generator early (`break` out of `for await`): its finally blocks run, waiting on what they yield. */
    async return(): Promise<IteratorResult<T>> {
      await settle(steps.return());
      return DONE;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
