// Reads a capture file back: restores the state the capture started from, then yields every
// record as an evaluated-ready event, applying the state updates in the order they were written,
// so rules see exactly what they saw live. Bad data ends the replay with a CaptureError naming
// the byte offset; every event before it has been yielded. A capture is complete only with its
// END chunk last, whose counts match the records read: a file cut on a chunk boundary is damage.
import { open, type FileHandle } from 'node:fs/promises';
import { newContext, type SyscallContext } from '../state/context.js';
import type { SyscallEvent } from '../syscall-event.js';
import { HDR_SIZE } from '../record/layout.js';
import { SyscallProcessor, RecordError } from '../batch-processor.js';
import { stepIterator } from '../step-iterator.js';
import type { ContainerInfo } from '../state/containers.js';
import { restoreSnapshot, type StateSnapshot } from '../state/snapshot.js';
import { tablesFromJson, type UserTablesJson } from '../state/users.js';
import {
  CAPTURE_MAGIC,
  CHUNK_HEADER_SIZE,
  ChunkType,
  FILE_HEADER_SIZE,
  MAX_CHUNK,
  READABLE_VERSIONS,
  chunkCrc,
  padding,
  type CaptureEnd,
  type CaptureInfo,
} from './format.js';
import { bootEpochProblem, memberOffset } from './info.js';
import { chunkContentProblem } from './chunk-content.js';

export class CaptureError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${reason} at byte offset ${offset}`);
  }
}

export interface CaptureReplay {
  /** The syscall state the events are resolved against (hostname, boot time from the capture). */
  ctx: SyscallContext;
  info: CaptureInfo | undefined;
  /** Set once the END chunk was read (undefined: the capture was cut short, or not read yet). */
  end: CaptureEnd | undefined;
  /** The events, in order (one pass: the events are read as they are asked for). */
  events(): AsyncIterableIterator<SyscallEvent>;
}

async function readExactly(fh: FileHandle, buf: Buffer, pos: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** Bytes read ahead per file read. */
const BLOCK = 1 << 20;

/**
 * The capture file read in blocks of BLOCK bytes: one read per block rather than two per chunk (a
 * busy capture holds thousands of small chunks, and every read is a round trip through libuv's
 * thread pool). A refill goes into a new buffer, so the views handed out earlier stay intact.
 */
class BlockFile {
  private buf = Buffer.alloc(0);
  private at = 0;

  constructor(private readonly fh: FileHandle) {}

  /** The `n` bytes at file offset `pos`; fewer only where the file ends. */
  async bytes(pos: number, n: number): Promise<Buffer> {
    const off = pos - this.at;
    if (off >= 0 && off + n <= this.buf.length) return this.buf.subarray(off, off + n);
    const next = Buffer.allocUnsafe(Math.max(BLOCK, n));
    const kept = off >= 0 && off < this.buf.length ? this.buf.copy(next, 0, off) : 0;
    const got = await readExactly(this.fh, next.subarray(kept), pos + kept);
    this.buf = next.subarray(0, kept + got);
    this.at = pos;
    return this.buf.subarray(0, Math.min(n, this.buf.length));
  }
}

function json<T>(file: string, payload: Buffer, at: number): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch (e) {
    throw new CaptureError(file, at, `bad chunk content (${(e as Error).message})`);
  }
}

const CHUNK_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(ChunkType).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k]),
);

/** Parses a JSON chunk and checks it holds what its type says. */
function content<T>(file: string, type: ChunkType, payload: Buffer, at: number): T {
  const value = json<T>(file, payload, at);
  const problem = chunkContentProblem(type, value);
  if (problem) throw new CaptureError(file, at, `bad ${CHUNK_NAMES[type]} chunk (${problem})`);
  return value;
}

/** Opens a capture for replay. */
export function readCapture(file: string): CaptureReplay {
  const ctx = newContext();
  const processor = new SyscallProcessor(ctx);
  let batches = 0;

  /** Applies a state chunk (every type but RECORDS); any failure is reported at the chunk's offset. */
  const apply = (type: ChunkType, payload: Buffer, at: number): void => {
    try {
      switch (type) {
        case ChunkType.INFO: {
          const info = content<CaptureInfo>(file, type, payload, at);
          if (info.recordHeaderSize !== HDR_SIZE) throw new CaptureError(file, at, `record header size ${info.recordHeaderSize} is not ${HDR_SIZE}`);
          replay.info = info;
          const badBoot = bootEpochProblem(info.bootEpochNs);
          if (badBoot) throw new CaptureError(file, at + memberOffset(payload, 'bootEpochNs'), `INFO chunk: ${badBoot}`);
          ctx.bootEpochNs = BigInt(info.bootEpochNs);
          ctx.hostname = info.hostname;
          break;
        }
        case ChunkType.STATE:
          restoreSnapshot(ctx, processor.parser.cgroupPaths, content<StateSnapshot>(file, type, payload, at));
          break;
        case ChunkType.CGROUP: {
          const c = content<{ id: string; entries: string[] }>(file, type, payload, at);
          processor.parser.cgroupPaths.set(BigInt(c.id), c.entries);
          break;
        }
        case ChunkType.CONTAINER:
          ctx.containers.put(content<ContainerInfo>(file, type, payload, at));
          break;
        case ChunkType.USERS: {
          const u = content<{ key: string; tables: UserTablesJson }>(file, type, payload, at);
          ctx.users.set(u.key, tablesFromJson(u.tables));
          break;
        }
        case ChunkType.END: {
          const end = content<CaptureEnd>(file, type, payload, at);
          // every record is an event, or counted as of a type this build does not know
          const records = processor.count + ctx.stats.unknownType;
          if (end.records !== records || end.batches !== batches) {
            throw new CaptureError(file, at, `END chunk counts ${end.records} record(s) in ${end.batches} batch(es); the file holds ${records} in ${batches}`);
          }
          replay.end = end;
          break;
        }
      }
    } catch (err) {
      if (err instanceof CaptureError) throw err;
      throw new CaptureError(file, at, `bad ${CHUNK_NAMES[type]} chunk (${(err as Error).message})`);
    }
  };

  /** The events of one RECORDS chunk; malformed data is reported at the record's (or the chunk's) offset. */
  function* records(payload: Buffer, at: number): Generator<SyscallEvent> {
    processor.load(payload, at);
    for (;;) {
      let e: SyscallEvent | undefined;
      try {
        e = processor.next();
      } catch (err) {
        if (err instanceof RecordError) throw new CaptureError(file, err.offset, err.message.replace(/ at byte offset \d+$/, ''));
        throw new CaptureError(file, at, `bad RECORDS chunk (${(err as Error).message})`);
      }
      if (!e) return;
      yield e;
    }
  }

  /** The events, and the reads to wait for (stepIterator). */
  function* steps(): Generator<SyscallEvent | Promise<unknown>, void, unknown> {
    const fh = (yield open(file, 'r')) as FileHandle;
    const blocks = new BlockFile(fh);
    try {
      const head = (yield blocks.bytes(0, FILE_HEADER_SIZE)) as Buffer;
      if (head.length < FILE_HEADER_SIZE || !head.subarray(0, 8).equals(CAPTURE_MAGIC)) throw new CaptureError(file, 0, 'not a Kestrel capture (bad magic)');
      const version = head.readUInt16LE(8);
      if (!READABLE_VERSIONS.includes(version)) throw new CaptureError(file, 8, `unsupported capture version ${version}`);
      if (head.subarray(10).some((b) => b !== 0)) throw new CaptureError(file, 10, 'bad file header (reserved bytes not zero)');
      let pos = FILE_HEADER_SIZE;
      let chunks = 0;
      for (;;) {
        const ch = (yield blocks.bytes(pos, CHUNK_HEADER_SIZE)) as Buffer;
        const n = ch.length;
        if (n === 0 && !replay.end) throw new CaptureError(file, pos, 'capture cut short: the file ends without its END chunk');
        if (n === 0) break;
        if (replay.end) throw new CaptureError(file, pos, 'data after the END chunk');
        if (n < CHUNK_HEADER_SIZE) throw new CaptureError(file, pos, `truncated chunk header (${n} of ${CHUNK_HEADER_SIZE} bytes)`);
        const type = ch.readUInt32LE(0);
        const len = ch.readUInt32LE(4);
        const crc = ch.readUInt32LE(8);
        const sequence = ch.readUInt32LE(12);
        if (len > MAX_CHUNK) throw new CaptureError(file, pos, `bad chunk length ${len}`);
        const pad = padding(len);
        const padded = (yield blocks.bytes(pos + CHUNK_HEADER_SIZE, len + pad)) as Buffer;
        const have = padded.length;
        if (have < len) throw new CaptureError(file, pos, `truncated chunk (${have} of ${len} bytes)`);
        if (have < len + pad) throw new CaptureError(file, pos, `truncated chunk padding (${have - len} of ${pad} bytes)`);
        if (padded.subarray(len).some((b) => b !== 0)) throw new CaptureError(file, pos, 'bad chunk padding (not zero)');
        const payload = padded.subarray(0, len);
        if (chunkCrc(version, ch, payload) !== crc) throw new CaptureError(file, pos, 'corrupt chunk (checksum mismatch)');
        // what the version-1 CRC does not cover is checked field by field
        const expected = version === 1 ? 0 : chunks;
        if (sequence !== expected) {
          throw new CaptureError(file, pos, version === 1 ? `bad chunk header (reserved field ${sequence}, not 0)` : `chunk number ${sequence} where chunk ${chunks} belongs (a chunk lost, repeated or moved)`);
        }
        const known = CHUNK_NAMES[type] !== undefined;
        if (!known && version === 1) throw new CaptureError(file, pos, `unknown chunk type ${type} (version 1 has types 1-7)`);
        if (chunks === 0 && type !== ChunkType.INFO) throw new CaptureError(file, pos, `the first chunk is of type ${type}, not INFO`);
        if (chunks > 0 && type === ChunkType.INFO) throw new CaptureError(file, pos, 'a second INFO chunk');
        chunks++;
        const at = pos + CHUNK_HEADER_SIZE;
        pos = at + len + pad;
        if (type === ChunkType.RECORDS) {
          batches++;
          yield* records(payload, at);
        } else if (known) apply(type, payload, at);
        // else: a newer writer's chunk (its CRC covers its type): nothing this reader needs
      }
    } finally {
      processor.finish();
      yield fh.close();
    }
  }

  const replay: CaptureReplay = {
    ctx,
    info: undefined,
    end: undefined,
    events: () => stepIterator(steps()),
  };
  return replay;
}
