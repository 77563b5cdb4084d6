// Fuzzing the k8s_audit webhook over real HTTP: EventLists mixing valid events with hostile items
// (nesting 20,000 deep, 300 KB strings, odd scalars, any JSON, hostile values in the fields rules
// read) answer 200 whenever they hold a valid event, and every valid event of the batch is evaluated; whole bodies of junk
// (bytes, cut JSON, gzip garbage) answer a 4xx, never a 5xx; the heap returns near its baseline.
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRulesFromText } from '../../src/index.js';
import type { AuditEvent } from '../../src/sources/k8saudit/event.js';
import * as fx from '../sources/k8saudit/fixtures.js';
import { post, start, type Harness } from '../sources/k8saudit/webhook-harness.js';
import { EXEC_RULE, fuzzRuns, fuzzTimeout, heapAfterGc, hostileValue } from './fuzz-support.js';

const PLACEHOLDER = '"__HOSTILE__"';

/** A valid exec event with a unique auditID, as JSON text. */
function validEvent(): { id: string; text: string } {
  const e = fx.execDeckhouse();
  const id = randomUUID();
  e.auditID = id;
  return { id, text: JSON.stringify(e) };
}

/** Where a hostile value goes in an otherwise valid event: the fields the webhook and rules read first. */
const FIELDS = ['level', 'stage', 'kind', 'apiVersion', 'auditID', 'verb', 'requestURI', 'userAgent', 'user', 'user.username', 'user.groups', 'objectRef', 'objectRef.resource', 'objectRef.namespace', 'requestObject', 'responseStatus', 'annotations', 'sourceIPs', 'stageTimestamp'];

function eventWithHostileField(path: string, value: string): string {
  const e = fx.execDeckhouse();
  e.auditID = randomUUID();
  const keys = path.split('.');
  let at = e as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = '__HOSTILE__';
  return JSON.stringify(e).replace(PLACEHOLDER, () => value); // a function: no $ patterns in the value
}

const hostileItem: fc.Arbitrary<string> = fc.oneof(
  hostileValue,
  fc.tuple(fc.constantFrom(...FIELDS), hostileValue).map(([path, value]) => eventWithHostileField(path, value)),
);

/** A batch: valid events and hostile items interleaved. */
const batch = fc.array(fc.oneof(fc.constant<'valid'>('valid'), hostileItem), { minLength: 1, maxLength: 12 });


let h: Harness;
/** auditIDs of the events the rule alerted on: evaluated, not merely accepted. */
const evaluated = new Set<string>();
let baseline = 0;

beforeAll(async () => {
  const loaded = loadRulesFromText([{ name: 'fuzz.yaml', content: EXEC_RULE }]);
  expect(loaded.errors).toEqual([]);
  const rules = loaded.ruleset.forSource<AuditEvent>('k8s_audit')!;
  h = await start({ plain_http: true, allow_unauthenticated: true }, (e: AuditEvent) => {
    for (const a of rules.evaluate(e)) evaluated.add(String(a.output_fields['ka.auditid']));
  });
  // warm up (JIT, pools), then take the baseline
  const warm = validEvent();
  expect((await post(h.url, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${warm.text}]}`)).status).toBe(200);
  baseline = heapAfterGc();
});
afterAll(() => h?.runner.stop());

describe('webhook fuzzing (real HTTP)', () => {
  const batchRuns = fuzzRuns(150);
  it(`${batchRuns} EventLists mixing valid events and hostile items: no 5xx, 200 with any valid event, every valid event evaluated`, async () => {
    await fc.assert(
      fc.asyncProperty(batch, async (items) => {
        const valid: string[] = [];
        const texts = items.map((it) => {
          if (it !== 'valid') return it;
          const v = validEvent();
          valid.push(v.id);
          return v.text;
        });
        const r = await post(h.url, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${texts.join(',')}]}`);
        // a batch with no valid event may be refused as a whole (400); one with any is accepted
        if (valid.length > 0) expect(r.status, JSON.stringify(r.json).slice(0, 300)).toBe(200);
        else expect(r.status, JSON.stringify(r.json).slice(0, 300)).toBeLessThan(500);
        await h.runner.idle();
        expect(valid.filter((id) => !evaluated.has(id))).toEqual([]);
      }),
      { numRuns: batchRuns },
    );
  }, fuzzTimeout(batchRuns, 150));

  const junkRuns = fuzzRuns(300);
  it(`${junkRuns} bodies of junk (bytes, cut or altered JSON, gzip garbage): a 4xx, never a 5xx`, async () => {
    const listText = (n: number) => `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${Array.from({ length: n }, () => validEvent().text).join(',')}]}`;
    const junk = fc.oneof(
      hostileValue.map((text) => ({ body: Buffer.from(text), headers: {} })),
      fc.uint8Array({ maxLength: 4096 }).map((b) => ({ body: Buffer.from(b), headers: {} })),
      fc.tuple(fc.integer({ min: 1, max: 3 }), fc.double({ min: 0, max: 1, noNaN: true })).map(([n, cut]) => {
        const text = listText(n);
        return { body: Buffer.from(text.slice(0, Math.floor(text.length * cut))), headers: {} };
      }),
      fc.tuple(fc.integer({ min: 1, max: 3 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([n, at, byte]) => {
        const b = Buffer.from(listText(n));
        b[at % b.length] = byte;
        return { body: b, headers: {} };
      }),
      fc.uint8Array({ maxLength: 2048 }).map((b) => ({ body: Buffer.from(b), headers: { 'content-encoding': 'gzip' } })),
      fc.integer({ min: 0, max: 5000 }).map((cut) => {
        const gz = gzipSync(listText(2));
        return { body: gz.subarray(0, cut % gz.length), headers: { 'content-encoding': 'gzip' } };
      }),
    );
    await fc.assert(
      fc.asyncProperty(junk, async ({ body, headers }) => {
        const r = await post(h.url, body, undefined, headers);
        expect(r.status, JSON.stringify(r.json).slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: junkRuns },
    );
  }, fuzzTimeout(junkRuns, 50));

  it('afterwards: the webhook still accepts a valid event, and the heap is back near its baseline', async () => {
    const v = validEvent();
    const r = await post(h.url, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${v.text}]}`);
    expect(r.status).toBe(200);
    await h.runner.idle();
    expect(evaluated.has(v.id)).toBe(true);
    const grown = heapAfterGc() - baseline;
    expect(grown, `heap grew by ${Math.round(grown / 1e6)} MB`).toBeLessThan(48 * 1024 * 1024);
  });
});
