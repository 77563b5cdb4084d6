import { describe, expect, it } from 'vitest';
import { itemSizes, jsonByteLength } from '../../../src/sources/k8saudit/item-sizes.js';
import * as fx from './fixtures.js';

const sizesOf = (text: string) => itemSizes(Buffer.from(text));

describe('itemSizes: per-event byte sizes of a raw body', () => {
  it('measures each EventList item exactly as serialised, pretty-printed or not', () => {
    const items = [fx.execDeckhouse(), fx.podCreate({ privileged: true }), fx.configMapCreate({ 'a"}]{[': 'x\\"y' })];
    const compact = JSON.stringify(fx.eventList(items));
    expect(sizesOf(compact)).toEqual(items.map((i) => Buffer.byteLength(JSON.stringify(i))));
    const pretty = JSON.stringify(fx.eventList(items), null, 2);
    const parsedBack = (JSON.parse(pretty) as { items: unknown[] }).items;
    const sizes = sizesOf(pretty)!;
    expect(sizes).toHaveLength(3);
    // Pretty-printed items are measured with their own indentation.
    sizes.forEach((s, i) => expect(s).toBeGreaterThan(Buffer.byteLength(JSON.stringify(parsedBack[i]))));
  });

  it('handles scalars, nesting, multibyte text, top-level arrays and repeated items keys', () => {
    expect(sizesOf('{"kind":"EventList","items":[1, "ab" ,{"x":[1,{"y":"]"}]}, null]}')).toEqual([1, 4, 19, 4]);
    expect(sizesOf('[{"a":"é"},{"b":2}]')).toEqual([Buffer.byteLength('{"a":"é"}'), 7]);
    expect(sizesOf('{"items":[{"a":1}],"metadata":{"items":[1,2,3]},"items":[{"b":22},{}]}')).toEqual([8, 2]);
    expect(sizesOf('{"kind":"Event","items":"no"}')).toBeUndefined();
    expect(sizesOf('{"kind":"Event","auditID":"x"}')).toBeUndefined();
    expect(sizesOf('{"kind":"items","items":[]}')).toEqual([]);
  });
});

describe('jsonByteLength: the compact JSON size of a parsed value, at any depth', () => {
  it('equals the bytes of JSON.stringify for events, escapes and multibyte text', () => {
    for (const v of [fx.podCreate({ privileged: true }), fx.configMapCreate({ 'a"}]{[': 'x\\"y\u0001é😀' }), [], {}, [1, null, true, 'x', { a: [] }], 'plain', 0.5]) {
      expect(jsonByteLength(v)).toBe(Buffer.byteLength(JSON.stringify(v)));
    }
  });

  it('measures a value nested 100,000 levels deep, which JSON.stringify cannot serialise', () => {
    const depth = 100_000;
    const v = JSON.parse('['.repeat(depth) + ']'.repeat(depth));
    expect(() => JSON.stringify(v)).toThrow(RangeError);
    expect(jsonByteLength(v)).toBe(2 * depth);
  });
});
