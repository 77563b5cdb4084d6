// Runs one engine over one capture in its own process, pinned to one CPU, and returns its JSON
// (sinsp_bench.cpp and kestrel_bench.mjs print the same shape: events, elapsed_ns, matches).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const KESTREL_BENCH = fileURLToPath(new URL('./kestrel_bench.mjs', import.meta.url));

/** argv for `engine` ('libsinsp' | 'kestrel') in `mode` over `capture`, with `rules` from prepareRules. */
function command(engine, { sinspBench, capture, mode, rules, kestrel }) {
  const withRules = mode === 'parse' ? [] : undefined;
  if (engine === 'libsinsp') return [sinspBench, ...(withRules ?? ['--rules', rules.tsv]), '--mode', mode, capture];
  const other = kestrel ? ['--kestrel', kestrel] : [];
  return [process.execPath, KESTREL_BENCH, ...other, ...(withRules ?? ['--rules', rules.rulesFile, '--only', rules.onlyFile]), '--mode', mode, capture];
}

/** One run; throws with the engine's stderr when it fails. cpu: undefined runs unpinned. */
export function runEngine(engine, job, cpu) {
  const argv = command(engine, job);
  const [file, args] = cpu === undefined ? [argv[0], argv.slice(1)] : ['taskset', ['-c', String(cpu), ...argv]];
  try {
    return JSON.parse(execFileSync(file, args, { encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (err) {
    const stderr = String(err.stderr ?? '').trim();
    throw new Error(`${engine} (${job.mode}) on ${job.capture} failed: ${stderr || err.message}`, { cause: err });
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
