// Small helpers over the condition AST: visiting checks, naming their fields.
import type { Expr, FieldOperand } from './ast.js';

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
