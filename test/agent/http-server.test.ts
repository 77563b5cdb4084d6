import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startHealthServer, type SourceStatus } from '../../src/agent/http-server.js';
import { counter, registry, tally } from '../../src/telemetry/metrics.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(status: () => SourceStatus[]): Promise<string> {
  app = await startHealthServer({ address: '127.0.0.1', port: 0, sources: status });
  const a = app.server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

describe('metrics and health server', () => {
  it('/readyz is 200 only when every enabled source is ready, else 503 with the reasons; /healthz always 200', async () => {
    let sources: SourceStatus[] = [
      { name: 'k8s_audit', ready: true },
      { name: 'syscall', ready: false, reason: 'eBPF needs root (CAP_BPF, CAP_PERFMON)' },
    ];
    const base = await start(() => sources);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const r = await fetch(`${base}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({
      status: 'not ready',
      sources: { k8s_audit: { ready: true }, syscall: { ready: false, reason: 'eBPF needs root (CAP_BPF, CAP_PERFMON)' } },
    });
    sources = [{ name: 'k8s_audit', ready: true }];
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it('/metrics serves the shared registry in Prometheus text format, tallies included', async () => {
    const c = counter('kestrel_test_things_total', 'Things counted by the test.', ['kind']);
    const t = tally(c, { kind: 'fast' });
    t.inc();
    t.inc(41);
    c.labels({ kind: 'slow' }).inc(2);
    const base = await start(() => []);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    const text = await res.text();
    expect(text).toContain('# TYPE kestrel_test_things_total counter');
    expect(text).toContain('kestrel_test_things_total{kind="fast"} 42');
    expect(text).toContain('kestrel_test_things_total{kind="slow"} 2');
    expect(text).toMatch(/^kestrel_process_cpu_seconds_total /m);
    t.inc(8);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('kestrel_test_things_total{kind="fast"} 50');
    // Asking for the same metric again gives the same one, not a duplicate registration error.
    expect(counter('kestrel_test_things_total', 'x', ['kind'])).toBe(c);
  });
});
