// Hostile nesting in audit events (issue 14, defect 1): a value nested thousands of levels deep
// once overflowed the stack while the batch was being processed, answered 500 and left the valid
// events of the same EventList marked as seen, so the apiserver's resend was skipped as a duplicate.
import { Writable } from 'node:stream';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../src/engine/alert.js';
import { loadRulesFromText } from '../../../src/index.js';
import { K8S_AUDIT_DEFAULTS } from '../../../src/sources/k8saudit/config.js';
import type { AuditEvent } from '../../../src/sources/k8saudit/event.js';
import { K8sAuditRunner } from '../../../src/sources/k8saudit/runner.js';
import { registry } from '../../../src/telemetry/metrics.js';
import * as fx from './fixtures.js';

const RULE = `
- rule: Exec into pod
  desc: test
  condition: ka.target.subresource = exec
  output: exec by %ka.user.name into %ka.target.name
  priority: NOTICE
  source: k8s_audit
`;

const DEPTH = 10_000;
// Bodies are built as text: the test's own JSON.stringify could not serialise the deep value.
const MARK = '__deep_value__';
const deep = (): string => MARK;
const body = (v: unknown): string => JSON.stringify(v).replace(`"${MARK}"`, '['.repeat(DEPTH) + ']'.repeat(DEPTH));

/** Where the deep value goes in an otherwise valid event. */
const PLACES: Array<[string, (e: fx.Obj) => void]> = [
  ['level', (e) => (e.level = deep())],
  ['stage', (e) => (e.stage = deep())],
  ['kind', (e) => (e.kind = deep())],
  ['apiVersion', (e) => (e.apiVersion = deep())],
  ['user.username', (e) => (e.user = { ...e.user, username: deep() })],
  ['objectRef.resource', (e) => (e.objectRef = { ...e.objectRef, resource: deep() })],
];

describe('k8s_audit webhook given an event nested thousands of levels deep', () => {
  let runner: K8sAuditRunner;
  let url: string;
  const alerts: Alert[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    const loaded = loadRulesFromText([{ name: 'test.yaml', content: RULE }]);
    expect(loaded.errors).toEqual([]);
    const rules = loaded.ruleset.forSource<AuditEvent>('k8s_audit')!;
    const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
    runner = new K8sAuditRunner({ ...K8S_AUDIT_DEFAULTS, address: '127.0.0.1', port: 0, plain_http: true, allow_unauthenticated: true, tls: {} });
    await runner.start({ emit: (e) => alerts.push(...rules.evaluate(e)), rules: () => ({ forSource: () => undefined }), log });
    url = `http://127.0.0.1:${runner.address()!.port}${K8S_AUDIT_DEFAULTS.path}`;
  });
  afterAll(() => runner.stop());

  async function post(text: string) {
    const res = await request(url, { method: 'POST', body: text, headers: { 'content-type': 'application/json' } });
    return { status: res.statusCode, text: await res.body.text() };
  }

  async function rejectedTooDeep(): Promise<number> {
    const m = await registry.getSingleMetric('kestrel_audit_events_rejected_total')?.get();
    return m?.values.find((v) => v.labels.reason === 'too-deep')?.value ?? 0;
  }

  it.each(PLACES)('rejects and counts the event deep in %s, and still evaluates the valid event batched with it', async (_place, spoil) => {
    const valid = fx.execDeckhouse();
    const bad = fx.execDeckhouse();
    spoil(bad);
    const countedBefore = await rejectedTooDeep();
    const alertsBefore = alerts.length;

    const r = await post(body(fx.eventList([valid, bad])));
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ accepted: 1, skipped: 0, rejected: [{ index: 1, reason: 'too-deep' }] });
    await runner.idle();
    expect(alerts.slice(alertsBefore).map((a) => [a.rule, a.output_fields['ka.target.name']])).toEqual([
      ['Exec into pod', valid.objectRef.name],
    ]);
    expect(await rejectedTooDeep()).toBe(countedBefore + 1);

    // The valid event was queued, so its resend is a duplicate; the bad one was never marked seen.
    const resent = await post(JSON.stringify(fx.eventList([valid])));
    expect(JSON.parse(resent.text)).toMatchObject({ accepted: 0, skipped: 1 });
  });

  it('logs the rejection with its reason', () => {
    expect(logs.filter((l) => l.includes('rejected audit events') && l.includes('too-deep')).length).toBeGreaterThan(0);
  });

  it('answers 400 to a lone deep event and keeps nothing of it, so a fixed resend is accepted', async () => {
    const bad = fx.execDeckhouse();
    bad.level = deep();
    const r = await post(body(bad));
    expect(r.status, r.text).toBe(400);
    expect(JSON.parse(r.text)).toMatchObject({ accepted: 0, rejected: [{ index: 0, reason: 'too-deep' }] });
    const fixed = await post(JSON.stringify({ ...bad, level: 'Metadata' }));
    expect(JSON.parse(fixed.text)).toMatchObject({ accepted: 1 });
  });

  it('rejects a deep event whose body hides the items list from the size scanner (escaped "items" key)', async () => {
    const valid = fx.execDeckhouse();
    const bad = fx.execDeckhouse();
    bad.requestObject = { pad: 'x'.repeat(K8S_AUDIT_DEFAULTS.max_event_bytes), deep: deep() };
    const r = await post(body(fx.eventList([valid, bad])).replace('"items"', '"\\u0069tems"'));
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
  });
});
