// Reading recorded Kubernetes audit events: the log backend's files (one Event per line, JSON
// lines) and EventList/Event documents (e.g. saved webhook payloads, possibly pretty-printed).
// Bad lines and bad events are reported with file:line and skipped.
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { findNodeAtLocation, parse as parseTolerant, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { AuditEvent, type Json, type JsonObject } from './event.js';
import { eventProblem, itemsOf } from './validate.js';

export interface BadRecord {
  file: string;
  line: number;
  column?: number;
  message: string;
}

export type BadRecordHandler = (bad: BadRecord) => void;

/** Largest document read whole (JSON-lines files are streamed and have no limit). */
const MAX_DOCUMENT_BYTES = 512 * 1024 * 1024;

/** Whether the start of a file looks like audit events (JSON), as opposed to a binary capture. */
export function looksLikeAuditJson(head: Buffer): boolean {
  const text = head.toString('utf8').trimStart();
  return text.startsWith('{') || text.startsWith('[');
}

/** JSON lines when the first non-empty line is a complete JSON value on its own. */
async function isJsonLines(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(1024 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const first = text.split('\n').find((l) => l.trim().length > 0)?.trim() ?? '';
    if (first === '') return true;
    try {
      JSON.parse(first);
      return true;
    } catch {
      // A log line that is broken still looks like one object per line.
      return first.startsWith('{') && first.endsWith('}') && first.length > 1;
    }
  } finally {
    await fh.close();
  }
}

/** Where item `i` of a body starts: its line in the file (documents span many lines). */
type ItemLine = (index: number) => number;

/** Why reading a record failed; a RangeError here is the stack exhausted by absurd nesting. */
function failure(err: unknown): string {
  if (err instanceof RangeError) return `nested too deeply to read (${err.message})`;
  return `cannot be read: ${err instanceof Error ? err.message : String(err)}`;
}

function* eventsOf(body: Json, file: string, itemLine: ItemLine, onBad: BadRecordHandler, now: bigint): Generator<AuditEvent> {
  let items: readonly Json[];
  try {
    const found = itemsOf(body);
    if (found.problem) {
      onBad({ file, line: itemLine(-1), message: found.problem.message });
      return;
    }
    items = found.items;
  } catch (err) {
    onBad({ file, line: itemLine(-1), message: failure(err) });
    return;
  }
  const many = items.length > 1 || (body !== null && typeof body === 'object' && !Array.isArray(body) && body.kind === 'EventList');
  for (let i = 0; i < items.length; i++) {
    const prefix = many ? `item ${i}: ` : '';
    // One record that cannot be validated (e.g. nesting that overflows the stack) is skipped alone.
    let event: AuditEvent | undefined;
    try {
      const bad = eventProblem(items[i]!, i);
      if (bad) onBad({ file, line: itemLine(i), message: `${prefix}${bad.message}` });
      else event = new AuditEvent(items[i] as JsonObject, now);
    } catch (err) {
      onBad({ file, line: itemLine(i), message: `${prefix}${failure(err)}` });
    }
    if (event) yield event;
  }
}

/** Line numbers of the items of a JSON document, computed only when one is asked for. */
function documentItemLines(text: string, body: Json): ItemLine {
  let offsets: number[] | undefined;
  return (index) => {
    if (index < 0) return 1;
    if (!offsets) {
      try {
        const root = parseTree(text);
        const isList = body !== null && typeof body === 'object' && !Array.isArray(body) && body.kind === 'EventList';
        const list = root && (isList ? findNodeAtLocation(root, ['items']) : root.type === 'array' ? root : undefined);
        offsets = list?.children?.map((c) => c.offset) ?? [root?.offset ?? 0];
      } catch (err) {
        // jsonc-parser recurses per nesting level: a document too deep for it is reported at its
        // start (the message names the item's index).
        if (!(err instanceof RangeError)) throw err;
        offsets = [0];
      }
    }
    return lineColumn(text, offsets[index] ?? offsets[0] ?? 0).line;
  };
}

/** The 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/**
 * Whether a text that is not one JSON document holds audit events one per line: some line is an
 * object that looks like an Event (a log whose first line was damaged, not a broken document).
 */
function hasEventLine(text: string): boolean {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{') || !t.endsWith('}')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v !== null && typeof v === 'object' && ('kind' in v || 'auditID' in v)) return true;
    } catch {
      // not this line
    }
  }
  return false;
}

async function* readJsonLines(file: string, onBad: BadRecordHandler, now: bigint): AsyncGenerator<AuditEvent> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    let body: Json;
    try {
      body = JSON.parse(text) as Json;
    } catch (err) {
      onBad({ file, line: n, message: `malformed JSON: ${(err as Error).message}` });
      continue;
    }
    yield* eventsOf(body, file, () => n, onBad, now);
  }
}

/** Every valid audit event in `file`, in order. Throws only when the file cannot be read. */
export async function* readAuditLog(file: string, onBad: BadRecordHandler): AsyncGenerator<AuditEvent> {
  const now = BigInt(Date.now()) * 1_000_000n;
  if (await isJsonLines(file)) {
    yield* readJsonLines(file, onBad, now);
    return;
  }
  const text = await readFile(file, 'utf8');
  if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`${file}: document larger than ${MAX_DOCUMENT_BYTES} bytes; write it as JSON lines`);
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch (err) {
    if (hasEventLine(text)) {
      yield* readJsonLines(file, onBad, now);
      return;
    }
    // JSON.parse does not always say where; a tolerant parser finds the first error's offset.
    // It recurses per nesting level: a document too deep for it is reported at its start.
    const errors: ParseError[] = [];
    try {
      parseTolerant(text, errors, { disallowComments: true, allowTrailingComma: false });
    } catch (deep) {
      if (!(deep instanceof RangeError)) throw deep;
    }
    const first = errors[0];
    const at = first ? lineColumn(text, first.offset) : { line: 1, column: 1 };
    const what = first ? printParseErrorCode(first.error) : (err as Error).message;
    onBad({ file, line: at.line, column: at.column, message: `malformed JSON: ${what}` });
    return;
  }
  yield* eventsOf(body, file, documentItemLines(text, body), onBad, now);
}
