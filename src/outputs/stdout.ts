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

  protected deliver(lines: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.stream.once('error', onError);
      const more = this.stream.write(lines.join('\n') + '\n', (err) => {
        this.stream.off('error', onError);
        if (err) reject(err);
        else if (more) resolve();
      });
      if (!more) this.stream.once('drain', () => resolve());
    });
  }
}
