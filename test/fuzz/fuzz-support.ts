// Shared by the fuzz tests: how many runs (a quick default per test, or KESTREL_FUZZ_RUNS for
// the long mode: `KESTREL_FUZZ_RUNS=5000 npx vitest run test/fuzz`), the heap after a full
// garbage collection (for "memory back near baseline"), hostile JSON texts, and the rule that
// proves an audit event was evaluated.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';

const LONG = Number(process.env.KESTREL_FUZZ_RUNS ?? '');

/** Runs for a property: KESTREL_FUZZ_RUNS when set, else `quick`. */
export function fuzzRuns(quick: number): number {
  return Number.isInteger(LONG) && LONG > 0 ? LONG : quick;
}

/** A test timeout for `runs` runs of about `msPerRun` each, with room for a loaded machine. */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return 30_000 + runs * msPerRun * 4;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap in use after full collections (what is still referenced). */
export function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** A k8s_audit rule that alerts on the fixtures' exec event, naming its auditID: "evaluated" means alerted on. */
export const EXEC_RULE = `
- rule: exec into a pod
  desc: the fixture's event is a pods/exec create
  condition: ka.verb = create and ka.target.subresource = exec
  output: exec id=%ka.auditid
  priority: NOTICE
  source: k8s_audit
`;

/** Arrays or objects nested `depth` levels deep, as JSON text (too deep for JSON.stringify to write). */
export function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** JSON texts an attacker would send as a value: deep nesting, long strings, odd scalars, any JSON. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  fc.record({ depth: fc.integer({ min: 1, max: 20_000 }), kind: fc.constantFrom('array' as const, 'object' as const) }).map(({ depth, kind }) => deepJson(depth, kind)),
  fc.integer({ min: 0, max: 300_000 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.constantFrom('null', 'true', '-0', '1e400', '123456789012345678901234567890', '""', '"\\u0000"', '"\\ud800"', '[]', '{}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}'),
  fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => JSON.stringify(s)),
);
