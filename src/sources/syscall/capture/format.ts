// The Kestrel capture file format (docs/capture-format.md): a 16-byte file header, then chunks.
// Each chunk: u32 type, u32 payload length, u32 CRC-32, u32 sequence number, the payload, zero
// padding to a multiple of 8. All integers little-endian. Version 2 (written now): the CRC covers
// the chunk header's type, length and sequence number, then the payload, so a flipped bit in a
// header is found too, and the sequence number (0, 1, 2, ...) finds a chunk lost, repeated or
// moved where it happened; version 1 (still read): the CRC covers the payload only and the
// sequence field is zero.

import { crc32 as zlibCrc32 } from 'node:zlib';

export const CAPTURE_MAGIC = Buffer.from('KSTLCAP\0', 'latin1');
export const CAPTURE_VERSION = 2;
/** Versions this reader reads. */
export const READABLE_VERSIONS: readonly number[] = [1, 2];
export const FILE_HEADER_SIZE = 16;
export const CHUNK_HEADER_SIZE = 16;
/** Largest payload a reader accepts (a corrupt length must not make it allocate gigabytes). */
export const MAX_CHUNK = 64 * 1024 * 1024;

export enum ChunkType {
  /** JSON CaptureInfo. Always first. */
  INFO = 1,
  /** JSON StateSnapshot: processes, threads, fds, containers, users, cgroups at capture start. */
  STATE = 2,
  /** Raw syscall records (native/events.h layout) back to back. */
  RECORDS = 3,
  /** JSON {id, entries}: a cgroup id resolved to its paths during the capture. */
  CGROUP = 4,
  /** JSON ContainerInfo: a container seen, or its metadata arriving, during the capture. */
  CONTAINER = 5,
  /** JSON {key, tables}: user/group tables loaded during the capture. */
  USERS = 6,
  /** JSON CaptureEnd. Always last; a file without it was cut short. */
  END = 7,
}

export interface CaptureInfo {
  kestrelVersion: string;
  createdAt: string;
  hostname: string;
  /** CLOCK_BOOTTIME -> epoch ns offset (decimal string). */
  bootEpochNs: string;
  kernel: string;
  arch: string;
  /** Size of the record header the records were written with. */
  recordHeaderSize: number;
  /** Falco event names by code at capture time. */
  eventTypes: string[];
}

export interface CaptureEnd {
  records: number;
  batches: number;
  durationNs: string;
  /** Kernel-side counters of the live source (produced, dropped, truncated, ...). */
  counters?: Record<string, number>;
}

/** CRC-32 (IEEE 802.3, zlib's); `previous` continues a CRC over more data. zlib's native one: a JS table loop cost a replay ~0.4 µs per record. */
export function crc32(data: Uint8Array, previous = 0): number {
  return zlibCrc32(data, previous);
}

/**
 * The CRC a chunk carries: of the payload (version 1), or of the header's type, length and
 * sequence fields followed by the payload (version 2). `header` is the 16-byte chunk header.
 */
export function chunkCrc(version: number, header: Uint8Array, payload: Uint8Array): number {
  if (version === 1) return crc32(payload);
  return crc32(payload, crc32(header.subarray(12, 16), crc32(header.subarray(0, 8))));
}

export function fileHeader(version = CAPTURE_VERSION): Buffer {
  const b = Buffer.alloc(FILE_HEADER_SIZE);
  CAPTURE_MAGIC.copy(b, 0);
  b.writeUInt16LE(version, 8);
  return b;
}

/** The header of chunk number `sequence` (counted from 0 after the file header). */
export function chunkHeader(type: ChunkType, payload: Uint8Array, sequence: number, version = CAPTURE_VERSION): Buffer {
  const b = Buffer.alloc(CHUNK_HEADER_SIZE);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(payload.length, 4);
  if (version >= 2) b.writeUInt32LE(sequence, 12);
  b.writeUInt32LE(chunkCrc(version, b, payload), 8);
  return b;
}

export function padding(len: number): number {
  return (8 - (len % 8)) % 8;
}

/** Whether a file starts like a Kestrel capture. */
export function looksLikeCapture(head: Uint8Array): boolean {
  return head.length >= 8 && Buffer.from(head.buffer, head.byteOffset, 8).equals(CAPTURE_MAGIC);
}

/** JSON with bigints written as decimal strings. */
export function jsonBytes(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
}
