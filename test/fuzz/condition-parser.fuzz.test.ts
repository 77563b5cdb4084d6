// Property-based tests of the condition parser (grammar/condition.peggy via parseCondition): on
// any text, it returns an AST or throws a ConditionSyntaxError whose position lies inside the
// text; nothing else escapes (no TypeError, no stack overflow), and it always ends.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConditionSyntaxError, parseCondition } from '../../src/condition/parse.js';
import { fuzzParams, fuzzTimeout } from './fuzz-budget.js';

const BUDGET_MS = 4000;

/** The grammar's own tokens, so that random text reaches deep into the grammar rather than failing at once. */
const TOKEN = fc.oneof(
  fc.constantFrom('and', 'or', 'not', '(', ')', '(', ')', ',', '=', '!=', '==', '<', '<=', '>', '>=', 'in', 'intersects', 'pmatch', 'contains', 'icontains',
    'startswith', 'endswith', 'glob', 'iglob', 'regex', 'exists', 'bcontains', 'bstartswith', 'val(', 'tolower(', 'toupper(', 'b64(', 'len(', 'concat(',
    'proc.name', 'fd.name', 'evt.type', 'ka.uri.param[x]', 'proc.aname[2]', 'evt.arg.flags', 'jevt.value[/a/b]', 'oneof', 'anyof', 'allof', 'my_macro'),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom('"', "'", '\\', '\n', '\t', '\u0000', '\b', '\u00a0', '"a b"', "'x\\'y'", '0x1f', '-1', '1e309', '[', ']', '%', '$'),
);

const CONDITION = fc.oneof(
  { weight: 6, arbitrary: fc.array(TOKEN, { maxLength: 40 }).chain((ts) => fc.array(fc.constantFrom(' ', '', '  ', '\n'), { minLength: ts.length, maxLength: ts.length }).map((sep) => ts.map((t, i) => t + sep[i]).join(''))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  // deep nesting: parentheses, not chains, nested transformers
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('(', 'not ', 'not (', 'tolower(', '((')).map(([n, open]) => open.repeat(n) + 'proc.name = x' + ')'.repeat(n)) },
);

function checkOutcome(text: string): void {
  try {
    const ast = parseCondition(text);
    expect(typeof ast.kind).toBe('string');
  } catch (e) {
    if (!(e instanceof ConditionSyntaxError)) throw new Error(`not a ConditionSyntaxError on ${JSON.stringify(text.slice(0, 200))}: ${String(e)}`, { cause: e });
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(text.length);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
  }
}

describe('condition parser (fuzz)', () => {
  it('returns an AST or a syntax error with a position inside the text, for any text', { timeout: fuzzTimeout(BUDGET_MS) }, () => {
    let runs = 0;
    fc.assert(
      fc.property(CONDITION, (text) => {
        runs++;
        checkOutcome(text);
      }),
      fuzzParams(2000, BUDGET_MS),
    );
    expect(runs).toBeGreaterThan(50); // the property really ran
  });
});
