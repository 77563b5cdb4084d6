// `kestrel convert IN OUT`: Kestrel capture (.kcap) <-> libscap savefile (.scap, .scap.gz), so what
// Kestrel records opens in sysdig, Falco and anything built on libsinsp, and their captures replay
// in Kestrel. The input format is recognised by its first bytes; the output's by --to, else by
// its name (.scap / .scap.gz: scap; otherwise kcap). The summary on stderr says what the output
// cannot hold, by reason and count.
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { looksLikeCapture } from '../sources/syscall/capture/format.js';
import { looksLikeScap } from '../sources/syscall/scap/reader.js';
import { kcapToScap, type ToScapSummary } from '../sources/syscall/scap/kcap-to-scap.js';
import { scapToKcap } from '../sources/syscall/scap/scap-to-kcap.js';
import { packageVersion } from './falco-options.js';

type Format = 'kcap' | 'scap';

export function register(program: Command): void {
  program
    .command('convert')
    .description('convert a Kestrel capture to a scap file (sysdig, Falco, libsinsp) or a scap file to a Kestrel capture')
    .argument('<input>', 'a Kestrel capture (.kcap) or a scap file (plain or gzip)')
    .argument('<output>', 'the file to write (a name ending in .gz is written gzip-compressed)')
    .option('--to <format>', 'output format: scap or kcap (default: from the output name, .scap/.scap.gz is scap)')
    .action(async (input: string, output: string, opts: { to?: string }) => {
      process.exitCode = await convert(input, output, opts.to);
    });
}

function fail(message: string, status = 1): number {
  process.stderr.write(`kestrel convert: ${message}\n`);
  return status;
}

async function inputFormat(file: string): Promise<Format | undefined> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(4096); // a gzip stream needs a few hundred bytes to show its first block
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const h = head.subarray(0, bytesRead);
    if (looksLikeCapture(h)) return 'kcap';
    if (looksLikeScap(h)) return 'scap';
    return undefined;
  } finally {
    await fh.close();
  }
}

/** How much was converted, and what the scap file cannot hold. */
export function describeToScap(input: string, output: string, s: ToScapSummary): string {
  const rate = s.durationMs > 0 ? Math.round((s.records * 1000) / s.durationMs) : 0;
  const lost = Object.entries(s.lost).map(([why, n]) => `${why}: ${n}`);
  return (
    `${input}: ${s.records} record(s) -> ${s.events} scap event(s) (enter and exit), ${s.threads} thread(s) (${s.lateThreads} first seen in records), ${s.fds} fd(s), ` +
    `${s.users} user(s), ${s.containers} container event(s); ${s.bytes} bytes to ${output} in ${(s.durationMs / 1000).toFixed(2)} s (${rate} records/s)` +
    (lost.length ? `\n  not in the scap file: ${lost.join('; ')}` : '')
  );
}

async function convert(input: string, output: string, to: string | undefined): Promise<number> {
  if (to !== undefined && to !== 'scap' && to !== 'kcap') return fail(`--to must be scap or kcap, not ${to}`, 2);
  let from: Format | undefined;
  try {
    from = await inputFormat(input);
  } catch (err) {
    return fail(`cannot read ${input}: ${(err as Error).message}`);
  }
  if (!from) return fail(`${input} is neither a Kestrel capture nor a scap file`);
  const target: Format = (to as Format | undefined) ?? (/\.scap(\.gz)?$/.test(output) ? 'scap' : 'kcap');
  if (from === target) return fail(`${input} is already a ${from} file`, 2);
  try {
    if (target === 'scap') {
      process.stderr.write(`kestrel convert: ${describeToScap(input, output, await kcapToScap(input, output))}\n`);
    } else {
      const s = await scapToKcap(input, output, packageVersion());
      process.stderr.write(`kestrel convert: ${input}: ${s.records} record(s), ${s.processes} process(es); ${s.bytes} bytes to ${output} in ${(s.durationMs / 1000).toFixed(2)} s\n  ${s.reader}\n`);
    }
    return 0;
  } catch (err) {
    return fail(`cannot convert ${input}: ${(err as Error).message}`);
  }
}
