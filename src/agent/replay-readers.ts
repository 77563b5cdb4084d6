// Recorded events Kestrel can read back (`kestrel replay FILE`, `kestrel run -e FILE`), one reader
// per format; the file's first bytes pick the reader.
import { open } from 'node:fs/promises';
import { looksLikeAuditJson, readAuditLog, type BadRecordHandler } from '../sources/k8saudit/audit-log.js';
import { looksLikeCapture } from '../sources/syscall/capture/format.js';
import { readCapture } from '../sources/syscall/capture/reader.js';
import { looksLikeScap, replayScap } from '../sources/syscall/scap/reader.js';

export type { BadRecordHandler } from '../sources/k8saudit/audit-log.js';

export interface ReplayReader {
  /** The event source the records belong to (rules with this `source:` are evaluated). */
  source: string;
  /** What the reader reads, for messages. */
  describe: string;
  /** Whether the file, by its first bytes, is this reader's format. */
  detect(head: Buffer): boolean;
  /** The events of the file, in order; reports bad records through onBad. Throws if unreadable. summary(): what was read and skipped. */
  read(file: string, onBad: BadRecordHandler): AsyncIterable<unknown> & { summary?(): string };
}

/** Input formats, tried in order. */
export const replayReaders: ReplayReader[] = [
  { source: 'syscall', describe: 'Kestrel syscall captures (kestrel capture)', detect: looksLikeCapture, read: (file) => readCapture(file).events() },
  { source: 'syscall', describe: 'libscap captures (.scap, .scap.gz: Falco, sysdig)', detect: looksLikeScap, read: replayScap },
  { source: 'k8s_audit', describe: 'Kubernetes audit events (JSON lines or EventList)', detect: looksLikeAuditJson, read: readAuditLog },
];

async function head(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The reader for `file`; throws with a message naming the file when none fits or it cannot be read. */
export async function readerFor(file: string): Promise<ReplayReader> {
  const h = await head(file);
  const reader = replayReaders.find((r) => r.detect(h));
  if (!reader) throw new Error(`${file}: not a format replay reads (${replayReaders.map((r) => r.describe).join('; ')})`);
  return reader;
}
