// Synthetic captures: a scenario (scenario/synthetic.ts) written as a capture file,
// exactly as `kestrel capture` would have written the same activity.
import { arch, release } from 'node:os';
import { EVENT_NAMES } from '../record/event-table.js';
import { HDR_SIZE } from '../record/layout.js';
import type { Scenario } from '../scenario/synthetic.js';
import { CaptureWriter } from '../capture/writer.js';
import type { CaptureInfo } from '../capture/format.js';

/** `info` overrides INFO chunk values (to write captures no recorder would, for tests). */
export function writeScenarioCapture(path: string, s: Scenario, opts: { batchRecords?: number; info?: Partial<CaptureInfo> } = {}): { bytes: number } {
  const w = new CaptureWriter(path, {
    kestrelVersion: 'synthetic',
    createdAt: new Date(Number(s.bootEpochNs / 1_000_000n)).toISOString(),
    hostname: s.hostname,
    bootEpochNs: s.bootEpochNs.toString(),
    kernel: release(),
    arch: arch(),
    recordHeaderSize: HDR_SIZE,
    eventTypes: [...EVENT_NAMES],
    ...opts.info,
  });
  w.state(s.snapshot);
  const per = opts.batchRecords ?? 64;
  for (let i = 0; i < s.list.length; i += per) {
    const part = s.list.slice(i, i + per);
    const buf = Buffer.concat(part.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)));
    w.recordBatch(buf, part.length);
  }
  w.close({ durationNs: '0' });
  return { bytes: w.bytes };
}
