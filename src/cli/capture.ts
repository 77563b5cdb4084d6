// `kestrel capture -o FILE [--duration S]`: records live syscall activity, with the process, fd,
// user and container state it needs, into a capture file that `kestrel replay` evaluates exactly
// as the rules would have evaluated it live. Format: docs/capture-format.md.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { captureLive } from '../sources/syscall/capture/recorder.js';

interface CaptureCliOptions {
  output: string;
  duration?: string;
  procRoot: string;
  ringBufferBytes?: string;
}

export function register(program: Command): void {
  program
    .command('capture')
    .description('record live syscall activity and the state it needs to a capture file, for `kestrel replay`')
    .requiredOption('-o, --output <file>', 'capture file to write')
    .option('--duration <seconds>', 'stop after this many seconds (default: at SIGINT/SIGTERM)')
    .option('--proc-root <dir>', 'where the host /proc is mounted', '/proc')
    .option('--ring-buffer-bytes <n>', 'BPF ring buffer size (power of two)')
    .action(async (opts: CaptureCliOptions) => {
      process.exitCode = await capture(opts);
    });
}

async function capture(opts: CaptureCliOptions): Promise<number> {
  const duration = opts.duration === undefined ? undefined : Number(opts.duration);
  if (duration !== undefined && !(duration > 0)) {
    process.stderr.write(`kestrel capture: --duration must be a positive number of seconds, not ${opts.duration}\n`);
    return 2;
  }
  const { SyscallCollector, collectorUnavailableReason } = await import('../sources/syscall/collector/collector.js');
  const unavailable = collectorUnavailableReason();
  if (unavailable) {
    process.stderr.write(`kestrel capture: the live syscall source is not available: ${unavailable}\n`);
    return 1;
  }
  let collector;
  try {
    collector = new SyscallCollector(opts.ringBufferBytes ? { ringBufferBytes: Number(opts.ringBufferBytes) } : {});
    collector.setEventNames('all');
  } catch (err) {
    process.stderr.write(`kestrel capture: ${(err as Error).message}\n`);
    return 1;
  }
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  try {
    const s = await captureLive({
      source: collector,
      output: opts.output,
      ...(duration !== undefined ? { durationMs: duration * 1000 } : {}),
      signal: ac.signal,
      procRoot: opts.procRoot,
      version: pkg.version,
    });
    const c = s.counters as { dropped?: number } | undefined;
    process.stderr.write(
      `kestrel capture: ${s.records} record(s) in ${s.batches} batch(es), ${s.processes} process(es) in the snapshot, ` +
        `${s.bytes} bytes written to ${opts.output} in ${(s.durationMs / 1000).toFixed(1)} s` +
        (c?.dropped ? `; ${c.dropped} record(s) dropped in the kernel (ring buffer full)` : '') +
        (s.badBatches ? `; ${s.badBatches} batch(es) failed to decode` : '') +
        '\n',
    );
    return 0;
  } catch (err) {
    process.stderr.write(`kestrel capture: ${(err as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await collector.close();
  }
}
