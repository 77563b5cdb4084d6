// The HTTP output's on-disk spool: alerts not delivered before a stop are delivered after the next
// start, first and in order, exactly once; the bound drops (counted) only what does not fit; a
// torn write is cut off and reported; a second SIGTERM (abort) still writes the queue to disk.
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpOutput } from '../../src/outputs/http.js';
import { Spool } from '../../src/outputs/spool.js';
import { freePort, metric, numberedAlerts, Receiver, seqs, waitUntil } from './receivers.js';

const log = pino({ level: 'silent' });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const newDir = () => mkdtempSync(join(tmpdir(), 'kestrel-spool-'));
const failOnError = (err: Error) => {
  throw err;
};

function spooled(url: string, dir: string, maxBytes = 1 << 20): HttpOutput {
  return new HttpOutput(
    { format: 'json', maxQueued: 1000, log, backoff: { initialMs: 5, maxMs: 50 }, queue: Spool.open(dir, maxBytes, failOnError) },
    { url, user_agent: 'kestrel-test', insecure: false, ca_cert: '', ca_bundle: '', ca_path: '', mtls: false, client_cert: '', client_key: '', echo: false, compress_uploads: false, custom_headers: {}, timeout_ms: 5000 },
  );
}

let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  receiver = undefined;
});

describe('http output spool', () => {
  it('keeps what was not delivered at stop and delivers it first after the next start, in order, each once', async () => {
    const dir = newDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/alerts`;
    const first = spooled(url, dir);
    for (const a of numberedAlerts(10)) first.write(a);
    expect(await first.close(50)).toEqual({ output: 'http', undelivered: 10, spooled: 10 });

    receiver = await Receiver.start(() => 200, undefined, port);
    const second = spooled(url, dir);
    for (const a of numberedAlerts(5, 10)) second.write(a);
    await waitUntil(() => receiver!.acked.length === 15, 'all 15 alerts');
    expect(await second.close()).toEqual({ output: 'http', undelivered: 0, spooled: 0 });
    expect(seqs(receiver.all.map((r) => r.body))).toEqual(range(0, 15));
    // delivered segments are deleted; nothing is replayed again
    const third = Spool.open(dir, 1 << 20, failOnError);
    expect(third.length).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.seg')).length).toBeLessThanOrEqual(1);
    await third.close();
  });

  it('drops and counts (spool-full) only what does not fit in max_bytes; the rest is delivered', async () => {
    const dir = newDir();
    const port = await freePort();
    const before = await metric('kestrel_output_dropped_total', { output: 'http', reason: 'spool-full' });
    const out = spooled(`http://127.0.0.1:${port}/alerts`, dir, 4096);
    const accepted = numberedAlerts(20).map((a) => out.write(a)).filter(Boolean).length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(20);
    expect((await metric('kestrel_output_dropped_total', { output: 'http', reason: 'spool-full' })) - before).toBe(20 - accepted);
    receiver = await Receiver.start(() => 200, undefined, port);
    await waitUntil(() => receiver!.acked.length === accepted, 'the accepted alerts');
    await out.close();
    expect(seqs(receiver.all.map((r) => r.body))).toEqual(range(0, accepted));
  });

  it('records are on disk once flushed, without a clean close (a crash after that loses nothing)', async () => {
    const dir = newDir();
    const s = Spool.open(dir, 1 << 20, failOnError);
    for (const i of range(0, 4)) s.push(`line ${i}`);
    s.shift(1); // the first was delivered
    await s.flushToDisk();
    const after = Spool.open(dir, 1 << 20, failOnError); // what the next process finds
    expect(after.peek(10)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(after.report.replayed).toBe(3);
  });

  it('a torn record at the end of a segment is cut off and reported; the records before it are replayed', async () => {
    const dir = newDir();
    const s = Spool.open(dir, 1 << 20, failOnError);
    for (const i of range(0, 3)) s.push(`line ${i}`);
    await s.close();
    const seg = readdirSync(dir).find((f) => f.endsWith('.seg'))!;
    appendFileSync(join(dir, seg), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 65, 66])); // a header promising 200 bytes, then 2
    const after = Spool.open(dir, 1 << 20, failOnError);
    expect(after.peek(10)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(after.report.discardedBytes).toBe(10);
    expect(after.report.problems[0]).toMatch(/10 bytes after record 3 are torn or corrupt/);
    // new records go to a new segment and are replayed after the old ones
    after.push('line 3');
    await after.close();
    expect(Spool.open(dir, 1 << 20, failOnError).peek(10)).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
  });

  it('a failed write is reported and its records are written by the next commit, in order', async () => {
    const dir = newDir();
    const errors: Error[] = [];
    const s = Spool.open(dir, 1 << 20, (e) => errors.push(e));
    rmSync(dir, { recursive: true });
    writeFileSync(dir, ''); // the directory is replaced by a file: writes fail (ENOTDIR)
    s.push('a');
    s.push('b');
    await s.flushToDisk();
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOTDIR']);
    rmSync(dir);
    mkdirSync(dir);
    s.push('c');
    await s.flushToDisk();
    expect(Spool.open(dir, 1 << 20, failOnError).peek(10)).toEqual(['a', 'b', 'c']);
  });

  it('records repeated by an abort-time "-final" segment are replayed once', async () => {
    const dir = newDir();
    const s = Spool.open(dir, 1 << 20, failOnError);
    for (const l of ['a', 'b', 'c']) s.push(l);
    await s.close();
    // what closeSync writes when a commit of b and c was still in progress: b, c again, then d
    const frame = (t: string) => {
      const p = Buffer.from(t);
      const h = Buffer.alloc(8);
      h.writeUInt32LE(p.length, 0);
      h.writeUInt32LE(crc32(p), 4);
      return Buffer.concat([h, p]);
    };
    writeFileSync(join(dir, `${'1'.padStart(20, '0')}-final.seg`), Buffer.concat(['b', 'c', 'd'].map(frame)));
    expect(Spool.open(dir, 1 << 20, failOnError).peek(10)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('abort (a second SIGTERM) writes what is queued to disk synchronously', () => {
    const dir = newDir();
    const out = spooled('http://127.0.0.1:9/alerts', dir);
    for (const a of numberedAlerts(5)) out.write(a);
    expect(out.abort()).toEqual({ output: 'http', undelivered: 5, spooled: 5 });
    const after = Spool.open(dir, 1 << 20, failOnError);
    expect(seqs(after.peek(10))).toEqual(range(0, 5));
  });
});
