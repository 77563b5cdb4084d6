// Differential test of the webhook's indexed path (body-scan.ts + lazily read events) against the
// reference path (JSON.parse of the whole body, validate.ts), the way the webhook uses both
// (body.ts splitBody + eventsOf): for every body, well-formed or hostile, the same outcome (the
// same error text, the same rejections, skips and duplicates), every field of every accepted event
// the same value, and Falco's upstream k8s audit rules the same alerts.
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SourceRuleSet } from '../../../src/engine/ruleset.js';
import { loadRules } from '../../../src/index.js';
import { eventsOf, splitBody, type Outcome } from '../../../src/sources/k8saudit/body.js';
import { SeenEvents } from '../../../src/sources/k8saudit/dedupe.js';
import type { AuditEvent } from '../../../src/sources/k8saudit/event.js';
import { k8sAuditSource } from '../../../src/sources/k8saudit/source.js';
import * as fx from './fixtures.js';

const UPSTREAM = new URL('../../../../shared/upstream-rules/k8s_audit_rules.yaml', import.meta.url).pathname;
const haveUpstream = existsSync(UPSTREAM);
if (!haveUpstream) console.warn(`SKIPPED (alerts part of lazy-body.test.ts): upstream k8s audit rules not found at ${UPSTREAM}`);

const STAGES = new Set(['ResponseStarted', 'ResponseComplete']);

/** Every field with the arguments worth asking (index fields: none, 0 and 1; keyed fields: some keys). */
const FIELDS: Array<{ name: string; arg?: string }> = [];
for (const def of k8sAuditSource.fields.all()) {
  if (def.name.startsWith('evt.time') || def.name.startsWith('evt.datetime') || def.name === 'jevt.time' || def.name === 'evt.hostname') continue; // local-time renderings: compared through evt.rawtime
  if (!def.arg) FIELDS.push({ name: def.name });
  else if (def.arg.kind === 'index') FIELDS.push({ name: def.name }, { name: def.name, arg: '0' }, { name: def.name, arg: '1' });
  else if (def.name.endsWith('.value')) {
    for (const p of ['/stage', '/user/username', '/objectRef', '/requestObject/spec/containers/0/image', '/user/groups/1', '/responseStatus/code', '/annotations/a~1b', '/__proto__', '/constructor', '/nope', '', '/requestObject/spec/volumes', '/items/0'])
      FIELDS.push({ name: def.name, arg: p });
  } else if (def.name === 'ka.uri.param') FIELDS.push({ name: def.name, arg: 'command' }, { name: def.name, arg: 'watch' });
  else if (def.name === 'ka.req.volume.hostpath') FIELDS.push({ name: def.name, arg: '/var/run/docker.sock' }, { name: def.name, arg: '/etc*' });
  else FIELDS.push({ name: def.name, arg: 'x' });
}
const EXTRACTORS = FIELDS.map((f) => {
  const r = k8sAuditSource.fields.resolve(f.name, f.arg)!;
  return { label: f.arg === undefined ? f.name : `${f.name}[${f.arg}]`, ex: r.def.bind!(r.arg) };
});

function fieldValues(e: AuditEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { time: e.timeNs, identify: k8sAuditSource.identify!(e) };
  for (const { label, ex } of EXTRACTORS) {
    try {
      out[label] = ex(e);
    } catch (err) {
      out[label] = `threw ${(err as Error).message}`;
    }
  }
  return out;
}

function run(data: Buffer, indexed: boolean, maxEventBytes = 256 * 1024): { split: ReturnType<typeof splitBody>; outcome?: Outcome } {
  const split = splitBody(data, maxEventBytes, indexed);
  if (split.malformed !== undefined || split.problem) return { split };
  const dedupe = new SeenEvents(1024);
  return { split, outcome: eventsOf(split, 5_000_000_000n, { maxEventBytes, stages: STAGES, dedupe, clusterName: 'prod' }) };
}

let rules: SourceRuleSet<AuditEvent> | undefined;

function attempt(f: () => string): string {
  try {
    return f();
  } catch (err) {
    return `threw ${(err as Error).message}`;
  }
}

/** Runs both paths on `body` and expects the same everything; returns how many events the index served. */
function same(body: string | Buffer, maxEventBytes?: number): number {
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const ref = run(data, false, maxEventBytes);
  const lazy = run(data, true, maxEventBytes);
  expect(lazy.split.malformed).toEqual(ref.split.malformed);
  expect(lazy.split.problem).toEqual(ref.split.problem);
  if (!ref.outcome) return 0;
  const a = ref.outcome;
  const b = lazy.outcome!;
  expect(b.rejected).toEqual(a.rejected);
  expect([b.stageSkipped, b.duplicates, b.accepted.length]).toEqual([a.stageSkipped, a.duplicates, a.accepted.length]);
  let served = 0;
  for (let k = 0; k < a.accepted.length; k++) {
    const x = a.accepted[k]!;
    const y = b.accepted[k]!;
    if (y.indexed) served++;
    expect(fieldValues(y)).toEqual(fieldValues(x));
    expect(attempt(() => y.jsonText)).toBe(attempt(() => x.jsonText));
    if (rules) {
      const alerts = (e: AuditEvent) => rules!.evaluate(e).map((al) => ({ rule: al.rule, output: al.output, fields: al.output_fields }));
      expect(alerts(y)).toEqual(alerts(x));
    }
  }
  return served;
}

/** The fixtures: every scenario the upstream-rules test covers, in both API versions. */
function fixtureEvents(): fx.Obj[] {
  return [
    fx.execDeckhouse(),
    fx.execDeckhouse('ResponseComplete'),
    fx.portForward(),
    fx.ephemeralContainer(),
    fx.serviceCreate('NodePort'),
    fx.serviceCreate('ClusterIP', 'kube-system'),
    fx.configMapCreate({ 'aws_access_key_id': 'AKIA', 'x': 'y' }),
    fx.secretGet('kube-system', 'admin-token'),
    fx.secretGet('default', 'db', 403, fx.users.anonymous),
    fx.namespaceCreate('crypto'),
    fx.serviceAccountCreate('kube-system', 'sneaky'),
    fx.deploymentCreate(),
    fx.anonymousGet('/api/v1/pods'),
    fx.anonymousGet('/healthz', 'forbid'),
    fx.clusterRoleBinding('cluster-admin', [{ kind: 'User', name: 'eve' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }, { kind: 'Group', name: 'g' }]),
    fx.clusterRoleCreate('wild', [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]),
    fx.clusterRoleCreate('pods', [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }], 'Role'),
    fx.clusterRoleDelete('wild'),
    fx.ingressCreate(true),
    fx.ingressCreate(false),
    fx.podCreate({}),
    fx.podCreate({ privileged: true, hostNetwork: true, hostPID: true, hostIPC: true, hostPath: '/var/run/docker.sock' } as never),
    fx.auditEvent({ verb: 'get', uri: '/api/v1/namespaces/default/pods/p?watch=true', apiVersion: 'audit.k8s.io/v1beta1', level: 'Metadata', objectRef: { resource: 'pods', namespace: 'default', name: 'p' } }),
  ];
}

describe('webhook bodies: indexed path vs JSON.parse of the whole body', () => {
  beforeAll(async () => {
    if (!haveUpstream) return;
    const r = await loadRules([UPSTREAM], { ruleMatching: 'all' });
    expect(r.errors).toEqual([]);
    rules = r.ruleset.forSource<AuditEvent>('k8s_audit')!;
  });

  it('the fixtures as an EventList, one by one, as a bare array, compact and indented: same events, fields, alerts; all served by the index', () => {
    const events = fixtureEvents();
    const list = JSON.stringify(fx.eventList(events));
    expect(same(list)).toBe(events.length);
    for (const e of events) expect(same(JSON.stringify(e))).toBe(1);
    expect(same(JSON.stringify(events))).toBe(events.length);
    expect(same(JSON.stringify(fx.eventList(events, 'audit.k8s.io/v1beta1')))).toBe(events.length);
    // whitespace between tokens (kubectl-style pretty printing) is still indexed: only raw newlines
    // and tabs go the reference path... both must agree either way
    same(JSON.stringify(fx.eventList(events), null, 2));
    same(` \r\n\t${list} \n`);
  });

  it('one malformed item makes the whole request malformed, with the same message and position', () => {
    const marked = fx.auditEvent({ verb: 'create', uri: '/api/v1/namespaces/a/configmaps', code: 201, requestObject: { flag: true } });
    const list = JSON.stringify(fx.eventList([...fixtureEvents(), marked]));
    const last = (from: string, to: string) => {
      const at = list.lastIndexOf(from);
      expect(at).toBeGreaterThan(0);
      return list.slice(0, at) + to + list.slice(at + from.length);
    };
    const at = list.indexOf('"verb"', list.length / 2);
    for (const bad of [list.slice(0, at) + '"verb":,' + list.slice(at + 7), list.slice(0, -1), list.slice(0, list.length / 3), list + 'x', list + '{}', `${list.slice(0, at)}"verb":"a\u0001b",${list.slice(at + 7)}`, list.replace('"kind"', "'kind'"), last('"flag":true', '"flag":tru'), last('"code":201', '"code":0201'), last('"code":201', '"code":-'), last('"code":201', '"code":2.'), last('"code":201', '"code":2e'), last('"ResponseComplete"', '"Response\\xComplete"'), last('"ResponseComplete"', '"\\u12G4"'), '', ' ', '\uFEFF' + list]) {
      const r = run(Buffer.from(bad), true);
      expect({ bad: bad.slice(-40), malformed: typeof r.split.malformed }).toEqual({ bad: bad.slice(-40), malformed: 'string' });
      same(bad);
    }
  });

  it('a malformed body is refused naming the byte where it stops being JSON (UTF-8 bytes counted, gzip aside)', () => {
    const at = (body: string | Buffer) => splitBody(Buffer.from(body), 1 << 20, true).malformed?.match(/at byte (\d+)\)$/)?.[1];
    expect(at('{"a":x}')).toBe('5');
    expect(at('{"é":x}')).toBe('6');
    expect(at('[{"a":1},{"b":2}')).toBe('16');
    expect(at('{"a":"\\q"}')).toBe('6');
    expect(at('{"a":01}')).toBe('6');
    expect(at('{"a":1}}')).toBe('7');
    expect(at(Buffer.from([0x7b, 0xff, 0x7d]))).toBe('1');
    // the reference path names the same byte
    expect(splitBody(Buffer.from('{"a":x}'), 1 << 20, false).malformed).toMatch(/at byte 5\)$/);
  });

  it('events with wrong types, missing members, unknown stages and kinds are rejected exactly as before; the rest of the batch is accepted', () => {
    const good = fixtureEvents().slice(0, 3);
    const variants: Array<(e: fx.Obj) => void> = [
      (e) => (e.stage = 7),
      (e) => (e.stage = 'Nope'),
      (e) => (e.stage = 'RequestReceived'),
      (e) => delete e.auditID,
      (e) => (e.auditID = ''),
      (e) => (e.auditID = 12),
      (e) => (e.user = 'bob'),
      (e) => (e.user = ['bob']),
      (e) => delete e.user,
      (e) => (e.verb = null),
      (e) => (e.requestURI = { a: 1 }),
      (e) => (e.kind = 'Pod'),
      (e) => (e.apiVersion = 'v1'),
      (e) => (e.level = 'Loud'),
      (e) => (e.level = 3),
      (e) => (e.stageTimestamp = 17),
      (e) => (e.requestReceivedTimestamp = false),
      (e) => (e.stageTimestamp = 'not a time'),
      (e) => (e.objectRef = 'pods'),
      (e) => (e.objectRef = { resource: 5, subresource: null, name: ['x'], namespace: { a: 1 } }),
      (e) => (e.responseStatus = { code: 1.5e3 }),
      (e) => (e.responseStatus = { code: -0 }),
      (e) => (e.annotations = { 'a/b': 'slash', x: 1e21 }),
      (e) => (e.user = { username: 'é😀 \u2028 "quoted" \\ back', groups: ['a', 'ü'] }),
      (e) => (e.cluster_name = 'edge'),
      (e) => (e.extra = { nested: [1, 2, { deep: true }] }),
      (e) => (e['__proto__'] = { polluted: true }),
    ];
    for (const change of variants) {
      const events = good.map((e) => structuredClone(e));
      change(events[1]!);
      // JSON.stringify drops a __proto__ set by assignment; write it as text
      const text = JSON.stringify(fx.eventList(events)).replace('"extra"', '"__proto__":{"a":1},"extra"');
      same(text);
      same(JSON.stringify(events[1]));
    }
    // scalars, arrays and nulls as items
    same(JSON.stringify(fx.eventList([1, 'x', null, [], good[0], true, {}])));
    same('[]');
    same('{"kind":"EventList","items":[]}');
    same('{"kind":"EventList","items":{}}');
    same('{"kind":"EventList","apiVersion":"audit.k8s.io/v2","items":[]}');
    same('{"kind":"EventList","apiVersion":7,"items":[]}');
    same('"EventList"');
    same('42');
    same('null');
  });

  it('duplicate keys keep the last value, as JSON.parse does, at every level', () => {
    const e = JSON.stringify(fx.podCreate({}));
    const dup = e
      .replace('"stage":"ResponseComplete"', '"stage":"RequestReceived","stage":"ResponseComplete"')
      .replace('"verb":"create"', '"verb":"delete","verb":"create"')
      .replace('"objectRef":{', '"objectRef":{"resource":"secrets","resource":"pods",')
      .replace('"user":{', '"user":{"username":"first",');
    expect(same(`[${dup}]`)).toBe(1);
    same(`[${e.replace('"stage":"ResponseComplete"', '"stage":"ResponseComplete","stage":"RequestReceived"')}]`);
    same(`[${e.replace('"user":{', '"user":"x","user":{')}]`);
    // a repeated small object replaces the earlier one whole; keys inside written with escapes
    const list = (x: string) => `{"kind":"EventList","items":[${x},${x.replace(/"auditID":"[^"]*"/, '"auditID":"another"')}]}`;
    expect(same(list(e.replace('"objectRef":{', '"objectRef":{"name":"first","subresource":"exec","namespace":"a"},"objectRef":{')))).toBe(2);
    expect(same(list(e.replace('"objectRef":{', '"objectRef":{"n\\u0061me":"escaped",')))).toBe(2);
    expect(same(list(e.replace('"objectRef":{', '"objectRef":{"name":"a","name":{"deep":["x"]},')))).toBe(2);
    expect(same(list(e.replace('"annotations":{', '"annotations":{"authorization.k8s.io\\/decision":"forbid",')))).toBe(2);
    expect(same(list(e.replace('"responseStatus":{', '"responseStatus":7,"responseStatus":{"code":"x",')))).toBe(2);
    expect(same(list(e.replace('"user":{', '"user":{"username":{"a":1},"groups":"g",')))).toBe(2);
    expect(same(list(e.replace(/"objectRef":\{[^}]*\}/, '"objectRef":[1,2]')))).toBe(2);
    same(`{"kind":"EventList","items":[${e}],"items":[${e},${e}]}`);
    same(`{"kind":"EventList","items":[${e}],"items":7}`);
    same(`{"kind":"Event","kind":"EventList","items":[${e}]}`);
    same(`{"kind":"EventList","kind":"Event","items":[${e}]}`);
  });

  it('escapes in keys and values, unicode, invalid UTF-8: the values JSON.parse gives', () => {
    const e = JSON.stringify(fx.execDeckhouse());
    same(`[${e.replace('"verb":"create"', '"v\\u0065rb":"cr\\u0065ate"')}]`);
    same(`[${e.replace('"stage":"ResponseStarted"', '"st\\u0061ge":"RequestReceived"')}]`);
    same(`{"kind":"EventList","it\\u0065ms":[${e}]}`);
    same(`[${e.replace('"create"', '"\\ud83d\\ude00 \\ud800 lone \\/ \\b\\f\\n\\r\\t"')}]`);
    same(`[${e.replace('admin@example.com', 'adm\u00efn\u{1F600}@ex\u4e2dmple.com')}]`);
    // bytes that are not UTF-8 inside a string and outside one
    const bytes = Buffer.from(`[${e.replace('admin@example.com', 'ADMIN')}]`);
    const at = bytes.indexOf('ADMIN');
    for (const bad of [[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc0, 0xaf]]) {
      same(Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]));
    }
    same(Buffer.concat([bytes.subarray(0, 1), Buffer.from([0xc3, 0xa9]), bytes.subarray(1)]));
  });

  it('deep nesting, huge strings and large lists: the same sizes, rejections and values', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const pod = fx.podCreate({});
    for (const n of [150, 199, 200, 201, 999, 1000, 5000]) {
      same(JSON.stringify(fx.eventList([pod])).replace('"spec":{', `"spec":{"x":${deep(n)},`));
      same(JSON.stringify(fx.eventList([pod])).replace('"annotations":{', `"annotations":{"x":${deep(n)},`));
    }
    const huge = structuredClone(pod);
    huge.annotations = { big: 'x'.repeat(400_000) };
    same(JSON.stringify(fx.eventList([pod, huge, pod])));
    // with a per-event limit below the body: sizes measured from the index (one byte per character) or bytes
    const events = fixtureEvents();
    same(JSON.stringify(fx.eventList(events)), 3000);
    same(JSON.stringify(fx.eventList(events), null, 1), 3000);
    same(JSON.stringify(events[0]), 1000);
    same(JSON.stringify(fx.eventList(events)).replace('admin@example.com', 'admïn'), 3000);
    // a list longer than the index's first allocation
    // a list too long to index goes the reference path, with the same outcome
    same(`[${'1,'.repeat(70_000)}1]`);
    same(`{"kind":"EventList","items":[${'{},'.repeat(70_000)}{}]}`);
    const many = Array.from({ length: 2500 }, (_, i) => fx.auditEvent({ verb: 'get', uri: `/api/v1/pods/${i}`, level: 'Metadata' }));
    expect(same(JSON.stringify(fx.eventList(many)))).toBe(2500);
  });

  it('a few small events kept from a large body get text of their own (the body is not kept alive by them)', () => {
    const small = fx.execDeckhouse();
    const big = { ...fx.podCreate({}), stage: 'RequestReceived', annotations: { pad: 'x'.repeat(50_000) } };
    const body = Buffer.from(JSON.stringify(fx.eventList([big, small, big])));
    expect(same(body)).toBe(0);
    const kept = run(body, true).outcome!.accepted;
    expect(kept.map((e) => [e.indexed, e.top('auditID')])).toEqual([[false, small.auditID]]);
    // kept indexed when they span a quarter of it or more
    expect(same(JSON.stringify(fx.eventList([{ ...big, annotations: { pad: 'x'.repeat(2_000) } }, small, fx.portForward()])))).toBe(2);
  });

  it('random corruptions of a realistic batch: never accepted by one path and refused by the other', () => {
    const list = JSON.stringify(fx.eventList(fixtureEvents().slice(0, 6)));
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', 'e', '.', 'u', 'n', 't', 'x', '\u00e9', '\n'];
    let malformed = 0;
    for (let k = 0; k < 300; k++) {
      let s = list;
      for (let m = 0, edits = 1 + rand(3); m < edits; m++) {
        const at = rand(s.length);
        const op = rand(3);
        const ch = alphabet[rand(alphabet.length)]!;
        s = op === 0 ? s.slice(0, at) + ch + s.slice(at) : op === 1 ? s.slice(0, at) + s.slice(at + 1 + rand(4)) : s.slice(0, at) + ch + s.slice(at + 1);
      }
      if (run(Buffer.from(s), false).split.malformed !== undefined) malformed++;
      same(s);
    }
    // both kinds occurred, so the comparison covered both
    expect(malformed).toBeGreaterThan(50);
    expect(malformed).toBeLessThan(300);
  });
});
