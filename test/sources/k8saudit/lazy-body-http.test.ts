// The webhook over HTTPS with client certificates, lazy_parsing on and off side by side: the same
// requests (well-formed, malformed, hostile, gzip) get the same status and reply, the same
// rejections counted in kestrel_audit_events_rejected_total, and queue the same events with the
// same field values.
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/sources/k8saudit/event.js';
import { k8sAuditSource } from '../../../src/sources/k8saudit/source.js';
import { makePki, type Pki } from './certs.js';
import * as fx from './fixtures.js';
import { metric, post, start, type Harness } from './webhook-harness.js';

const FIELDS = ['ka.auditid', 'ka.stage', 'ka.verb', 'ka.user.name', 'ka.user.groups', 'ka.target.resource', 'ka.target.name', 'ka.target.namespace', 'ka.response.code', 'ka.auth.decision', 'ka.req.pod.containers.image', 'ka.req.pod.containers.privileged', 'ka.uri', 'jevt.rawtime', 'json.obj'];
const extractors = FIELDS.map((f) => {
  const r = k8sAuditSource.fields.resolve(f)!;
  return r.def.bind!(r.arg);
});
const REASONS = ['not-an-object', 'wrong-kind', 'wrong-api-version', 'missing-audit-id', 'bad-stage', 'bad-level', 'missing-verb', 'missing-request-uri', 'missing-user', 'bad-timestamp', 'too-deep', 'too-large', 'bad-items', 'unprocessable'];

describe('k8s_audit webhook: lazy_parsing on and off answer every request alike', () => {
  let pki: Pki;
  let full: Harness;
  let lazy: Harness;
  let agent: Agent;
  beforeAll(async () => {
    pki = makePki();
    const tls = { cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.caCert };
    full = await start({ tls, lazy_parsing: false, max_event_bytes: 20_000 });
    lazy = await start({ tls, lazy_parsing: true, max_event_bytes: 20_000 });
    agent = new Agent({ connect: { ca: pki.read(pki.caCert), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) } });
  });
  afterAll(async () => {
    await agent.close();
    await full.runner.stop();
    await lazy.runner.stop();
  });

  async function send(h: Harness, body: string | Buffer, headers: Record<string, string> = {}) {
    const before = await Promise.all(REASONS.map((reason) => metric('kestrel_audit_events_rejected_total', { reason })));
    const queued = h.events.length;
    const r = await post(h.url, body, agent, headers);
    await h.runner.idle();
    const after = await Promise.all(REASONS.map((reason) => metric('kestrel_audit_events_rejected_total', { reason })));
    const counted = Object.fromEntries(REASONS.map((reason, k) => [reason, after[k]! - before[k]!]).filter(([, d]) => d !== 0));
    const values = h.events.slice(queued).map((e: AuditEvent) => extractors.map((ex) => ex(e)));
    return { status: r.status, reply: r.json, counted, values };
  }

  it('the same status, reply, counted rejections and event fields for each body', async () => {
    const good = [fx.execDeckhouse(), fx.podCreate({ privileged: true }), fx.secretGet('kube-system', 'token'), fx.anonymousGet('/api')];
    const list = JSON.stringify(fx.eventList(good));
    const bodies: Array<{ name: string; body: string | Buffer; headers?: Record<string, string> }> = [
      { name: 'EventList', body: list },
      { name: 'bad JSON inside one item', body: list.replace('"verb":"get"', '"verb":get') },
      { name: 'truncated', body: list.slice(0, -7) },
      { name: 'trailing garbage', body: `${list}]` },
      { name: 'wrong types in one item', body: list.replace('"stage":"ResponseComplete"', '"stage":5') },
      { name: 'user not an object', body: list.replace(/"user":\{[^}]*\}/, '"user":"eve"') },
      { name: 'deep nesting outside the bodies', body: list.replace('"annotations":{', `"annotations":{"x":${'['.repeat(1200)}${']'.repeat(1200)},`) },
      { name: 'deep nesting inside a request body', body: list.replace('"spec":{', `"spec":{"x":${'{"a":'.repeat(900)}1${'}'.repeat(900)},`) },
      { name: 'an event over max_event_bytes', body: list.replace('"annotations":{', `"annotations":{"big":"${'x'.repeat(30_000)}",`) },
      { name: 'unicode escapes and raw UTF-8', body: list.replace('admin@example.com', '\\u0061dm\\u00efn\\ud83d\\ude00 ü@example.com') },
      { name: 'duplicate keys', body: list.replace('"verb":"get"', '"verb":"delete","verb":"get"').replace('"stage":"ResponseStarted"', '"stage":"ResponseComplete","stage":"ResponseStarted"') },
      { name: 'escaped key', body: list.replace('"verb":"get"', '"v\\u0065rb":"get"') },
      { name: 'duplicate auditID in one batch', body: JSON.stringify(fx.eventList([good[0], good[0], good[1]])) },
      { name: 'items not an array', body: '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":{}}' },
      { name: 'a bare string', body: '"hello"' },
      { name: 'gzip', body: gzipSync(JSON.stringify(fx.eventList([fx.portForward(), fx.deploymentCreate()]))), headers: { 'content-encoding': 'gzip' } },
    ];
    for (const { name, body, headers } of bodies) {
      const a = await send(full, body, headers);
      const b = await send(lazy, body, headers);
      expect({ name, ...b }).toEqual({ name, ...a });
    }
    // not vacuous: requests were accepted, refused as malformed, and had events rejected
    const statuses = await Promise.all(bodies.slice(0, 3).map((b) => send(lazy, b.body)));
    expect(statuses.map((s) => s.status)).toEqual([200, 400, 400]);
    expect(statuses[1]!.reply.error).toMatch(/^malformed JSON: .* \(the body stops being JSON at byte \d+\)$/);
    expect((await send(lazy, bodies[4]!.body)).counted).toEqual({ 'bad-stage': 1 });
  });
});
