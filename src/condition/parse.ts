// Parses Falco condition text into the condition AST (grammar/condition.peggy, generated parser).
import { parse as parseGenerated, SyntaxError as GeneratedSyntaxError } from '../generated/condition-parser.js';
import type { Expectation } from '../generated/condition-parser.js';
import type { Expr } from './ast.js';

const END = 'end of condition';

/** A condition that libsinsp would reject; `line`/`column` are 1-based, `offset` 0-based, in the condition text. */
export class ConditionSyntaxError extends Error {
  override readonly name = 'ConditionSyntaxError';

  constructor(
    /** What was wrong, without the position (the message adds ` at line:column`). */
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    readonly offset: number,
    /** Human descriptions of what could appear at that place, e.g. `"and"`, `operator`, `end of condition`. */
    readonly expected: string[],
    /** The text found there (one token), or null at the end of the condition. */
    readonly found: string | null,
  ) {
    super(`${reason} at ${line}:${column}`);
  }
}

// The first attempt records no expectations (peggy's silent mode: markedly less work on the common,
// successful path); only a failing condition is parsed again to collect what was expected.
const SILENT = { peg$silentFails: 1 };

export function parseCondition(text: string): Expr {
  try {
    return parseGenerated(text, SILENT) as Expr;
  } catch (err) {
    throw explain(err, text);
  }
}

function explain(err: unknown, text: string): unknown {
  if (err instanceof GeneratedSyntaxError) {
    try {
      parseGenerated(text);
    } catch (full) {
      if (full instanceof GeneratedSyntaxError) return fromGenerated(full, text);
      err = full;
    }
  }
  // The grammar recurses once per nesting level; absurd nesting exhausts the stack (libsinsp caps its
  // recursion depth too, Falco at 1000 parser calls).
  if (err instanceof RangeError) {
    return new ConditionSyntaxError('condition is nested too deeply', 1, 1, 0, [], null);
  }
  return err;
}

function fromGenerated(err: GeneratedSyntaxError, text: string): ConditionSyntaxError {
  const { line, column, offset } = err.location.start;
  const expected = describeExpected(err.expected ?? []);
  const found = tokenAt(text, offset);
  const what = expected.length > 0 ? `expected ${joinAlternatives(expected)}` : err.message;
  const reason =
    text.trim() === ''
      ? `empty condition: ${what}`
      : `${what} but found ${found === null ? END : quote(found)}${hint(text, offset)}`;
  return new ConditionSyntaxError(reason, line, column, offset, expected, found);
}

// `tolower (proc.name)` reads as the macro `tolower` followed by a stray '(' in libsinsp too; a list
// modifier needs a blank on both sides (`= oneof (a)`), else it is a plain value before a stray '('.
function hint(text: string, offset: number): string {
  if (text[offset] !== '(') return '';
  // eslint-disable-next-line no-control-regex -- \x08 (backspace) is a blank to libsinsp's lexer
  const modifier = /(=|==|!=|[a-z]+)?( *)(oneof|anyof|allof)([ \t\x08\r\n]*)$/.exec(text.slice(0, offset));
  if (modifier) {
    if (modifier[4] === '') return ` (a blank is required between "${modifier[3]}" and "(")`;
    if (modifier[1] !== undefined && modifier[2] === '') return ` (a blank is required between "${modifier[1]}" and "${modifier[3]}")`;
  }
  // eslint-disable-next-line no-control-regex -- \x08 (backspace) is a blank to libsinsp's lexer
  const before = /([a-z0-9]+)[ \t\x08\r\n]+$/.exec(text.slice(0, offset))?.[1];
  return before !== undefined && TRANSFORMER_NAMES.has(before)
    ? ` (no blank is allowed between "${before}" and "(")`
    : '';
}

const TRANSFORMER_NAMES = new Set(['val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt']);

function describeExpected(expectations: readonly Expectation[]): string[] {
  const seen = new Set<string>();
  // A grammar rule may stand for several things at once: "field|macro name".
  for (const e of expectations) for (const d of describe(e).split('|')) seen.add(d);
  const out = [...seen];
  // "end of condition" reads best last.
  return seen.has(END) ? [...out.filter((d) => d !== END), END] : out;
}

function describe(e: Expectation): string {
  switch (e.type) {
    case 'literal':
      return JSON.stringify(e.text);
    case 'end':
      return END;
    case 'other':
      return e.description;
    case 'any':
      return 'any character';
    case 'class':
      return GeneratedSyntaxError.buildMessage([e], null).replace(/^Expected (.*) but .*$/, '$1');
  }
}

function joinAlternatives(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** The token starting at `offset`, to say what was found instead of what was expected. */
function tokenAt(text: string, offset: number): string | null {
  if (offset >= text.length) return null;
  const rest = text.slice(offset);
  const token =
    /^\\(?:x[0-9a-fA-F]{0,2}|.)/s.exec(rest)?.[0] ?? // an escape sequence
    /^[()[\],"']/.exec(rest)?.[0] ?? // punctuation and quotes alone
    /^[^\s()[\],"']+/.exec(rest)?.[0] ?? // a word
    rest[0]!; // a lone blank character
  return token.length > 40 ? `${token.slice(0, 40)}…` : token;
}

// Quotes the found text as written (no JSON escaping of backslashes) unless it holds quotes or controls.
function quote(s: string): string {
  /* eslint-disable no-control-regex -- control characters are what these look for */
  if (!/["\x00-\x1f]/.test(s)) return `"${s}"`;
  if (!/['\x00-\x1f]/.test(s)) return `'${s}'`;
  /* eslint-enable no-control-regex */
  return JSON.stringify(s);
}
