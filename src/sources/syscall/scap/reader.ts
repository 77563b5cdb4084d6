// Reads libscap capture files (.scap, plain or gzip-compressed, as Falco 0.3x-0.4x and sysdig
// write them) as Kestrel syscall events: the follower of libscap's savefile engine
// (engine/savefile/scap_savefile.c) and of what libsinsp does with it (sinsp_parser: enter events
// kept per thread and merged into their exit event; the thread table seeded from the capture's
// process list, never from this host's /proc).
//
// API (kestrel replay / run -e through src/agent/replay-readers.ts; bench/vs-libsinsp):
//   const replay = readScap(file);      // nothing is read yet
//   for await (const e of replay.events()) ...   // SyscallEvents, state applied, in file order
//   replay.ctx                          // the state the events resolve against (threads, fds, users)
//   replay.stats                        // ScapStats: blocks, events, records, merges, skips by reason
//   replay.summary()                    // stats as one line
//   looksLikeScap(head)                 // the first bytes (plain or gzip) are a scap file
//   replayScap(file)                    // the events as replay-readers.ts wants them, with summary()
// The SyscallEvent yielded is one object reused for every event (as the live source's): read its
// fields before asking for the next. Blocks are decoded in place in the read buffer and every
// event block becomes at most one Kestrel record, written into a reused arena. Unknown
// blocks and event types are skipped and counted, never fatal. Bad data (a cut file, a block
// length that does not match its trailer, a bad section header) throws CaptureError(file, offset,
// reason) after every event before it was yielded.
import { gunzipSync } from 'node:zlib';
import { SyscallProcessor, RecordError } from '../batch-processor.js';
import { stepIterator } from '../step-iterator.js';
import { CaptureError } from '../capture/reader.js';
import { MAX_RECORD } from '../record/layout.js';
import { newContext, type SyscallContext } from '../state/context.js';
import type { SyscallEvent } from '../syscall-event.js';
import { BT, SCAP_MAJOR_VERSION, SHB_MAGIC, ScapFormatError, isGzip, looksLikeScapBlock, openBlocks, type BlockReader } from './blocks.js';
import { ScapEvent, decodeEvent, eventBlockKind } from './events.js';
import { eventMapper } from './event-mapper.js';
import type { ScapInterface } from './iflist.js';
import { applyMetadataBlock } from './metadata.js';
import { ARENA_SIZE, RecordBuilder } from './record.js';
import { PendingState } from './seed.js';
import { describeScapStats, exportScapMetrics, newScapStats, reportScapSkips, type ScapStats } from './stats.js';

export interface ScapReplay {
  ctx: SyscallContext;
  stats: ScapStats;
  /** Hostname from the machine info block ('' until read). */
  hostname: string;
  interfaces: ScapInterface[];
  events(): AsyncIterableIterator<SyscallEvent>;
  summary(): string;
}

/** Whether a file's first bytes are a scap file, plain or gzip-compressed. */
export function looksLikeScap(head: Uint8Array): boolean {
  if (looksLikeScapBlock(head)) return true;
  if (!isGzip(head)) return false;
  try {
    // the head is a prefix of the stream: inflate what it holds
    return looksLikeScapBlock(gunzipSync(head, { finishFlush: 2 /* Z_SYNC_FLUSH */ }));
  } catch {
    return false;
  }
}

export function readScap(file: string): ScapReplay {
  const ctx = newContext({ bootEpochNs: 0n }); // scap timestamps are ns since the epoch
  const processor = new SyscallProcessor(ctx);
  const stats = newScapStats();
  const builder = new RecordBuilder();
  const ev = new ScapEvent();
  const mapper = eventMapper(ctx, stats, builder, ev);
  const pending = new PendingState();
  const replay: ScapReplay = { ctx, stats, hostname: '', interfaces: [], events, summary: () => describeScapStats(stats) };

  const metaTarget = { ctx, pending, stats, hostname: '', interfaces: [] as ScapInterface[] };
  const metadata = (type: number, body: Buffer, at: number): void => {
    applyMetadataBlock(metaTarget, type, body, at);
    replay.hostname = metaTarget.hostname;
    replay.interfaces = metaTarget.interfaces;
  };

  const sectionHeader = (body: Buffer, at: number): void => {
    if (body.length < 16) throw new ScapFormatError(at, `section header block of ${body.length + 12} bytes, too short`);
    const magic = body.readUInt32LE(0);
    if (magic !== SHB_MAGIC) {
      const why = magic === 0x4d3c2b1a ? 'big-endian captures are not supported' : `bad byte-order magic 0x${magic.toString(16)}`;
      throw new ScapFormatError(at + 8, `bad section header: ${why}`);
    }
    const major = body.readUInt16LE(4);
    if (major > SCAP_MAJOR_VERSION) throw new ScapFormatError(at + 12, `scap format version ${major}.${body.readUInt16LE(6)} is newer than this reader (${SCAP_MAJOR_VERSION}.x)`);
    stats.sections++;
  };

  // a sync generator driven by stepIterator (it yields the reads to wait for): an async
  // generator's yield cost several promise ticks per event
  function events(): AsyncIterableIterator<SyscallEvent> {
    return stepIterator(steps());
  }

  function* steps(): Generator<SyscallEvent | Promise<unknown>, void, unknown> {
    const blocks = (yield openBlocks(file)) as BlockReader;
    let arenaLoaded = false;
    const where = blocks.compressed ? ' of the uncompressed data' : '';
    try {
      for (;;) {
        if (!blocks.next()) {
          if (blocks.done) break;
          yield blocks.fill();
          continue;
        }
        const type = blocks.type;
        const at = blocks.offset;
        stats.blocks++;
        if (stats.blocks === 1 && type !== BT.SHB) throw new ScapFormatError(at, `not a scap file: the first block is of type 0x${type.toString(16)}, not a section header`);
        if (type === BT.SHB) {
          sectionHeader(blocks.body, at);
          continue;
        }
        if (!eventBlockKind(type)) {
          metadata(type, blocks.body, at);
          continue;
        }
        stats.events++;
        if (!pending.empty) stats.orphanFdLists += pending.flush(ctx, processor.parser.cgroupPaths);
        if (!decodeEvent(blocks.buffer, blocks.bodyAt, blocks.bodySize, at, type, ev)) {
          stats.unknownTypes++;
          continue;
        }
        processor.finish();
        // records go one after another into the builder's arena, which the processor steps through
        if (builder.at + MAX_RECORD > ARENA_SIZE || !arenaLoaded) {
          builder.at = 0;
          processor.load(builder.buf);
          arenaLoaded = true;
        }
        const len = mapper.toRecord();
        if (len === 0) continue;
        builder.at += len;
        stats.records++;
        stats.truncatedParams = builder.truncatedParams;
        let e: SyscallEvent | undefined;
        try {
          e = processor.next();
        } catch (err) {
          if (err instanceof RecordError) throw new ScapFormatError(at, `event makes a bad record (${err.message})`);
          throw err;
        }
        if (e) yield e;
        else arenaLoaded = false; // the processor reached the end of the arena: start it again
      }
      if (!pending.empty) stats.orphanFdLists += pending.flush(ctx, processor.parser.cgroupPaths);
      if (stats.blocks === 0) throw new ScapFormatError(0, 'not a scap file: it is empty');
    } catch (err) {
      if (err instanceof ScapFormatError) throw new CaptureError(file, err.offset, `${err.reason}${where ? ` (byte offsets count${where})` : ''}`);
      throw err;
    } finally {
      processor.finish();
      mapper.finish();
      reportScapSkips(stats);
      yield blocks.close();
    }
  }

  return replay;
}

/**
 * The events of a scap file for `kestrel replay` and `kestrel run -e` (replay-readers.ts): its
 * counters are the ones Prometheus reports, and summary() describes what was read and skipped.
 */
export function replayScap(file: string): AsyncIterable<SyscallEvent> & { summary(): string } {
  const replay = readScap(file);
  exportScapMetrics(() => replay.stats);
  return { [Symbol.asyncIterator]: () => replay.events(), summary: () => `scap: ${replay.summary()}` };
}
