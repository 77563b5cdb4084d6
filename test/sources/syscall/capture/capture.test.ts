// Capture files: written and read back, replay gives the same alerts as live evaluation, state
// updates apply where they were recorded, and damaged files stop with the offset after the
// alerts before the damage. Also `kestrel replay` on a capture, as a real process.
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../../src/engine/alert.js';
import type { RuleSet } from '../../../../src/engine/ruleset.js';
import { loadRulesFromText } from '../../../../src/index.js';
import { CHUNK_HEADER_SIZE, FILE_HEADER_SIZE, looksLikeCapture } from '../../../../src/sources/syscall/capture/format.js';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import { writeScenarioCapture } from '../../../../src/sources/syscall/testing/scenario-capture.js';
import { CaptureWriter } from '../../../../src/sources/syscall/capture/writer.js';
import { EVENT_NAMES } from '../../../../src/sources/syscall/record/event-table.js';
import type { SyscallEvent } from '../../../../src/sources/syscall/syscall-event.js';
import { HDR_SIZE } from '../../../../src/sources/syscall/record/layout.js';
import { buildScenario } from '../../../../src/sources/syscall/scenario/synthetic.js';
import { CLI, haveCli, KestrelProcess } from '../../../cli/kestrel-process.js';
import { processorFor } from '../helpers.js';
import { replayAlerts, tmpFile } from './capture-helpers.js';

const RULES = `
- macro: open_read
  condition: (evt.type in (open,openat,openat2) and evt.is_open_read=true and fd.typechar='f' and fd.num>=0)
- rule: shadow read
  desc: x
  condition: open_read and fd.name=/etc/shadow
  output: shadow read by %proc.name parent=%proc.pname user=%user.name container=%container.id cname=%container.name image=%container.image.repository cmd=%proc.cmdline
  priority: WARNING
- rule: outbound
  desc: x
  condition: evt.type=connect and fd.sip=203.0.113.5
  output: connect %fd.name by %proc.name
  priority: NOTICE
`;

const SCRIPT = `
user 0 root
user 1000 alice
container c1 name=web image=docker.io/library/nginx:1.25
user 101 nginx container=c1
proc systemd pid=1 exe=/sbin/init
proc bash pid=100 parent=1 exe=/bin/bash uid=1000
proc nginx pid=300 parent=1 exe=/usr/sbin/nginx container=c1 uid=101
100 spawn /usr/bin/cat /etc/shadow
101 openat /etc/shadow O_RDONLY
101 exit 0
100 connect 203.0.113.5:443
300 spawn /bin/sh -c "cat /etc/shadow"
301 spawn /usr/bin/cat /etc/shadow
302 openat /etc/shadow O_RDONLY
100 openat /etc/hosts O_RDONLY
`;

let ruleset: RuleSet;
beforeAll(() => {
  const r = loadRulesFromText([{ name: 'test.yaml', content: RULES }]);
  expect(r.errors).toEqual([]);
  ruleset = r.ruleset;
});

function liveAlerts(script: string): Alert[] {
  const s = buildScenario(script);
  const { processor } = processorFor(s);
  const rs = ruleset.forSource<SyscallEvent>('syscall')!;
  const out: Alert[] = [];
  processor.process(s.records, (e) => out.push(...rs.evaluate(e)));
  return out;
}

describe('capture files', () => {
  it('start with the magic, and replay to exactly the alerts live evaluation gave (output fields included)', async () => {
    const file = tmpFile('a.kcap');
    writeScenarioCapture(file, buildScenario(SCRIPT), { batchRecords: 2 });
    expect(looksLikeCapture(readFileSync(file))).toBe(true);
    const live = liveAlerts(SCRIPT);
    const { alerts, error, events } = await replayAlerts(file, ruleset);
    expect(error).toBeUndefined();
    expect(events).toBe(buildScenario(SCRIPT).list.length);
    expect(alerts).toEqual(live);
    expect(alerts.map((a) => a.output.replace(/^\S+ /, ''))).toEqual([
      'Warning shadow read by cat parent=bash user=alice container=host cname=host image=<NA> cmd=cat /etc/shadow',
      'Notice connect 10.0.0.2:40000->203.0.113.5:443 by bash',
      `Warning shadow read by cat parent=sh user=nginx container=${alerts[2]!.output_fields['container.id']} cname=web image=docker.io/library/nginx cmd=cat /etc/shadow`,
    ]);
  });

  it('keeps the capture host name and boot time, and reports the end chunk', async () => {
    const file = tmpFile('b.kcap');
    writeScenarioCapture(file, buildScenario(SCRIPT));
    const r = readCapture(file);
    const times: bigint[] = [];
    for await (const e of r.events()) times.push(e.timeNs());
    expect(r.ctx.hostname).toBe('kestrel-test');
    expect(times[0]).toBe(1_700_000_001_000_000_000n);
    expect(r.info?.eventTypes).toEqual(EVENT_NAMES);
    expect(r.end?.records).toBe(times.length);
  });

  it('applies state updates where they were recorded: container metadata arriving mid-capture', async () => {
    const s = buildScenario(`
      proc systemd pid=1 exe=/sbin/init
      proc bash pid=100 parent=1 exe=/bin/bash
      100 raw execve ret=0 res=0 exe=app args=app tid=100 pid=100 ptid=1 comm=app cgroups=unified=/system.slice/docker-${'ab'.repeat(32)}.scope trusted_exepath=/app
      100 openat /etc/shadow O_RDONLY
      100 openat /etc/shadow O_RDONLY
    `);
    const file = tmpFile('c.kcap');
    const w = new CaptureWriter(file, { kestrelVersion: 't', createdAt: '', hostname: 'h', bootEpochNs: '0', kernel: '', arch: '', recordHeaderSize: HDR_SIZE, eventTypes: [...EVENT_NAMES] });
    w.state(s.snapshot);
    w.recordBatch(Buffer.concat(s.list.slice(0, 2)), 2);
    // the runtime answered between the two opens
    w.container({ id: 'abababababab', fullId: 'ab'.repeat(32), type: 'docker', lookup: 'ok', name: 'late', image: 'alpine:3', imageRepository: 'alpine', imageTag: '3' });
    w.recordBatch(Buffer.concat(s.list.slice(2)), 1);
    w.close({ durationNs: '0' });
    const { alerts } = await replayAlerts(file, ruleset);
    expect(alerts.map((a) => [a.output_fields['container.id'], a.output_fields['container.name']])).toEqual([
      ['abababababab', null],
      ['abababababab', 'late'],
    ]);
  });

  it('a truncated capture stops with the offset of the cut chunk, after the alerts before it', async () => {
    const file = tmpFile('d.kcap');
    writeScenarioCapture(file, buildScenario(SCRIPT), { batchRecords: 2 });
    const full = readFileSync(file);
    const { alerts: all } = await replayAlerts(file, ruleset);
    // cut in the middle of the record chunk holding the container process's open
    const chunks = chunkOffsets(full);
    const last = chunks.filter((c) => c.type === 3).at(-1)!;
    const cut = tmpFile('cut.kcap');
    writeFileSync(cut, full.subarray(0, last.at + CHUNK_HEADER_SIZE + 10));
    const { alerts, error } = await replayAlerts(cut, ruleset);
    expect(error?.message).toBe(`truncated chunk (10 of ${last.len} bytes) at byte offset ${last.at}`);
    // the cut chunk held the container process's open: the two alerts before it are there
    expect(alerts).toEqual(all.slice(0, 2));
    // cut inside a chunk header
    const cut2 = tmpFile('cut2.kcap');
    writeFileSync(cut2, full.subarray(0, last.at + 5));
    expect((await replayAlerts(cut2, ruleset)).error?.message).toBe(`truncated chunk header (5 of 16 bytes) at byte offset ${last.at}`);
  });

  it('a damaged chunk is found by its checksum; a damaged record inside a valid chunk names the record', async () => {
    const file = tmpFile('e.kcap');
    writeScenarioCapture(file, buildScenario(SCRIPT), { batchRecords: 2 });
    const full = readFileSync(file);
    const rec = chunkOffsets(full).filter((c) => c.type === 3)[2]!;
    const bad = Buffer.from(full);
    bad[rec.at + CHUNK_HEADER_SIZE + 40] ^= 0xff;
    const f1 = tmpFile('bad1.kcap');
    writeFileSync(f1, bad);
    const r1 = await replayAlerts(f1, ruleset);
    expect(r1.error?.message).toBe(`corrupt chunk (checksum mismatch) at byte offset ${rec.at}`);
    // the damaged chunk held the connect: the alert before it is there
    expect(r1.alerts.map((a) => a.rule)).toEqual(['shadow read']);

    // a record length the writer never wrote, with a checksum that matches (a writer bug)
    const { CAPTURE_VERSION, chunkCrc } = await import('../../../../src/sources/syscall/capture/format.js');
    const bad2 = Buffer.from(full);
    const payloadAt = rec.at + CHUNK_HEADER_SIZE;
    const second = payloadAt + bad2.readUInt32LE(payloadAt + 8);
    bad2.writeUInt32LE(12, second + 8);
    bad2.writeUInt32LE(chunkCrc(CAPTURE_VERSION, bad2.subarray(rec.at, payloadAt), bad2.subarray(payloadAt, payloadAt + rec.len)), rec.at + 8);
    const f2 = tmpFile('bad2.kcap');
    writeFileSync(f2, bad2);
    const r2 = await replayAlerts(f2, ruleset);
    expect(r2.error?.message).toBe(`bad record length 12 at byte offset ${second}`);
  });

  it('rejects files that are not captures', async () => {
    const f = tmpFile('x.kcap');
    writeFileSync(f, 'KSTLCAQ\0' + 'x'.repeat(40));
    expect((await replayAlerts(f, ruleset)).error?.message).toBe('not a Kestrel capture (bad magic) at byte offset 0');
    expect(FILE_HEADER_SIZE).toBe(16);
  });
});

function chunkOffsets(b: Buffer): { at: number; type: number; len: number }[] {
  const out: { at: number; type: number; len: number }[] = [];
  let at = FILE_HEADER_SIZE;
  while (at + CHUNK_HEADER_SIZE <= b.length) {
    const type = b.readUInt32LE(at);
    const len = b.readUInt32LE(at + 4);
    out.push({ at, type, len });
    at += CHUNK_HEADER_SIZE + len + ((8 - (len % 8)) % 8);
  }
  return out;
}

describe.skipIf(!haveCli)(`kestrel replay on a capture (${CLI})`, () => {
  it('prints the alerts as JSON lines; a truncated capture exits 1 naming the offset, alerts before it printed', async () => {
    const rules = tmpFile('rules.yaml');
    writeFileSync(rules, RULES);
    const file = tmpFile('cli.kcap');
    writeScenarioCapture(file, buildScenario(SCRIPT), { batchRecords: 2 });
    const ok = new KestrelProcess(['replay', '-r', rules, '--json', file]);
    expect(await ok.exited).toBe(0);
    const lines = ok.stdoutLines().map((l) => JSON.parse(l) as Alert);
    expect(lines.map((a) => a.rule)).toEqual(['shadow read', 'outbound', 'shadow read']);
    expect(lines[0]!.output_fields).toMatchObject({ 'proc.name': 'cat', 'proc.pname': 'bash', 'user.name': 'alice' });
    expect(ok.stderr).toContain('12 event(s) from 1 file(s), 3 alert(s)');

    const full = readFileSync(file);
    const last = chunkOffsets(full).filter((c) => c.type === 3).at(-1)!;
    const cut = tmpFile('cli-cut.kcap');
    writeFileSync(cut, full.subarray(0, last.at + 20));
    const bad = new KestrelProcess(['replay', '-r', rules, '--json', cut]);
    expect(await bad.exited).toBe(1);
    expect(bad.stdoutLines().map((l) => (JSON.parse(l) as Alert).rule)).toEqual(['shadow read', 'outbound']);
    expect(bad.stderr).toContain(`cannot read ${cut}: truncated chunk (4 of ${last.len} bytes) at byte offset ${last.at}`);
  });
});
