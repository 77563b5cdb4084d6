// The identity of a check for sharing its result between rules: the check's AST written out
// without source positions. Two checks with the same key compile to the same test on the same
// field, so within one event they have the same value (extractors and tests are pure).
import type { BinaryCheckExpr, FieldOperand, RightOperand, TransformerListExpr, UnaryCheckExpr, ValueExpr } from '../condition/ast.js';

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

function value(v: ValueExpr): string {
  return v.bytes ? `${JSON.stringify(v.value)}#${hex(v.bytes)}` : JSON.stringify(v.value);
}

/** An operand written out: fields, literals and transformers (the identity of a value an event yields). */
export function operandKey(o: FieldOperand | ValueExpr | TransformerListExpr): string {
  switch (o.kind) {
    case 'field':
      return o.arg === undefined ? o.field : `${o.field}[${JSON.stringify(o.arg)}]`;
    case 'value':
      return value(o);
    case 'transformer_list':
      return `(${o.items.map(operandKey).join(',')})`;
    case 'transformer': {
      return `${o.name}(${o.args.map(operandKey).join(',')})${o.arg === undefined ? '' : `[${JSON.stringify(o.arg)}]`}`; // getopt(...)[x]
    }
  }
}

function right(r: RightOperand): string {
  return r.kind === 'list' ? `[${r.items.map(value).join(',')}]` : operandKey(r);
}

export function checkKey(e: BinaryCheckExpr | UnaryCheckExpr): string {
  if (e.kind === 'unary') return `${operandKey(e.left)} ${e.op}`;
  const op = e.op === '==' ? '=' : e.op;
  return `${operandKey(e.left)} ${op}${e.modifier ? ` ${e.modifier}` : ''} ${right(e.right)}`;
}

/** A plain `evt.type` check (no transformer, no argument): its value is the event type's name. */
export function isEventTypeCheck(e: BinaryCheckExpr | UnaryCheckExpr): boolean {
  return e.left.kind === 'field' && e.left.field === 'evt.type' && e.left.arg === undefined;
}
