// Falco's program_output (outputs_program.cpp): alerts written to the standard input of a program
// run with `sh -c`. keep_alive: false (Falco's default) runs one process per alert, which reads
// that one alert and ends; keep_alive: true keeps one process for all alerts, one per line, and
// starts it again when it ends (counted in kestrel_output_program_restarts_total). reopen()
// (SIGHUP; Falco's SIGUSR1) lets the running process finish and starts a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import { DeliveryError, QueuedOutput, type QueuedOutputOptions } from './alert-output.js';
import { programRestarts } from './metrics.js';
import { writeLines } from './stdout.js';

export interface ProgramOutputConfig {
  /** Run with `sh -c`; alerts are written to its standard input. */
  program: string;
  /** One long-lived process for every alert; otherwise one process per alert. */
  keep_alive: boolean;
}

export class ProgramOutput extends QueuedOutput {
  private child: ChildProcess | undefined;
  private started = 0;
  private readonly restarts;

  constructor(
    opts: QueuedOutputOptions,
    private readonly cfg: ProgramOutputConfig,
  ) {
    super('program', opts);
    this.restarts = programRestarts.labels({ output: 'program' });
  }

  private spawn(): ChildProcess {
    const child = spawn('/bin/sh', ['-c', this.cfg.program], { stdio: ['pipe', 'inherit', 'inherit'] });
    child.stdin!.on('error', () => {}); // reported through the write callback
    return child;
  }

  protected async deliver(lines: string[], signal: AbortSignal): Promise<void> {
    if (this.cfg.keep_alive) return this.deliverToLongLived(lines, signal);
    for (let i = 0; i < lines.length; i++) {
      let code: number | null;
      try {
        code = await this.runOnce(lines[i]!, signal);
      } catch (err) {
        throw new DeliveryError(`program could not run: ${(err as Error).message}`, { delivered: i });
      }
      // The program took the alert and failed with it: running it again could act twice.
      if (code !== 0) throw new DeliveryError(`program exited with ${code}`, { delivered: i, permanent: true, reason: 'program-failed' });
    }
  }

  /** One process for one alert; resolves with its exit code once it has ended. */
  private runOnce(line: string, signal: AbortSignal): Promise<number | null> {
    const child = this.spawn();
    const kill = () => child.kill('SIGTERM');
    signal.addEventListener('abort', kill, { once: true });
    return new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, sig) => {
        signal.removeEventListener('abort', kill);
        resolve(sig ? -1 : code);
      });
      // EPIPE here (the program ended without reading) shows in its exit status.
      child.stdin!.end(line + '\n');
    });
  }

  private async deliverToLongLived(lines: string[], signal: AbortSignal): Promise<void> {
    if (!this.child) {
      if (this.started++ > 0) this.restarts.inc();
      const child = this.spawn();
      this.child = child;
      child.once('error', () => {});
      child.once('exit', (code, sig) => {
        if (this.child === child) this.child = undefined;
        if (!this.aborted) this.opts.log.warn({ output: 'program', code, signal: sig }, 'program_output process ended; it is started again for the next alert');
      });
    }
    await writeLines(this.child.stdin!, lines, signal);
  }

  reopen(): void {
    const child = this.child;
    this.child = undefined;
    this.started = 0;
    child?.stdin?.end();
  }

  protected override async release(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.stdin!.end();
    await new Promise((resolve) => child.once('close', resolve));
  }

  protected override releaseNow(): void {
    this.child?.stdin?.end();
  }
}
