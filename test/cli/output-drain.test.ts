// `kestrel run` stopping with alerts still queued for a receiver that accepts and never answers:
// SIGTERM gives the outputs outputs_drain_timeout_ms, then says what it could not deliver (kept
// in the spool when one is set, delivered after the next start); a second SIGTERM stops at once
// and says what it dropped.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { Receiver, waitUntil } from '../outputs/receivers.js';
import { KestrelProcess, haveCli, killIfRunning } from './kestrel-process.js';

const RULE = '- rule: Creates\n  desc: test\n  condition: ka.verb=create\n  output: "create %ka.target.name"\n  priority: WARNING\n  source: k8s_audit\n';

let running: KestrelProcess | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await killIfRunning(running);
  await receiver?.stop();
  running = receiver = undefined;
});

/** kestrel run with the HTTP output to `url` and no stdout output; resolves once it runs, with its webhook URL. */
async function start(dir: string, url: string, extra: string, httpExtra = ''): Promise<{ k: KestrelProcess; webhook: string }> {
  writeFileSync(join(dir, 'rules.yaml'), RULE);
  const cfg = join(dir, 'kestrel.yaml');
  writeFileSync(
    cfg,
    `rules_files: [rules.yaml]\njson_output: true\nwebserver: { listen_port: 0 }\nstdout_output: { enabled: false }\n` +
      `http_output: { enabled: true, url: "${url}", timeout_ms: 60000, backoff_initial_ms: 10, backoff_max_ms: 100${httpExtra} }\n${extra}` +
      `sources:\n  syscall: { enabled: false }\n  k8s_audit: { address: 127.0.0.1, port: 0, plain_http: true, allow_unauthenticated: true }\n`,
  );
  const k = (running = new KestrelProcess(['run', '-c', cfg]));
  await k.waitForLog(/kestrel running/);
  return { k, webhook: `http://127.0.0.1:${k.port(/webhook listening/)}/k8s-audit` };
}

async function postCreates(webhook: string, names: string[]): Promise<void> {
  const res = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fx.eventList(names.map((n) => fx.namespaceCreate(n)))) });
  expect(res.status).toBe(200);
}

describe.skipIf(!haveCli)('kestrel run: an HTTP receiver down for a while', () => {
  it('gets every alert exactly once, in order, when it comes back; /metrics shows the retries and no drop', async () => {
    receiver = await Receiver.start(() => 200);
    const { k, webhook } = await start(mkdtempSync(join(tmpdir(), 'kestrel-outage-')), receiver.url, '');
    const metrics = async () => (await fetch(`http://127.0.0.1:${k.port(/metrics and health on/)}/metrics`)).text();
    const value = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
    await postCreates(webhook, ['a', 'b', 'c']);
    await waitUntil(() => receiver!.acked.length === 3, 'the first 3 alerts');
    await receiver.stop();
    await postCreates(webhook, ['d', 'e', 'f', 'g', 'h']);
    await waitUntil(async () => value(await metrics(), /^kestrel_output_retries_total\{output="http"\} (\d+)/m) >= 3, 'retries during the outage');
    await receiver.listen();
    await waitUntil(() => receiver!.acked.length === 8, 'all 8 alerts after the outage');
    expect(receiver.all.map((r) => JSON.parse(r.body).output_fields['ka.target.name'])).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    const text = await metrics();
    expect(value(text, /^kestrel_output_written_total\{output="http"\} (\d+)/m)).toBe(8);
    expect(text).not.toMatch(/^kestrel_output_dropped_total\{output="http"/m);
    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
  });
});

describe.skipIf(!haveCli)('kestrel run: outputs at shutdown', () => {
  it('SIGTERM waits outputs_drain_timeout_ms for a stuck receiver, then says how many alerts were dropped', async () => {
    receiver = await Receiver.start(() => 'hang');
    const { k, webhook } = await start(mkdtempSync(join(tmpdir(), 'kestrel-drain-')), receiver.url, 'outputs_drain_timeout_ms: 300\n');
    await postCreates(webhook, ['a', 'b', 'c']);
    await waitUntil(() => receiver!.requests === 1, 'the first alert held by the receiver');
    k.kill('SIGTERM');
    expect(await k.exited).toBe(0);
    expect(k.logs().map((l) => l.msg)).toContain('output http: 3 alerts not delivered within 300 ms; dropped');
  });

  it('with a spool, what could not be delivered is kept and delivered once, in order, after the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-drain-'));
    const spool = ', spool: { directory: spool }';
    receiver = await Receiver.start(() => 'hang');
    const first = await start(dir, receiver.url, 'outputs_drain_timeout_ms: 300\n', spool);
    await postCreates(first.webhook, ['a', 'b', 'c']);
    await waitUntil(() => receiver!.requests === 1, 'the first alert held by the receiver');
    first.k.kill('SIGTERM');
    expect(await first.k.exited).toBe(0);
    expect(first.k.logs().map((l) => l.msg)).toContain('output http: 3 alerts not delivered within 300 ms; kept in the spool for the next start');
    await receiver.stop();

    receiver = await Receiver.start(() => 200);
    const second = await start(dir, receiver.url, '', spool);
    await waitUntil(() => receiver!.acked.length === 3, 'the 3 spooled alerts');
    expect(second.k.logs().map((l) => l.msg)).toContain('spool holds 3 undelivered alerts from before; delivering them first');
    expect(receiver.all.map((r) => JSON.parse(r.body).output_fields['ka.target.name'])).toEqual(['a', 'b', 'c']);
    second.k.kill('SIGTERM');
    expect(await second.k.exited).toBe(0);
  });

  it('a second SIGTERM stops at once and says what it dropped', async () => {
    receiver = await Receiver.start(() => 'hang');
    const { k, webhook } = await start(mkdtempSync(join(tmpdir(), 'kestrel-drain-')), receiver.url, 'outputs_drain_timeout_ms: 600000\n');
    await postCreates(webhook, ['a', 'b']);
    await waitUntil(() => receiver!.requests === 1, 'the first alert held by the receiver');
    k.kill('SIGTERM');
    await k.waitForLog(/SIGTERM: stopping/);
    k.kill('SIGTERM');
    expect(await k.exited).toBe(130);
    expect(k.logs().map((l) => l.msg)).toContain('output http: 2 alerts not delivered (stopped without waiting); dropped');
  });
});
