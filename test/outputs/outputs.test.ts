import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { StreamOutput } from '../../src/outputs/stdout.js';
import { registry } from '../../src/telemetry/metrics.js';
import { makeAlerts } from './alerts.js';

const log = pino({ level: 'silent' });

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value ?? 0;
}

describe('stream (stdout) output', () => {
  it('writes one line per alert, JSON or text, in order', async () => {
    const alerts = makeAlerts(3);
    let text = '';
    const sink = new Writable({ write: (c, _e, cb) => ((text += c), cb()) });
    const json = new StreamOutput({ format: 'json', maxQueued: 100, log }, sink, 'test-json');
    for (const a of alerts) expect(json.write(a)).toBe(true);
    await json.flush();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ rule: 'Exec into pod', priority: 'Notice', tags: ['k8s', 'test'], output_fields: { 'ka.user.name': 'admin@example.com' } });
    text = '';
    const plain = new StreamOutput({ format: 'text', maxQueued: 100, log }, sink, 'test-text');
    plain.write(alerts[0]!);
    await plain.close();
    expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{9}: Notice exec by admin@example.com into d8-system\/deckhouse-77f868d554-8zpt4 \(command=mkdir\)\n$/);
  });

  it('drops and counts alerts beyond its queue while the stream is blocked, then catches up', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const lines: string[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write: (c, _e, cb) => {
        lines.push(...String(c).trim().split('\n'));
        void blocked.then(() => cb());
      },
    });
    const out = new StreamOutput({ format: 'text', maxQueued: 5, log }, slow, 'test-slow');
    const before = await metric('kestrel_output_dropped_total', { output: 'test-slow', reason: 'queue-full' });
    const alerts = makeAlerts(20);
    const accepted = alerts.map((a) => out.write(a));
    await new Promise((r) => setImmediate(r)); // first batch goes to the stream and blocks
    const more = makeAlerts(10).map((a) => out.write(a));
    release();
    await out.close();
    const dropped = (await metric('kestrel_output_dropped_total', { output: 'test-slow', reason: 'queue-full' })) - before;
    const written = [...accepted, ...more].filter(Boolean).length;
    expect(dropped).toBe(30 - written);
    expect(dropped).toBeGreaterThan(0);
    expect(lines).toHaveLength(written);
  });
});
