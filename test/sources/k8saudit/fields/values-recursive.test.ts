// valuesRecursive (the k8saudit plugin's getValuesRecursive) walks with its own work list so that
// request bodies nested any depth cannot overflow the stack: the same values, in the same order,
// as the plugin's recursive walk, and arrays nested 100,000 levels deep are walked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../../../src/sources/k8saudit/event.js';
import { NO_INDEX, step, valuesRecursive } from '../../../../src/sources/k8saudit/fields/json.js';

/** The plugin's recursion, as written there: the reference for the iterative walk. */
function reference(v: Json | undefined, index: number, keys: readonly string[], from = 0): Array<Json | undefined> | undefined {
  for (let i = from; i < keys.length; i++) {
    if (Array.isArray(v)) {
      if (index === NO_INDEX) {
        const out: Array<Json | undefined> = [];
        for (const el of v) {
          const vals = reference(el, index, keys, i);
          if (vals === undefined) out.push(undefined);
          else out.push(...vals);
        }
        return out;
      }
      if (index >= v.length) return undefined;
      v = v[index];
    }
    const k = keys[i]!;
    v = k === '' ? v : step(v, k);
    if (v === undefined) return undefined;
  }
  return [v as Json];
}

const KEY = fc.constantFrom('a', 'b', 'c', '');
const JSON_VALUE = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, 1, 'x'),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }),
  ),
})).value as fc.Arbitrary<Json>;

describe('valuesRecursive', () => {
  it('gives the plugin recursive walk values, in order, for any value, keys and index', () => {
    fc.assert(
      fc.property(JSON_VALUE, fc.array(KEY, { maxLength: 4 }), fc.constantFrom(NO_INDEX, 0, 1), fc.nat({ max: 2 }), (v, keys, index, from) => {
        expect(valuesRecursive(v, index, keys, from)).toEqual(reference(v, index, keys, from));
      }),
      { numRuns: 2000 },
    );
  });

  it('walks arrays nested 100,000 levels deep (the recursive walk overflows the stack)', () => {
    const depth = 100_000;
    const deep = JSON.parse('['.repeat(depth) + '{"image":"x"}' + ']'.repeat(depth)) as Json;
    expect(() => reference(deep, NO_INDEX, ['image'])).toThrow(RangeError);
    expect(valuesRecursive(deep, NO_INDEX, ['image'])).toEqual(['x']);
  });
});
