// Falco's output settings: json_include_{output,tags,message,output_fields}_property,
// time_format_iso_8601 (formats.cpp), buffered_outputs, file_output.keep_alive.
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_JSON_PROPS } from '../../src/engine/alert.js';
import { FileOutput } from '../../src/outputs/file.js';
import { alertFormatter } from '../../src/outputs/format.js';
import { StreamOutput } from '../../src/outputs/stdout.js';
import { makeAlerts } from './alerts.js';

const log = pino({ level: 'silent' });
const alert = makeAlerts(1)[0]!;
const MESSAGE = 'exec by admin@example.com into d8-system/deckhouse-77f868d554-8zpt4 (command=mkdir)';

describe('alert format settings', () => {
  it("Falco's defaults: output, output_fields and tags; no message", () => {
    const j = JSON.parse(alertFormatter({ json: true, jsonProps: DEFAULT_JSON_PROPS, timeIso8601: false })(alert));
    expect(Object.keys(j)).toEqual(['hostname', 'output', 'output_fields', 'priority', 'rule', 'source', 'tags', 'time']);
  });

  it('json_include_message_property adds the output without time and priority; the others remove their property', () => {
    const f = alertFormatter({ json: true, jsonProps: { output: false, tags: false, message: true, outputFields: false }, timeIso8601: false });
    const j = JSON.parse(f(alert));
    expect(Object.keys(j)).toEqual(['hostname', 'message', 'priority', 'rule', 'source', 'time']);
    expect(j.message).toBe(MESSAGE);
  });

  it('time_format_iso_8601: the output starts with evt.time.iso8601 (UTC, +0000) and output_fields has it instead of evt.time', () => {
    const j = JSON.parse(alertFormatter({ json: true, jsonProps: DEFAULT_JSON_PROPS, timeIso8601: true })(alert));
    const iso = alert.time.replace(/Z$/, '+0000');
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+0000$/);
    expect(j.output).toBe(`${iso}: Notice ${MESSAGE}`);
    expect(j.output_fields['evt.time.iso8601']).toBe(iso);
    expect(j.output_fields).not.toHaveProperty('evt.time');
    expect(Object.keys(j.output_fields)).toEqual([...Object.keys(j.output_fields)].sort());
    expect(j.time).toBe(alert.time); // the JSON time stays Falco's RFC 3339 with Z
    expect(alertFormatter({ json: false, jsonProps: DEFAULT_JSON_PROPS, timeIso8601: true })(alert)).toBe(`${iso}: Notice ${MESSAGE}`);
  });
});

/** A stream recording each write call. */
function recorder(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  return { writes, stream: new Writable({ write: (c, _e, cb) => (writes.push(String(c)), cb()) }) };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('buffered_outputs', () => {
  it('off (Falco default): alerts arriving apart are written apart', async () => {
    const { stream, writes } = recorder();
    const out = new StreamOutput({ format: 'text', maxQueued: 100, log }, stream, 'test-unbuffered');
    for (const a of makeAlerts(3)) {
      out.write(a);
      await turn();
    }
    await out.close();
    expect(writes).toHaveLength(3);
  });

  it('on: alerts arriving apart are held and written together (at flush, or after a second at most)', async () => {
    const { stream, writes } = recorder();
    const out = new StreamOutput({ format: 'text', maxQueued: 100, log, buffered: true }, stream, 'test-buffered');
    for (const a of makeAlerts(3)) {
      out.write(a);
      await turn();
    }
    await out.close();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.trim().split('\n')).toHaveLength(3);
  });
});

describe('file_output.keep_alive', () => {
  it('false (Falco default): the file is opened for each write, so a rotated file is followed without SIGHUP', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kestrel-file-')), 'alerts.log');
    const out = new FileOutput({ format: 'json', maxQueued: 100, log }, path, false);
    out.write(alert);
    await out.flush();
    renameSync(path, `${path}.1`);
    out.write(alert);
    await out.close();
    expect(readFileSync(`${path}.1`, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('true: the file stays open; after rotation writes go to the renamed file until reopen (SIGHUP)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kestrel-file-')), 'alerts.log');
    const out = new FileOutput({ format: 'json', maxQueued: 100, log }, path, true);
    out.write(alert);
    await out.flush();
    renameSync(path, `${path}.1`);
    out.write(alert);
    await out.flush();
    out.reopen();
    out.write(alert);
    await out.close();
    expect(readFileSync(`${path}.1`, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(1);
  });
});
