// Reads a capture file back: restores the state the capture started from, then yields every
// record as an evaluated-ready event, applying the state updates in the order they were written,
// so rules see exactly what they saw live. Bad data ends the replay with a CaptureError naming
// the byte offset; every event before it has been yielded.
import { open, type FileHandle } from 'node:fs/promises';
import { newContext, type SyscallContext } from '../state/context.js';
import type { SyscallEvent } from '../syscall-event.js';
import { HDR_SIZE } from '../record/layout.js';
import { SyscallProcessor, RecordError } from '../batch-processor.js';
import type { ContainerInfo } from '../state/containers.js';
import { restoreSnapshot, type StateSnapshot } from '../state/snapshot.js';
import { tablesFromJson, type UserTablesJson } from '../state/users.js';
import {
  CAPTURE_MAGIC,
  CAPTURE_VERSION,
  CHUNK_HEADER_SIZE,
  ChunkType,
  FILE_HEADER_SIZE,
  MAX_CHUNK,
  crc32,
  padding,
  type CaptureEnd,
  type CaptureInfo,
} from './format.js';
import { bootEpochProblem, memberOffset } from './info.js';

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
  /** The events, in order. */
  events(): AsyncGenerator<SyscallEvent>;
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

function json<T>(file: string, payload: Buffer, at: number): T {
  try {
    return JSON.parse(payload.toString('utf8')) as T;
  } catch (e) {
    throw new CaptureError(file, at, `bad chunk content (${(e as Error).message})`);
  }
}

/** Opens a capture for replay. */
export function readCapture(file: string): CaptureReplay {
  const ctx = newContext();
  const processor = new SyscallProcessor(ctx);
  const replay: CaptureReplay = {
    ctx,
    info: undefined,
    end: undefined,
    async *events() {
      const fh = await open(file, 'r');
      try {
        const head = Buffer.alloc(FILE_HEADER_SIZE);
        const got = await readExactly(fh, head, 0);
        if (got < FILE_HEADER_SIZE || !head.subarray(0, 8).equals(CAPTURE_MAGIC)) throw new CaptureError(file, 0, 'not a Kestrel capture (bad magic)');
        const version = head.readUInt16LE(8);
        if (version !== CAPTURE_VERSION) throw new CaptureError(file, 8, `unsupported capture version ${version}`);
        let pos = FILE_HEADER_SIZE;
        const ch = Buffer.alloc(CHUNK_HEADER_SIZE);
        for (;;) {
          const n = await readExactly(fh, ch, pos);
          if (n === 0) break;
          if (n < CHUNK_HEADER_SIZE) throw new CaptureError(file, pos, `truncated chunk header (${n} of ${CHUNK_HEADER_SIZE} bytes)`);
          const type = ch.readUInt32LE(0);
          const len = ch.readUInt32LE(4);
          const crc = ch.readUInt32LE(8);
          if (len > MAX_CHUNK) throw new CaptureError(file, pos, `bad chunk length ${len}`);
          const payload = Buffer.alloc(len);
          const have = await readExactly(fh, payload, pos + CHUNK_HEADER_SIZE);
          if (have < len) throw new CaptureError(file, pos, `truncated chunk (${have} of ${len} bytes)`);
          if (crc32(payload) !== crc) throw new CaptureError(file, pos, 'corrupt chunk (checksum mismatch)');
          const at = pos + CHUNK_HEADER_SIZE;
          pos = at + len + padding(len);
          switch (type as ChunkType) {
            case ChunkType.INFO: {
              const info = json<CaptureInfo>(file, payload, at);
              if (info.recordHeaderSize !== HDR_SIZE) throw new CaptureError(file, at, `record header size ${info.recordHeaderSize} is not ${HDR_SIZE}`);
              replay.info = info;
              const badBoot = bootEpochProblem(info.bootEpochNs);
              if (badBoot) throw new CaptureError(file, at + memberOffset(payload, 'bootEpochNs'), `INFO chunk: ${badBoot}`);
              ctx.bootEpochNs = BigInt(info.bootEpochNs);
              ctx.hostname = info.hostname;
              break;
            }
            case ChunkType.STATE:
              restoreSnapshot(ctx, processor.parser.cgroupPaths, json<StateSnapshot>(file, payload, at));
              break;
            case ChunkType.CGROUP: {
              const c = json<{ id: string; entries: string[] }>(file, payload, at);
              processor.parser.cgroupPaths.set(BigInt(c.id), c.entries);
              break;
            }
            case ChunkType.CONTAINER:
              ctx.containers.put(json<ContainerInfo>(file, payload, at));
              break;
            case ChunkType.USERS: {
              const u = json<{ key: string; tables: UserTablesJson }>(file, payload, at);
              ctx.users.set(u.key, tablesFromJson(u.tables));
              break;
            }
            case ChunkType.RECORDS: {
              processor.load(payload, at);
              for (;;) {
                let e: SyscallEvent | undefined;
                try {
                  e = processor.next();
                } catch (err) {
                  if (err instanceof RecordError) throw new CaptureError(file, err.offset, err.message.replace(/ at byte offset \d+$/, ''));
                  throw err;
                }
                if (!e) break;
                yield e;
              }
              break;
            }
            case ChunkType.END:
              replay.end = json<CaptureEnd>(file, payload, at);
              break;
            default:
              // a newer writer's chunk: nothing this reader needs
              break;
          }
        }
      } finally {
        processor.finish();
        await fh.close();
      }
    },
  };
  return replay;
}
