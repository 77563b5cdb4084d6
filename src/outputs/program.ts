import { spawn, type ChildProcess } from 'node:child_process';
import { QueuedOutput, type QueuedOutputOptions } from './alert-output.js';

export interface ProgramOutputConfig {
  /** Run with `sh -c`; each alert is written to its standard input. */
  program: string;
  /** Keep one process running for all alerts; otherwise one process per batch of alerts. */
  keep_alive: boolean;
}

/** Alerts piped to a program, as Falco's program_output. */
export class ProgramOutput extends QueuedOutput {
  private child: ChildProcess | undefined;

  constructor(
    opts: QueuedOutputOptions,
    private readonly cfg: ProgramOutputConfig,
  ) {
    super('program', opts);
  }

  private spawn(): ChildProcess {
    const child = spawn('/bin/sh', ['-c', this.cfg.program], { stdio: ['pipe', 'inherit', 'inherit'] });
    child.stdin!.on('error', () => {}); // reported through the write callback
    return child;
  }

  protected async deliver(lines: string[]): Promise<void> {
    const text = lines.join('\n') + '\n';
    if (!this.cfg.keep_alive) {
      const child = this.spawn();
      await writeTo(child, text);
      child.stdin!.end();
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      if (code !== 0) throw new Error(`program exited with ${code}`);
      return;
    }
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null || this.child.stdin!.destroyed) {
      this.child = this.spawn();
    }
    await writeTo(this.child, text);
  }

  protected override async release(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.stdin!.end();
    await new Promise((resolve) => child.on('close', resolve));
  }
}

function writeTo(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdin!.write(text, (err) => (err ? reject(err) : resolve()));
  });
}
