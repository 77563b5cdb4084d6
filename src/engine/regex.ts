// `regex`: follows libsinsp's sinsp_filter_check (sinsp_filtercheck.cpp): the value is compiled
// with RE2 in POSIX syntax mode (`re2::RE2::POSIX`: posix_syntax, longest_match) and the whole
// value must match (`Match(..., ANCHOR_BOTH)`). RE2 runs in time linear in the input, so a rule
// cannot stall the engine with a pattern like `(a+)+$` (JavaScript's backtracking RegExp can).
//
// The engine is re2js (a JavaScript port of RE2/J, Go's regexp/syntax lineage). Its public
// `RE2JS.compile` only offers Perl syntax; its RE2 class, reached through a compiled pattern,
// takes the parser mode, and mode 0 is the POSIX mode of RE2: no \d \w \s \b \pN, no (?flags) or
// (?:...), no lookaround or backreferences, ^ and $ also at line breaks. The errors are RE2's
// ("error parsing regexp: invalid escape sequence: `\d`"). The version is pinned; the unit tests
// check the syntax refused and the errors, so an upgrade that changes the internals fails there.
import { RE2JS } from 're2js';

/** RE2's parser mode with no Perl extensions (RE2Flags.POSIX in RE2/J). */
const POSIX_MODE = 0;

/**
 * RE2 refuses a pattern whose program exceeds its memory budget ("pattern too large - compile
 * failed"): with the default max_mem of 8 MiB, two thirds go to the program and a quarter of that
 * to instructions of 16 bytes, about 87,000. The per-event cost of a match grows with the program,
 * so the same bound keeps one match cheap here.
 */
export const MAX_REGEX_INSTRUCTIONS = Math.floor(((8 << 20) * 2) / 3 / 4 / 16);

interface Re2Program {
  numInst(): number;
}
interface Re2Class {
  compileImpl(expr: string, mode: number, longest: boolean): { prog: Re2Program };
}

const RE2 = (RE2JS.compile('').re2Input as unknown as { constructor: Re2Class }).constructor;
if (typeof RE2?.compileImpl !== 'function') throw new Error('re2js: RE2.compileImpl not found (the pinned re2js version is required)');

/** A compiled `regex` value: `test` is true when the whole value matches. */
export interface FullMatcher {
  test(value: string): boolean;
}

/** Compiles a rule's regex as libsinsp does; throws Error('invalid regex pattern: <RE2's error>'). */
export function compileRegex(pattern: string): FullMatcher {
  let re2;
  try {
    re2 = RE2.compileImpl(pattern, POSIX_MODE, true);
  } catch (e) {
    throw new Error(`invalid regex pattern: ${(e as Error).message}`, { cause: e });
  }
  if (re2.prog.numInst() > MAX_REGEX_INSTRUCTIONS) {
    throw new Error(`invalid regex pattern: pattern too large - compile failed (over ${MAX_REGEX_INSTRUCTIONS} instructions)`);
  }
  // initTest wraps an RE2 program in the public matcher (`private` in the typings only)
  const matcher = (RE2JS as unknown as { initTest(p: string, flags: number, re2: unknown): RE2JS }).initTest(pattern, 0, re2);
  return { test: (value) => matcher.testExact(value) };
}
