import { execFile } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/sources/k8saudit/event.js';
import { makePki, type Pki } from './certs.js';
import * as fx from './fixtures.js';
import { metric, post, start, type Harness } from './webhook-harness.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});

function client(opts: { cert?: string; key?: string; ca?: boolean } = {}): Agent {
  return new Agent({
    connect: {
      ...(opts.ca !== false ? { ca: pki.read(pki.caCert) } : { rejectUnauthorized: false }),
      ...(opts.cert ? { cert: pki.read(opts.cert), key: pki.read(opts.key!) } : {}),
    },
  });
}

describe('k8s_audit webhook over HTTPS with client certificates', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ tls: { cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.caCert } });
  });
  afterAll(() => h.runner.stop());

  it('accepts an EventList from a client whose certificate the CA signed', async () => {
    const list = fx.eventList([fx.execDeckhouse(), fx.podCreate({ privileged: true })]);
    const r = await post(h.url, list, client({ cert: pki.clientCert, key: pki.clientKey }));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ accepted: 2, rejected: [] });
    await h.runner.idle();
    expect(h.events.map((e) => e.obj.auditID)).toEqual(list.items.map((e: fx.Obj) => e.auditID));
  });

  it('refuses a client certificate from another CA, and a client without certificate', async () => {
    const before = h.events.length;
    await expect(post(h.url, fx.execDeckhouse(), client({ cert: pki.wrongClientCert, key: pki.wrongClientKey }))).rejects.toThrow();
    await expect(post(h.url, fx.execDeckhouse(), client())).rejects.toThrow();
    await h.runner.idle();
    expect(h.events.length).toBe(before);
  });
});

describe('k8s_audit webhook with client certificates and bearer tokens both configured', () => {
  it('accepts either credential and answers 401 to a request with neither', async () => {
    const h = await start({ tls: { cert_file: pki.serverCert, key_file: pki.serverKey, client_ca_file: pki.caCert }, bearer_tokens: ['tok-123'] });
    const bearer = { authorization: 'Bearer tok-123' };
    expect((await post(h.url, fx.execDeckhouse(), client({ cert: pki.clientCert, key: pki.clientKey }))).status).toBe(200);
    expect((await post(h.url, fx.execDeckhouse(), client(), bearer)).status).toBe(200);
    expect((await post(h.url, fx.execDeckhouse(), client({ cert: pki.wrongClientCert, key: pki.wrongClientKey }), bearer)).status).toBe(200);
    expect((await post(h.url, fx.execDeckhouse(), client({ cert: pki.wrongClientCert, key: pki.wrongClientKey }))).status).toBe(401);
    expect((await post(h.url, fx.execDeckhouse(), client())).status).toBe(401);
    await h.runner.stop();
    expect(h.events).toHaveLength(3);
  });
});

describe('k8s_audit webhook request handling (HTTPS, bearer token)', () => {
  let h: Harness;
  const agent = () => client();
  const auth = { authorization: 'Bearer s3cr3t-token-for-apiserver' };
  beforeAll(async () => {
    const tokenFile = join(pki.dir, 'tokens');
    writeFileSync(tokenFile, 'other-token\ns3cr3t-token-for-apiserver\n');
    h = await start({ tls: { cert_file: pki.serverCert, key_file: pki.serverKey }, bearer_token_file: tokenFile, max_body_bytes: 1024 * 1024, max_event_bytes: 64 * 1024 });
  });
  afterAll(() => h.runner.stop());

  it('authenticates with a bearer token; 401 without or with a wrong one', async () => {
    expect((await post(h.url, fx.execDeckhouse(), agent(), auth)).status).toBe(200);
    const none = await post(h.url, fx.execDeckhouse(), agent());
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await post(h.url, fx.execDeckhouse(), agent(), { authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('answers wrong path 404, wrong method 405, wrong content type 415', async () => {
    const wrongPath = await post(h.url.replace('/k8s-audit', '/audit'), fx.execDeckhouse(), agent(), auth);
    expect(wrongPath.status).toBe(404);
    const get = await request(h.url, { method: 'GET', headers: auth, dispatcher: agent() });
    await get.body.text();
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const form = await post(h.url, 'a=b', agent(), { ...auth, 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const br = await post(h.url, fx.execDeckhouse(), agent(), { ...auth, 'content-encoding': 'br' });
    expect(br.status).toBe(415);
  });

  it('answers 413 for a body over the limit, compressed or not', async () => {
    const big = fx.eventList(Array.from({ length: 400 }, () => fx.podCreate({ privileged: true })));
    const r = await post(h.url, big, agent(), auth);
    expect(r.status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const r2 = await post(h.url, bomb, agent(), { ...auth, 'content-encoding': 'gzip' });
    expect(r2.status).toBe(413);
  });

  it('takes gzip bodies and single Events in v1beta1', async () => {
    const before = h.events.length;
    const ev = fx.podCreate({ apiVersion: 'audit.k8s.io/v1beta1', hostPID: true });
    const r = await post(h.url, gzipSync(JSON.stringify(fx.eventList([ev], 'audit.k8s.io/v1beta1'))), agent(), { ...auth, 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.json.accepted).toBe(1);
    const single = await post(h.url, fx.serviceCreate('NodePort'), agent(), auth);
    expect(single.json.accepted).toBe(1);
    await h.runner.idle();
    expect(h.events.slice(before).map((e) => e.obj.auditID)).toEqual([ev.auditID, expect.any(String)]);
  });

  it('answers 400 for malformed JSON and for a body that is no audit event', async () => {
    const bad = await post(h.url, '{"kind":"EventList","items":[{"auditID":', agent(), auth);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/malformed JSON/);
    const notEvent = await post(h.url, { kind: 0 }, agent(), auth);
    expect(notEvent.status).toBe(400);
    expect(notEvent.json.rejected[0]).toMatchObject({ index: 0, reason: 'wrong-kind' });
    expect((await post(h.url, '42', agent(), auth)).status).toBe(400);
  });

  it('keeps the good events of a mixed batch, reports and counts the bad ones, logs once', async () => {
    const before = h.events.length;
    const rejectedBefore = await metric('kestrel_audit_events_rejected_total', { reason: 'missing-audit-id' });
    const good1 = fx.execDeckhouse();
    const good2 = fx.clusterRoleBinding('cluster-admin', [{ kind: 'User', name: 'mallory@example.com' }]);
    const noId = { ...fx.secretGet('kube-system', 'bootstrap-token'), auditID: undefined };
    const huge = fx.configMapCreate({ blob: 'x'.repeat(70 * 1024) });
    const list = fx.eventList([good1, { kind: 0 }, noId, good2, huge, 'text', { ...fx.execDeckhouse(), stage: 'Finished' }]);
    const r = await post(h.url, list, agent(), auth);
    expect(r.status).toBe(200);
    expect(r.json.accepted).toBe(2);
    expect(r.json.rejected.map((x) => [x.index, x.reason])).toEqual([
      [1, 'wrong-kind'],
      [2, 'missing-audit-id'],
      [4, 'too-large'],
      [5, 'not-an-object'],
      [6, 'bad-stage'],
    ]);
    await h.runner.idle();
    expect(h.events.slice(before).map((e) => e.obj.auditID)).toEqual([good1.auditID, good2.auditID]);
    expect(await metric('kestrel_audit_events_rejected_total', { reason: 'missing-audit-id' })).toBe(rejectedBefore + 1);
    const rejectionLogs = h.logs.filter((l) => l.includes('rejected audit events'));
    expect(rejectionLogs).toHaveLength(1);
  });

  it('skips stages nobody evaluates and duplicate deliveries', async () => {
    const before = h.events.length;
    const started = fx.execDeckhouse('ResponseStarted');
    const received = { ...started, stage: 'RequestReceived' };
    const complete = { ...started, stage: 'ResponseComplete' };
    const r = await post(h.url, fx.eventList([received, started, complete, started]), agent(), auth);
    expect(r.json).toMatchObject({ accepted: 2, skipped: 2 });
    const again = await post(h.url, fx.eventList([started, complete]), agent(), auth);
    expect(again.json).toMatchObject({ accepted: 0, skipped: 2 });
    await h.runner.idle();
    expect(h.events.slice(before).map((e) => e.obj.stage)).toEqual(['ResponseStarted', 'ResponseComplete']);
  });
});

describe('k8s_audit webhook under overload', () => {
  it('answers 429 with Retry-After when the queue is full and loses no accepted event', async () => {
    let evaluated = 0;
    const seen = new Set<string>();
    const slowSink = (e: AuditEvent) => {
      const until = performance.now() + 0.05;
      while (performance.now() < until);
      evaluated++;
      seen.add(e.obj.auditID as string);
    };
    const h = await start({ plain_http: true, allow_unauthenticated: true, max_queued_events: 300, retry_after_seconds: 2 }, slowSink);
    const batches = Array.from({ length: 60 }, () => fx.eventList(Array.from({ length: 100 }, () => fx.execDeckhouse())));
    const file = join(pki.dir, 'batches.json');
    writeFileSync(file, JSON.stringify(batches));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [new URL('./post-batches.mjs', import.meta.url).pathname, h.url, file, '16'], (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    const stats = JSON.parse(out);
    await h.runner.stop();
    expect(stats.other).toEqual([]);
    expect(stats.busy).toBeGreaterThan(0);
    expect(stats.retryAfter).toEqual(['2']);
    expect(stats.accepted).toBe(6000);
    expect(evaluated).toBe(6000);
    expect(seen.size).toBe(6000);
  });
});

describe('k8s_audit webhook configuration safety', () => {
  it('refuses plain HTTP off loopback, HTTPS without certificate, and no authentication', async () => {
    await expect(start({ plain_http: true, allow_unauthenticated: true, address: '0.0.0.0' })).rejects.toThrow(/loopback/);
    await expect(start({ bearer_tokens: ['t'] })).rejects.toThrow(/tls.cert_file/);
    await expect(start({ tls: { cert_file: pki.serverCert, key_file: pki.serverKey } })).rejects.toThrow(/no authentication/);
    await expect(start({ tls: { cert_file: '/nonexistent.crt', key_file: pki.serverKey }, bearer_tokens: ['t'] })).rejects.toThrow(/cannot read tls.cert_file/);
  });

  it('names the setting whose tokens are all empty: bearer_tokens, bearer_token_file, or both', async () => {
    const tls = { cert_file: pki.serverCert, key_file: pki.serverKey };
    const emptyFile = join(pki.dir, 'empty-tokens');
    writeFileSync(emptyFile, '\n  \n');
    const inList = start({ tls, bearer_tokens: [''] });
    await expect(inList).rejects.toThrow(/bearer_tokens holds only empty tokens/);
    await expect(inList).rejects.not.toThrow(/bearer_token_file/);
    await expect(start({ tls, bearer_tokens: ['', '  '] })).rejects.toThrow(/bearer_tokens holds only empty tokens/);
    await expect(start({ tls, bearer_token_file: emptyFile })).rejects.toThrow(`bearer_token_file ${emptyFile} holds no token`);
    const both = start({ tls, bearer_tokens: [''], bearer_token_file: emptyFile });
    await expect(both).rejects.toThrow(/bearer_tokens holds only empty tokens/);
    await expect(both).rejects.toThrow(`bearer_token_file ${emptyFile} holds no token`);
  });
});

describe('k8s_audit webhook against slow clients', () => {
  async function trickle(url: string, first: string, tick: string, maxMs: number) {
    const { connect } = await import('node:net');
    const u = new URL(url);
    return new Promise<{ closedAfterMs: number; response: string }>((resolve) => {
      const t0 = Date.now();
      let response = '';
      const sock = connect(Number(u.port), u.hostname, () => sock.write(first));
      const timer = setInterval(() => sock.writable && sock.write(tick), 200);
      const give = setTimeout(() => sock.destroy(), maxMs);
      sock.on('data', (d) => (response += d));
      sock.on('error', () => {});
      sock.on('close', () => {
        clearInterval(timer);
        clearTimeout(give);
        resolve({ closedAfterMs: Date.now() - t0, response });
      });
    });
  }

  it('closes connections whose headers or body trickle in past the timeouts', async () => {
    const h = await start({ plain_http: true, allow_unauthenticated: true, header_timeout_ms: 1000, request_timeout_ms: 2000, idle_timeout_ms: 30_000 });
    const path = new URL(h.url).pathname;
    const slowHeaders = await trickle(h.url, `POST ${path} HTTP/1.1\r\nHost: x\r\n`, 'X-Slow: a\r\n', 10_000);
    expect(slowHeaders.closedAfterMs).toBeLessThan(4000);
    expect(slowHeaders.response).toMatch(/^HTTP\/1.1 408/);
    const slowBody = await trickle(h.url, `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[`, ' ', 10_000);
    expect(slowBody.closedAfterMs).toBeLessThan(5000);
    expect(h.events).toHaveLength(0);
    await h.runner.stop();
  });
});
