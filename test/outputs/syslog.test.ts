// syslog_output against real receivers: a unix datagram socket server (python3's socket module)
// that records each datagram byte for byte, and rsyslogd listening on a temporary socket
// (imuxsock), which must parse each message as syslog(3)'s: facility, severity, tag, text.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { alertToJson } from '../../src/engine/alert.js';
import { SyslogOutput, syslogTimestamp } from '../../src/outputs/syslog.js';
import { unixDgram } from '../../src/outputs/unix-datagram.js';
import { metric, numberedAlerts, waitUntil } from './receivers.js';

const log = pino({ level: 'silent' });
const addonMissing = typeof unixDgram() === 'string' ? (unixDgram() as string) : undefined;
if (addonMissing) console.warn(`SKIPPED syslog output tests: ${addonMissing}`);
const RSYSLOGD = ['/usr/sbin/rsyslogd', '/sbin/rsyslogd'].find((p) => existsSync(p));
if (!RSYSLOGD) console.warn('SKIPPED rsyslog test: rsyslogd is not installed (apt-get install rsyslog)');
const havePython = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' }).status === 0;
if (!havePython) console.warn('SKIPPED raw datagram test: python3 is not available');

// Binds a SOCK_DGRAM unix socket and prints each datagram as hex, one per line.
const PY_RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    print(s.recv(65536).hex(), flush=True)
`;

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGTERM');
    if (c.exitCode === null) await new Promise((r) => c.once('exit', r));
  }
});

function datagramReceiver(path: string): { datagrams: string[]; ready: Promise<void> } {
  const child = spawn('python3', ['-c', PY_RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const datagrams: string[] = [];
  let buf = '';
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.stdout!.on('data', (c) => {
    buf += c;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'ready') ready();
      else datagrams.push(Buffer.from(line, 'hex').toString());
    }
  });
  return { datagrams, ready: isReady };
}

function syslog(socket: string, facility = 'user'): SyslogOutput {
  return new SyslogOutput({ format: 'json', maxQueued: 100, log, backoff: { initialMs: 5, maxMs: 50 } }, { socket, facility, ident: 'kestrel' });
}

describe.skipIf(addonMissing !== undefined)('syslog output', () => {
  it.skipIf(!havePython)('sends each alert as one datagram in syslog(3) format: <PRI>Mmm dd hh:mm:ss kestrel: JSON', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kestrel-syslog-')), 'log.sock');
    const r = datagramReceiver(path);
    await r.ready;
    const out = syslog(path);
    const alerts = numberedAlerts(3);
    const before = new Date();
    for (const a of alerts) out.write(a);
    await waitUntil(() => r.datagrams.length === 3, '3 datagrams');
    await out.close();
    for (const [i, d] of r.datagrams.entries()) {
      // Notice (5) in facility user (1): 1 * 8 + 5
      const m = /^<13>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) kestrel: (.*)$/s.exec(d);
      expect(m, d).not.toBeNull();
      expect(m![2]).toBe(alertToJson(alerts[i]!));
    }
    expect(r.datagrams[0]!.slice(4, 10)).toBe(syslogTimestamp(before).slice(0, 6));
  });

  it.skipIf(!havePython)('keeps alerts while the socket is absent and delivers them when the receiver appears', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kestrel-syslog-')), 'log.sock');
    const before = await metric('kestrel_output_retries_total', { output: 'syslog' });
    const out = syslog(path);
    for (const a of numberedAlerts(4)) out.write(a);
    await waitUntil(async () => (await metric('kestrel_output_retries_total', { output: 'syslog' })) - before >= 2, 'retries while the socket is absent');
    const r = datagramReceiver(path);
    await r.ready;
    await waitUntil(() => r.datagrams.length === 4, '4 datagrams');
    await out.close();
    expect(r.datagrams.map((d) => /seq=(\d+)/.exec(d)![1])).toEqual(['0', '1', '2', '3']);
  });

  it.skipIf(!RSYSLOGD)('rsyslogd (imuxsock on a temporary socket) parses facility, severity, tag and message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-rsyslog-'));
    const sock = join(dir, 'log.sock');
    const outFile = join(dir, 'out.log');
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      [
        `global(workDirectory="${dir}")`,
        'module(load="imuxsock" SysSock.Use="off")',
        `input(type="imuxsock" Socket="${sock}" CreatePath="on")`,
        'template(name="fields" type="string" string="%syslogfacility-text%|%syslogseverity-text%|%syslogtag%|%msg%\\n")',
        `*.* action(type="omfile" file="${outFile}" template="fields")`,
        '',
      ].join('\n'),
    );
    const d = spawn(RSYSLOGD!, ['-n', '-f', join(dir, 'rsyslog.conf'), '-i', join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
    children.push(d);
    await waitUntil(() => existsSync(sock), 'rsyslogd socket');
    const out = syslog(sock, 'local3');
    const alerts = numberedAlerts(2);
    for (const a of alerts) out.write(a);
    await waitUntil(() => existsSync(outFile) && readFileSync(outFile, 'utf8').trim().split('\n').length >= 2, 'two lines from rsyslogd');
    await out.close();
    const lines = readFileSync(outFile, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const [i, l] of lines.entries()) {
      const [facility, severity, tag, ...msg] = l.split('|');
      expect({ facility, severity, tag }).toEqual({ facility: 'local3', severity: 'notice', tag: 'kestrel:' });
      expect(msg.join('|').trim()).toBe(alertToJson(alerts[i]!));
    }
  });
});
