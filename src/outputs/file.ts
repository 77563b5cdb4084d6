import { createWriteStream, type WriteStream } from 'node:fs';
import { QueuedOutput, type QueuedOutputOptions } from './alert-output.js';

/** Alerts appended to a file; reopen() (SIGHUP) starts a new file after log rotation. */
export class FileOutput extends QueuedOutput {
  private stream: WriteStream;

  constructor(
    opts: QueuedOutputOptions,
    private readonly path: string,
  ) {
    super('file', opts);
    this.stream = this.open();
  }

  private open(): WriteStream {
    const s = createWriteStream(this.path, { flags: 'a', mode: 0o640 });
    s.on('error', (err) => this.dropLog.note({ output: 'file', path: this.path, error: err.message }, 0));
    return s;
  }

  protected deliver(lines: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(lines.join('\n') + '\n', (err) => (err ? reject(err) : resolve()));
    });
  }

  reopen(): void {
    const old = this.stream;
    this.stream = this.open();
    old.end();
  }

  protected override release(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
