// Converts a libscap savefile to a Kestrel capture (`kestrel convert IN.scap OUT.kcap`): the
// scap reader (reader.ts) turns the events into Kestrel records with the state applied; this
// writes them as a capture whose STATE chunk is the scap file's process, fd and user lists (read
// here up to the first event block, as libsinsp seeds its tables before the first event) and
// whose record timestamps are the scap epoch times (boot epoch 0).
import { open } from 'node:fs/promises';
import { arch } from 'node:os';
import { CaptureWriter } from '../capture/writer.js';
import { EVENT_NAMES } from '../record/event-table.js';
import { HDR_SIZE } from '../record/layout.js';
import { newContext } from '../state/context.js';
import { takeSnapshot, type StateSnapshot } from '../state/snapshot.js';
import { BT, BlockReader, isGzip } from './blocks.js';
import { eventBlockKind } from './events.js';
import { readFdlist } from './fdlist.js';
import { proclistVersion, readProclist } from './proclist.js';
import { readScap } from './reader.js';
import { PendingState } from './seed.js';
import { readUserlist } from './userlist.js';
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
  const head = Buffer.alloc(2);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const ctx = newContext({ bootEpochNs: 0n });
  const pending = new PendingState();
  const cgroups = new Map<bigint, string[]>();
  const blocks = new BlockReader(file, isGzip(head));
  let hostname = '';
  try {
    for (;;) {
      if (!blocks.next()) {
        if (blocks.done) break;
        await blocks.fill();
        continue;
      }
      const { type, body, offset } = blocks;
      if (eventBlockKind(type)) break;
      if (proclistVersion(type)) pending.threads.push(...readProclist(body, offset, type));
      else if (type === BT.FDL || type === BT.FDL_INT || type === BT.FDL_V2) {
        const list = readFdlist(body, offset, type);
        pending.fds.set(list.tid, [...(pending.fds.get(list.tid) ?? []), ...list.fds]);
      } else if (type === BT.UL || type === BT.UL_INT || type === BT.UL_V2) ctx.users.set('', readUserlist(body, offset, type));
      else if (type === BT.MI || type === BT.MI_INT) hostname = body.toString('utf8', 20, 148).replace(/\0.*$/s, '');
    }
  } finally {
    await blocks.close();
  }
  pending.flush(ctx, cgroups);
  return { snapshot: takeSnapshot(ctx, cgroups), hostname };
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
