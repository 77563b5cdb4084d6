// Small helpers over the condition AST used by the loader.
import type { Expr, FieldOperand, Pos, RightOperand, TransformerExpr, TransformerListExpr, ValueExpr } from './ast.js';
import type { MappedText } from './mapped-text.js';

type AnyNode = Expr | RightOperand | TransformerExpr | TransformerListExpr | ValueExpr;

function setAt(pos: Pos, text: MappedText): void {
  const at = text.locate(pos.offset);
  if (at) pos.at = at;
}

/** Sets `pos.at` (the place in a rules file) on every node parsed from `text`. */
export function annotate(node: AnyNode, text: MappedText): void {
  setAt(node.pos, text);
  switch (node.kind) {
    case 'and':
    case 'or':
      for (const c of node.children) annotate(c, text);
      break;
    case 'not':
      annotate(node.child, text);
      break;
    case 'unary':
      annotate(node.left, text);
      break;
    case 'binary':
      annotate(node.left, text);
      annotate(node.right, text);
      break;
    case 'list':
      for (const v of node.items) annotate(v, text);
      break;
    case 'transformer':
      for (const a of node.args) annotate(a, text);
      break;
    case 'transformer_list':
      for (const a of node.items) annotate(a, text);
      break;
    default:
      break;
  }
}

/** Calls `fn` for every field operand of every check (left sides and field right sides). */
export function forEachCheck(expr: Expr, fn: (check: Extract<Expr, { kind: 'unary' | 'binary' }>) => void): void {
  switch (expr.kind) {
    case 'and':
    case 'or':
      for (const c of expr.children) forEachCheck(c, fn);
      break;
    case 'not':
      forEachCheck(expr.child, fn);
      break;
    case 'unary':
    case 'binary':
      fn(expr);
      break;
    default:
      break;
  }
}

/** The plain field name of an operand (`tolower(proc.name)` -> undefined). */
export function fieldName(op: FieldOperand): string | undefined {
  return op.kind === 'field' ? op.field : undefined;
}
