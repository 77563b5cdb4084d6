// How long the property-based (fuzz) tests run. In `npm test` each property stops at its time
// budget (a few seconds: the suite stays fast); KESTREL_FUZZ_RUNS=N runs every property N times
// with no time budget, for a longer search (e.g. KESTREL_FUZZ_RUNS=20000 npx vitest run test/fuzz).
// A failure prints fast-check's seed and path: KESTREL_FUZZ_SEED=<seed> replays it.
import type { Parameters } from 'fast-check';

const runs = Number(process.env.KESTREL_FUZZ_RUNS ?? '');
const seed = Number(process.env.KESTREL_FUZZ_SEED ?? '');

export const LONG_MODE = Number.isInteger(runs) && runs > 0;

/** fast-check parameters: `defaultRuns` within `budgetMs` in npm test, or KESTREL_FUZZ_RUNS runs. */
export function fuzzParams<T>(defaultRuns: number, budgetMs: number): Parameters<T> {
  return {
    numRuns: LONG_MODE ? runs : defaultRuns,
    ...(LONG_MODE ? {} : { interruptAfterTimeLimit: budgetMs, markInterruptAsFailure: false }),
    ...(Number.isInteger(seed) && process.env.KESTREL_FUZZ_SEED ? { seed } : {}),
  };
}

/** The vitest timeout of a fuzz test: its budget plus slack, or none worth hitting in long mode. */
export function fuzzTimeout(budgetMs: number): number {
  return LONG_MODE ? 24 * 3600_000 : budgetMs + 30_000;
}
