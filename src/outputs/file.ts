// Falco's file_output: alerts appended to a file, one per line. keep_alive: false (Falco's default)
// opens the file for each write and closes it after, so a rotated file is followed without a
// signal; keep_alive: true keeps it open, and reopen() (SIGHUP) starts the new file after rotation.
import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { QueuedOutput, type QueuedOutputOptions } from './alert-output.js';
import { writeLines } from './stdout.js';

export class FileOutput extends QueuedOutput {
  private stream: WriteStream | undefined;

  constructor(
    opts: QueuedOutputOptions,
    private readonly path: string,
    private readonly keepAlive = false,
  ) {
    super('file', opts);
    if (keepAlive) this.stream = this.open();
  }

  private open(): WriteStream {
    const s = createWriteStream(this.path, { flags: 'a', mode: 0o640 });
    // Errors also reach the pending write's callback, which retries; this keeps them from being fatal.
    s.on('error', () => {});
    return s;
  }

  protected async deliver(lines: string[], signal: AbortSignal): Promise<void> {
    if (!this.keepAlive) return appendFile(this.path, lines.join('\n') + '\n', { mode: 0o640 });
    if (!this.stream || this.stream.destroyed) this.stream = this.open();
    return writeLines(this.stream, lines, signal);
  }

  reopen(): void {
    if (!this.keepAlive) return;
    const old = this.stream;
    this.stream = this.open();
    old?.end();
  }

  protected override release(): Promise<void> {
    const s = this.stream;
    return new Promise((resolve) => (s && !s.destroyed ? s.end(resolve) : resolve()));
  }

  protected override releaseNow(): void {
    this.stream?.destroy();
  }
}
