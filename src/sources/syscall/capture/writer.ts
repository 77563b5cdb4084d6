// Writes a capture file: info, state snapshot, then record batches and state updates in the
// order they happened, then the end chunk. Writes are buffered and synchronous, so the file
// order is the processing order.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { StateSnapshot } from '../state/snapshot.js';
import type { ContainerInfo } from '../state/containers.js';
import type { UserTables } from '../state/users.js';
import { tablesToJson } from '../state/users.js';
import { arch, release } from 'node:os';
import { EVENT_NAMES } from '../record/event-table.js';
import { HDR_SIZE } from '../record/layout.js';
import { ChunkType, chunkHeader, fileHeader, jsonBytes, padding, type CaptureEnd, type CaptureInfo } from './format.js';

/** The info chunk of a capture recorded live on this host now. */
export function liveCaptureInfo(hostname: string, bootEpochNs: bigint, kestrelVersion = '0.0.0'): CaptureInfo {
  return {
    kestrelVersion,
    createdAt: new Date().toISOString(),
    hostname,
    bootEpochNs: bootEpochNs.toString(),
    kernel: release(),
    arch: arch(),
    recordHeaderSize: HDR_SIZE,
    eventTypes: [...EVENT_NAMES],
  };
}

const FLUSH_AT = 1 << 20;
const ZEROS = Buffer.alloc(8);

export class CaptureWriter {
  private fd: number;
  private parts: Buffer[] = [];
  private pending = 0;
  private chunks = 0;
  records = 0;
  batches = 0;
  bytes = 0;

  constructor(path: string, info: CaptureInfo) {
    this.fd = openSync(path, 'w');
    this.push(fileHeader());
    this.chunk(ChunkType.INFO, jsonBytes(info));
  }

  private push(b: Buffer): void {
    this.parts.push(b);
    this.pending += b.length;
    this.bytes += b.length;
    if (this.pending >= FLUSH_AT) this.flush();
  }

  private chunk(type: ChunkType, payload: Uint8Array): void {
    this.push(chunkHeader(type, payload, this.chunks++));
    this.push(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    const pad = padding(payload.length);
    if (pad) this.push(ZEROS.subarray(0, pad));
  }

  state(s: StateSnapshot): void {
    this.chunk(ChunkType.STATE, jsonBytes(s));
  }

  /** Records as one chunk (the parts are copied: the source may reuse its buffer). */
  recordParts(parts: readonly Uint8Array[], count: number): void {
    if (count === 0) return;
    this.chunk(ChunkType.RECORDS, Buffer.concat(parts));
    this.records += count;
    this.batches++;
  }

  /** A batch of records as received (copied: the source may reuse its buffer). */
  recordBatch(batch: Uint8Array, count: number): void {
    if (batch.length === 0) return;
    this.chunk(ChunkType.RECORDS, Buffer.from(batch));
    this.records += count;
    this.batches++;
  }

  cgroup(id: bigint, entries: string[]): void {
    this.chunk(ChunkType.CGROUP, jsonBytes({ id: id.toString(), entries }));
  }

  container(c: ContainerInfo): void {
    this.chunk(ChunkType.CONTAINER, jsonBytes(c));
  }

  users(key: string, t: UserTables): void {
    this.chunk(ChunkType.USERS, jsonBytes({ key, tables: tablesToJson(t) }));
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const all = Buffer.concat(this.parts, this.pending);
    let off = 0;
    while (off < all.length) off += writeSync(this.fd, all, off);
    this.parts = [];
    this.pending = 0;
  }

  /** Closes the file without the end chunk (a failed capture: readers report it cut short). */
  abort(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } finally {
      this.fd = -1;
    }
  }

  close(end: Omit<CaptureEnd, 'records' | 'batches'>): void {
    this.chunk(ChunkType.END, jsonBytes({ records: this.records, batches: this.batches, ...end }));
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
