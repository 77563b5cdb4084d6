import type { Writable } from 'node:stream';
import { QueuedOutput, type QueuedOutputOptions } from './alert-output.js';

/** Alerts to standard output (or any stream), one per line, honouring backpressure. */
export class StreamOutput extends QueuedOutput {
  constructor(
    opts: QueuedOutputOptions,
    private readonly stream: Writable = process.stdout,
    name = 'stdout',
  ) {
    super(name, opts);
  }

  protected deliver(lines: string[], signal: AbortSignal): Promise<void> {
    return writeLines(this.stream, lines, signal);
  }
}

/** Writes the lines (newline-terminated) and resolves once the stream took them (or the signal aborts). */
export function writeLines(stream: Writable, lines: string[], signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => done(err);
    const onAbort = () => done(new Error('aborted'));
    let settled = false;
    const done = (err?: Error | null) => {
      if (settled) return;
      settled = true;
      stream.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    stream.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    // The write callback runs once the data is handed to the OS, after any backpressure.
    stream.write(lines.join('\n') + '\n', (err) => done(err));
  });
}
