// Runs the built `kestrel` CLI (dist/cli.js, built by the test bootstrap) as a real process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const haveCli = existsSync(CLI);
if (!haveCli) console.warn(`SKIPPED: ${CLI} not built (run scripts/build.sh)`);

export class KestrelProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
    this.child.stdout!.on('data', (c) => (this.stdout += c));
    this.child.stderr!.on('data', (c) => (this.stderr += c));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Parsed JSON log lines (stderr). */
  logs(): Array<{ msg?: string; [key: string]: unknown }> {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
  }

  stdoutLines(): string[] {
    return this.stdout.split('\n').filter((l) => l.length > 0);
  }

  async waitFor(what: () => boolean, label: string, timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!what()) {
      if (this.child.exitCode !== null) throw new Error(`kestrel exited (${this.child.exitCode}) before ${label}\n${this.stderr}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${label}\nstderr:\n${this.stderr}\nstdout:\n${this.stdout}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  waitForLog(re: RegExp, label = String(re)): Promise<void> {
    return this.waitFor(() => this.logs().some((l) => re.test(l.msg ?? '')), label);
  }

  /** Port from the log line announcing a listener. */
  port(re: RegExp): number {
    const line = this.logs().find((l) => re.test(l.msg ?? ''));
    const m = /:(\d+)(?:\/|\s|$)/.exec(line?.msg ?? '');
    if (!m) throw new Error(`no port in logs for ${re}`);
    return Number(m[1]);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }
}

/** For afterEach: kills a process a test left running (a failed test must not leak an agent). */
export async function killIfRunning(p: KestrelProcess | undefined): Promise<void> {
  if (p && p.child.exitCode === null) {
    p.kill('SIGKILL');
    await p.exited;
  }
}
