// Converts a libscap savefile to a Kestrel capture (`kestrel convert IN.scap OUT.kcap`): the
// scap reader (reader.ts) turns the events into Kestrel records with the state applied; this
// writes them as a capture whose STATE chunk is the scap file's process, fd and user lists (read
// here up to the first event block, as libsinsp seeds its tables before the first event) and
// whose record timestamps are the scap epoch times (boot epoch 0).
import { arch } from 'node:os';
import { CaptureWriter } from '../capture/writer.js';
import { EVENT_NAMES } from '../record/event-table.js';
import { HDR_SIZE } from '../record/layout.js';
import { newContext } from '../state/context.js';
import { takeSnapshot, type StateSnapshot } from '../state/snapshot.js';
import { BT, openBlocks } from './blocks.js';
import { eventBlockKind } from './events.js';
import { applyMetadataBlock } from './metadata.js';
import { newScapStats } from './stats.js';
import { readScap } from './reader.js';
import { PendingState } from './seed.js';
import { removePartialOutput } from './writer.js';

export interface ToKcapSummary {
  records: number;
  processes: number;
  bytes: number;
  durationMs: number;
  /** The scap reader's account of what it read and skipped. */
  reader: string;
}

/** The state a scap file starts from: its metadata blocks, read up to the first event block. */
async function scapStartState(file: string): Promise<{ snapshot: StateSnapshot; hostname: string }> {
  const ctx = newContext({ bootEpochNs: 0n });
  const target = { ctx, pending: new PendingState(), stats: newScapStats(), hostname: '', interfaces: [] };
  const cgroups = new Map<bigint, string[]>();
  const blocks = await openBlocks(file);
  try {
    for (;;) {
      if (!blocks.next()) {
        if (blocks.done) break;
        await blocks.fill();
        continue;
      }
      const { type, body, offset } = blocks;
      if (eventBlockKind(type)) break;
      if (type !== BT.SHB) applyMetadataBlock(target, type, body, offset);
    }
  } finally {
    await blocks.close();
  }
  target.pending.flush(ctx, cgroups);
  return { snapshot: takeSnapshot(ctx, cgroups), hostname: target.hostname };
}

export async function scapToKcap(input: string, output: string, kestrelVersion = '0.0.0'): Promise<ToKcapSummary> {
  const t0 = process.hrtime.bigint();
  const { snapshot, hostname } = await scapStartState(input);
  const replay = readScap(input);
  const w = new CaptureWriter(output, {
    kestrelVersion,
    createdAt: new Date().toISOString(),
    hostname,
    bootEpochNs: '0', // scap times are ns since the epoch already
    kernel: '',
    arch: arch(),
    recordHeaderSize: HDR_SIZE,
    eventTypes: [...EVENT_NAMES],
  });
  let records = 0;
  try {
    w.state(snapshot);
    const parts: Uint8Array[] = [];
    let inBatch = 0;
    for await (const e of replay.events()) {
      parts.push(Buffer.from(e.buf.subarray(e.off, e.off + e.len)));
      inBatch++;
      records++;
      if (inBatch === 256) {
        w.recordParts(parts.splice(0), inBatch);
        inBatch = 0;
      }
    }
    w.recordParts(parts, inBatch);
    w.close({ durationNs: '0' });
  } catch (err) {
    w.abort();
    removePartialOutput(output);
    throw err;
  }
  return {
    records,
    processes: snapshot.processes.length,
    bytes: w.bytes,
    durationMs: Number((process.hrtime.bigint() - t0) / 1_000_000n),
    reader: replay.summary(),
  };
}
