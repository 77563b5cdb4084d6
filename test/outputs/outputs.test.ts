import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FileOutput } from '../../src/outputs/file.js';
import { HttpOutput } from '../../src/outputs/http.js';
import { ProgramOutput } from '../../src/outputs/program.js';
import { StreamOutput } from '../../src/outputs/stdout.js';
import { registry } from '../../src/telemetry/metrics.js';
import { makeAlerts } from './alerts.js';

const log = pino({ level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'kestrel-outputs-'));

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

describe('file output', () => {
  it('appends alerts and starts a new file on reopen (log rotation)', async () => {
    const path = join(dir, 'alerts.log');
    const out = new FileOutput({ format: 'json', maxQueued: 100, log }, path);
    const [a, b] = makeAlerts(2);
    out.write(a!);
    await out.flush();
    renameSync(path, `${path}.1`);
    out.reopen();
    out.write(b!);
    await out.close();
    expect(readFileSync(`${path}.1`, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(readFileSync(path, 'utf8')).rule).toBe('Exec into pod');
  });
});

describe('http output', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function listen(handler: (req: IncomingMessage, body: string) => number): Promise<string> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.statusCode = handler(req, body);
        res.end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const addr = server.address();
    return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/alerts`;
  }

  it('POSTs each alert as JSON', async () => {
    const got: Array<{ type?: string; body: unknown }> = [];
    const url = await listen((req, body) => (got.push({ type: req.headers['content-type'], body: JSON.parse(body) }), 200));
    const out = new HttpOutput({ format: 'json', maxQueued: 100, log }, { url, user_agent: 'kestrel-test', insecure: false, timeout_ms: 2000, max_attempts: 2 });
    for (const a of makeAlerts(3)) out.write(a);
    await out.close();
    expect(got).toHaveLength(3);
    expect(got[0]).toMatchObject({ type: 'application/json', body: { rule: 'Exec into pod', source: 'k8s_audit' } });
  });

  it('retries, then drops and counts what the receiver keeps refusing', async () => {
    let calls = 0;
    const url = await listen(() => (++calls <= 1 ? 503 : 500));
    const out = new HttpOutput({ format: 'json', maxQueued: 100, log }, { url, user_agent: 'kestrel-test', insecure: false, timeout_ms: 2000, max_attempts: 2 });
    const before = await metric('kestrel_output_dropped_total', { output: 'http', reason: 'delivery-failed' });
    out.write(makeAlerts(1)[0]!);
    await out.close();
    expect(calls).toBe(2);
    expect((await metric('kestrel_output_dropped_total', { output: 'http', reason: 'delivery-failed' })) - before).toBe(1);
  });
});

describe('program output', () => {
  it('keep_alive: one process receives every alert on stdin', async () => {
    const file = join(dir, 'program-keep.txt');
    const out = new ProgramOutput({ format: 'json', maxQueued: 100, log }, { program: `cat >> ${file}`, keep_alive: true });
    for (const a of makeAlerts(3)) out.write(a);
    await out.flush();
    out.write(makeAlerts(1)[0]!);
    await out.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).rule)).toEqual(Array(4).fill('Exec into pod'));
  });

  it('without keep_alive: a process per batch; a failing program counts drops', async () => {
    const file = join(dir, 'program-each.txt');
    const ok = new ProgramOutput({ format: 'text', maxQueued: 100, log }, { program: `cat >> ${file}`, keep_alive: false });
    ok.write(makeAlerts(1)[0]!);
    await ok.close();
    expect(readFileSync(file, 'utf8')).toMatch(/Notice exec by admin@example.com/);
    const bad = new ProgramOutput({ format: 'text', maxQueued: 100, log }, { program: 'cat > /dev/null; exit 3', keep_alive: false });
    const before = await metric('kestrel_output_dropped_total', { output: 'program', reason: 'delivery-failed' });
    bad.write(makeAlerts(1)[0]!);
    await bad.close();
    expect((await metric('kestrel_output_dropped_total', { output: 'program', reason: 'delivery-failed' })) - before).toBe(1);
  });
});
