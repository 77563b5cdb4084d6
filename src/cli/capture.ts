// `kestrel capture -o FILE [--duration S] [--format kcap|scap]`: records live syscall activity,
// with the process, fd, user and container state it needs, into a capture file that `kestrel
// replay` evaluates exactly as the rules would have evaluated it live. Format:
// docs/capture-format.md. With --format scap the file is a libscap savefile (sysdig, Falco,
// libsinsp): the capture is recorded as a Kestrel capture next to it, then converted, and the
// Kestrel capture removed. Recording first keeps one live path: the records and every state
// update (container metadata that arrives from the runtime late, cgroups, users) are written
// where they happened, and the conversion places them in the scap stream from there, the same
// way `kestrel convert` does for any capture; the conversion takes a second or two per million
// records after the capture, never during it.
import { readFileSync, unlinkSync } from 'node:fs';
import type { Command } from 'commander';
import { captureLive } from '../sources/syscall/capture/recorder.js';
import { kcapToScap } from '../sources/syscall/scap/kcap-to-scap.js';
import { liveHostFacts } from '../sources/syscall/scap/writer-host.js';
import { describeToScap } from './convert.js';

interface CaptureCliOptions {
  output: string;
  duration?: string;
  procRoot: string;
  ringBufferBytes?: string;
  format: string;
}

export function register(program: Command): void {
  program
    .command('capture')
    .description('record live syscall activity and the state it needs to a capture file, for `kestrel replay`')
    .requiredOption('-o, --output <file>', 'capture file to write')
    .option('--duration <seconds>', 'stop after this many seconds (default: at SIGINT/SIGTERM)')
    .option('--proc-root <dir>', 'where the host /proc is mounted', '/proc')
    .option('--ring-buffer-bytes <n>', 'BPF ring buffer size (power of two)')
    .option('--format <format>', 'kcap (a Kestrel capture, for kestrel replay) or scap (a libscap savefile, for sysdig and Falco; .gz: compressed)', 'kcap')
    .action(async (opts: CaptureCliOptions) => {
      process.exitCode = await capture(opts);
    });
}

async function capture(opts: CaptureCliOptions): Promise<number> {
  if (opts.format !== 'kcap' && opts.format !== 'scap') {
    process.stderr.write(`kestrel capture: --format must be kcap or scap, not ${opts.format}\n`);
    return 2;
  }
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
    const recordTo = opts.format === 'scap' ? `${opts.output}.kcap.tmp` : opts.output;
    const s = await captureLive({
      source: collector,
      output: recordTo,
      ...(duration !== undefined ? { durationMs: duration * 1000 } : {}),
      signal: ac.signal,
      procRoot: opts.procRoot,
      version: pkg.version,
    });
    const c = s.counters as { dropped?: number } | undefined;
    process.stderr.write(
      `kestrel capture: ${s.records} record(s) in ${s.batches} batch(es), ${s.processes} process(es) in the snapshot, ` +
        `${s.bytes} bytes written to ${recordTo} in ${(s.durationMs / 1000).toFixed(1)} s` +
        (c?.dropped ? `; ${c.dropped} record(s) dropped in the kernel (ring buffer full)` : '') +
        (s.badBatches ? `; ${s.badBatches} batch(es) failed to decode` : '') +
        '\n',
    );
    if (opts.format === 'scap') {
      try {
        const summary = await kcapToScap(recordTo, opts.output, liveHostFacts(opts.procRoot));
        process.stderr.write(`kestrel capture: ${describeToScap(recordTo, opts.output, summary)}\n`);
      } finally {
        unlinkSync(recordTo);
      }
    }
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
