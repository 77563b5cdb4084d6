// Parsing a condition taken from rules files: syntax errors and AST positions are mapped back
// to the file, line and column where the text was written.
import type { Expr } from '../condition/ast.js';
import { annotate } from './annotate.js';
import { ItemError } from './diagnostics.js';
import type { MappedText } from './mapped-text.js';
import { ConditionSyntaxError, parseCondition } from '../condition/parse.js';
import type { SourceLocation } from '../condition/ast.js';
import { DEFAULT_RULES_LIMITS, LIMIT_KEYS } from './limits.js';

/**
 * Parses `text`; every node gets `pos.at`. Throws ItemError('condition-syntax') at the error's
 * place, or ItemError('condition-too-large') for a text over `maxBytes` (never parsed).
 */
export function parseMapped(text: MappedText, fallback: SourceLocation, maxBytes = DEFAULT_RULES_LIMITS.maxConditionBytes): Expr {
  const bytes = Buffer.byteLength(text.text);
  if (bytes > maxBytes) {
    throw new ItemError('condition-too-large', `condition is ${bytes} bytes, more than ${maxBytes} (${LIMIT_KEYS.maxConditionBytes})`, text.locate(0) ?? fallback);
  }
  let expr: Expr;
  try {
    expr = parseCondition(text.text);
  } catch (e) {
    if (!(e instanceof ConditionSyntaxError)) throw e;
    throw new ItemError('condition-syntax', e.reason, text.locate(e.offset) ?? fallback);
  }
  annotate(expr, text);
  return expr;
}
