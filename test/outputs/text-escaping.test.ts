// Text-mode alerts are lines: event data must not be able to end one and forge another (issue 14,
// defect 9c). Control characters are escaped in text mode; JSON mode carries them as JSON does.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { alertToText } from '../../src/engine/alert.js';
import { StreamOutput } from '../../src/outputs/stdout.js';
import * as fx from '../sources/k8saudit/fixtures.js';
import { alertFor } from './alerts.js';

const log = pino({ level: 'silent' });
const FORGED = '\n2026-12-03T12:00:00.000000000Z: Critical fake alert (user=root)';

function execBy(username: string): fx.Obj {
  const e = fx.execDeckhouse();
  e.user = { ...e.user, username };
  return e;
}

async function written(format: 'json' | 'text', username: string): Promise<string> {
  let text = '';
  const sink = new Writable({ write: (c, _e, cb) => ((text += c), cb()) });
  const out = new StreamOutput({ format, maxQueued: 10, log }, sink, `test-escape-${format}`);
  expect(out.write(alertFor(execBy(username)))).toBe(true);
  await out.close();
  return text;
}

describe('text-mode alerts with control characters in event data', () => {
  it('a user name carrying a newline and a fake alert stays inside one escaped line', async () => {
    const text = await written('text', `mallory${FORGED}`);
    expect(text.split('\n')).toEqual([expect.any(String), '']);
    expect(text).toMatch(
      /^\d\d:\d\d:\d\d\.\d{9}: Notice exec by mallory\\n2026-12-03T12:00:00\.000000000Z: Critical fake alert \(user=root\) into d8-system\/deckhouse-77f868d554-8zpt4 \(command=mkdir\)\n$/,
    );
  });

  it('escapes carriage return, tab, escape, other C0, DEL, C1 and the Unicode line separators', () => {
    const line = alertToText(alertFor(execBy('a\rb\tc\x1b[31md\x00e\x7ff\x85g\u2028h\u2029i')));
    expect(line).toContain('exec by a\\rb\\tc\\x1b[31md\\x00e\\x7ff\\u0085g\\u2028h\\u2029i into');
    // eslint-disable-next-line no-control-regex -- no control character may remain
    expect(line).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029]/);
  });

  it('leaves printable text, backslashes and non-ASCII letters as they are', () => {
    const line = alertToText(alertFor(execBy('DOMAIN\\jürgen 名前')));
    expect(line).toContain('exec by DOMAIN\\jürgen 名前 into');
  });

  it('JSON mode keeps the value exactly, newline included, on one line', async () => {
    const text = await written('json', `mallory${FORGED}`);
    expect(text.split('\n')).toEqual([expect.any(String), '']);
    const alert = JSON.parse(text);
    expect(alert.output_fields['ka.user.name']).toBe(`mallory${FORGED}`);
    expect(alert.output).toContain(`exec by mallory${FORGED} into`);
  });
});
