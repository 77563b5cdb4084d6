// The HTTP output against real local receivers that refuse, time out, answer 5xx/429/4xx, go
// down and come back: what the receiver acknowledged is compared to what was sent.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Pipeline } from '../../src/agent/pipeline.js';
import { loadRulesFromText } from '../../src/index.js';
import { HttpOutput, type HttpOutputConfig } from '../../src/outputs/http.js';
import type { QueuedOutputOptions } from '../../src/outputs/alert-output.js';
import { StreamOutput } from '../../src/outputs/stdout.js';
import { freePort, metric, numberedAlerts, Receiver, seqs, waitUntil } from './receivers.js';

const log = pino({ level: 'silent' });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function http(url: string, cfg: Partial<HttpOutputConfig> = {}, opts: Partial<QueuedOutputOptions> = {}): HttpOutput {
  return new HttpOutput(
    { format: 'json', maxQueued: 1000, log, backoff: { initialMs: 5, maxMs: 50 }, ...opts },
    { url, user_agent: 'kestrel-test', insecure: false, ca_cert: '', ca_bundle: '', ca_path: '', mtls: false, client_cert: '', client_key: '', echo: false, compress_uploads: false, custom_headers: {}, timeout_ms: 5000, ...cfg },
  );
}

const counters = async () => ({
  written: await metric('kestrel_output_written_total', { output: 'http' }),
  retries: await metric('kestrel_output_retries_total', { output: 'http' }),
  rejected: await metric('kestrel_output_dropped_total', { output: 'http', reason: 'rejected' }),
  gaveUp: await metric('kestrel_output_dropped_total', { output: 'http', reason: 'gave-up' }),
  queueFull: await metric('kestrel_output_dropped_total', { output: 'http', reason: 'queue-full' }),
  shutdown: await metric('kestrel_output_dropped_total', { output: 'http', reason: 'shutdown' }),
});
async function delta(before: Awaited<ReturnType<typeof counters>>) {
  const now = await counters();
  return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as typeof before;
}

const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop().catch(() => {});
});
async function receiver(...args: Parameters<typeof Receiver.start>): Promise<Receiver> {
  const r = await Receiver.start(...args);
  receivers.push(r);
  return r;
}

describe('http output delivery', () => {
  it('retries an alert answered 500 until the receiver answers 2xx: every alert acknowledged once, in order', async () => {
    const r = await receiver((i) => (i < 3 ? 500 : 200));
    const before = await counters();
    const out = http(r.url);
    for (const a of numberedAlerts(20)) expect(out.write(a)).toBe(true);
    await waitUntil(() => r.acked.length === 20, '20 acknowledged alerts');
    await out.close();
    expect(seqs(r.acked.map((x) => x.body))).toEqual(range(0, 20));
    expect(await delta(before)).toMatchObject({ written: 20, retries: 3, rejected: 0, gaveUp: 0, shutdown: 0 });
  });

  it('keeps alerts while the connection is refused and delivers each once when the receiver comes up', async () => {
    const port = await freePort();
    const before = await counters();
    const out = http(`http://127.0.0.1:${port}/alerts`);
    for (const a of numberedAlerts(10)) out.write(a);
    await waitUntil(async () => (await delta(before)).retries >= 3, 'refused attempts being retried');
    const r = await receiver(() => 200, undefined, port);
    await waitUntil(() => r.acked.length === 10, '10 acknowledged alerts');
    await out.close();
    expect(seqs(r.all.map((x) => x.body))).toEqual(range(0, 10));
    expect(await delta(before)).toMatchObject({ written: 10, rejected: 0, gaveUp: 0, shutdown: 0 });
  });

  it('a receiver that goes down mid-stream and comes back receives every alert exactly once', async () => {
    const r = await receiver(() => 200);
    const before = await counters();
    const out = http(r.url);
    const alerts = numberedAlerts(30);
    for (const a of alerts.slice(0, 10)) out.write(a);
    await waitUntil(() => r.acked.length === 10, 'the first 10 before the outage');
    await r.stop();
    for (const a of alerts.slice(10)) out.write(a);
    await waitUntil(async () => (await delta(before)).retries >= 3, 'attempts during the outage');
    await r.listen();
    await waitUntil(() => r.acked.length === 30, 'all 30 after the outage');
    await out.close();
    expect(seqs(r.all.map((x) => x.body))).toEqual(range(0, 30));
    expect(await delta(before)).toMatchObject({ written: 30, rejected: 0, gaveUp: 0, shutdown: 0 });
  });

  it('a request without an answer times out and is retried; the receiver acknowledges each alert once', async () => {
    const r = await receiver((i) => (i < 2 ? 'hang' : 200));
    const before = await counters();
    const out = http(r.url, { timeout_ms: 150 });
    for (const a of numberedAlerts(5)) out.write(a);
    await waitUntil(() => r.acked.length === 5, '5 acknowledged alerts');
    await out.close();
    expect(seqs(r.acked.map((x) => x.body))).toEqual(range(0, 5));
    // alert 0 reached the receiver three times (twice unanswered), acknowledged once
    expect(seqs(r.all.map((x) => x.body))).toEqual([0, 0, 0, 1, 2, 3, 4]);
    expect(await delta(before)).toMatchObject({ written: 5, retries: 2 });
  });

  it('retries 429 (Retry-After) and 503; a 400 refuses the alert for good: dropped and counted as rejected', async () => {
    const r = await receiver((i, rec) => (i === 0 ? 429 : i === 1 ? 503 : rec.body.includes('seq=1"') ? 400 : 200));
    const before = await counters();
    const out = http(r.url);
    for (const a of numberedAlerts(3)) out.write(a);
    await waitUntil(() => r.acked.length === 2, '2 acknowledged alerts');
    await out.close();
    expect(seqs(r.acked.map((x) => x.body))).toEqual([0, 2]);
    expect(await delta(before)).toMatchObject({ written: 2, retries: 2, rejected: 1 });
  });

  it('with max_attempts, gives up on an alert after that many attempts (counted gave-up) and goes on', async () => {
    const r = await receiver((_i, rec) => (rec.body.includes('seq=0"') ? 500 : 200));
    const before = await counters();
    const out = http(r.url, {}, { maxAttempts: 3 });
    for (const a of numberedAlerts(3)) out.write(a);
    await waitUntil(() => r.acked.length === 2, '2 acknowledged alerts');
    await out.close();
    expect(seqs(r.all.map((x) => x.body))).toEqual([0, 0, 0, 1, 2]);
    expect(await delta(before)).toMatchObject({ written: 2, retries: 2, gaveUp: 1 });
  });

  it('beyond the queue bound, new alerts are dropped and counted (queue-full); the queued ones are delivered', async () => {
    const port = await freePort();
    const before = await counters();
    const out = http(`http://127.0.0.1:${port}/alerts`, {}, { maxQueued: 5 });
    const accepted = numberedAlerts(12).map((a) => out.write(a));
    expect(accepted.filter(Boolean)).toHaveLength(5);
    const r = await receiver(() => 200, undefined, port);
    await waitUntil(() => r.acked.length === 5, '5 acknowledged alerts');
    await out.close();
    expect(seqs(r.all.map((x) => x.body))).toEqual(range(0, 5));
    expect(await delta(before)).toMatchObject({ written: 5, queueFull: 7 });
  });

  it('a receiver that accepts and never answers delays neither evaluation nor the other outputs; close says what was left', async () => {
    const r = await receiver(() => 'hang');
    const before = await counters();
    const stuck = http(r.url, { timeout_ms: 60_000 });
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => (lines.push(...String(c).trim().split('\n')), cb()) });
    const stdout = new StreamOutput({ format: 'json', maxQueued: 1000, log }, sink, 'test-beside-stuck');
    const loaded = loadRulesFromText([{ name: 'r.yaml', content: '[]' }]);
    const pipeline = new Pipeline(loaded.ruleset, [stuck, stdout], log);
    for (const a of numberedAlerts(50)) pipeline.publish(a); // returns at once for every alert
    await waitUntil(() => lines.length === 50, 'the other output has every alert');
    await waitUntil(() => r.requests === 1, 'the stuck receiver holds the first request');
    expect(stuck.pending).toBe(50);
    const report = await stuck.close(50);
    expect(report).toEqual({ output: 'http', undelivered: 50, spooled: 0 });
    expect(r.requests).toBe(1);
    expect(await delta(before)).toMatchObject({ written: 0, shutdown: 50 });
    await stdout.close();
  });

  it('sends custom headers, the user agent and gzip bodies (compress_uploads)', async () => {
    const r = await receiver(() => 200);
    const out = http(r.url, { compress_uploads: true, custom_headers: { authorization: 'Bearer s3cret', 'x-cluster': 'prod' } });
    out.write(numberedAlerts(1)[0]!);
    await out.close();
    expect(r.acked).toHaveLength(1);
    expect(r.acked[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'user-agent': 'kestrel-test',
      authorization: 'Bearer s3cret',
      'x-cluster': 'prod',
    });
    expect(JSON.parse(r.acked[0]!.body).rule).toBe('Exec into pod');
  });
});
