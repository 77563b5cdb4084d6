// Compact, position-free rendering of condition ASTs, so tests can state expected trees in one line:
//   (or a (and b c))  (not x)  (exists f.x)  (= f.x v)  (startswith:anyof f.x [a, "b"])
//   f.x[arg]  tolower(f.x)  join("-", {f.a, f.b})  bare: v  quoted: "v"  list: [a, "b c", 3]
import type { Expr, FieldOperand, RightOperand, TransformerListExpr, ValueExpr } from '../../src/condition/ast.js';

type Node = Expr | RightOperand | TransformerListExpr | ValueExpr;

export function show(node: Node): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${node.children.map(show).join(' ')})`;
    case 'not':
      return `(not ${show(node.child)})`;
    case 'identifier':
      return node.name;
    case 'unary':
      return `(${node.op} ${show(node.left)})`;
    case 'binary':
      return `(${node.op}${node.modifier ? `:${node.modifier}` : ''} ${show(node.left)} ${show(node.right)})`;
    case 'field':
      return node.arg === undefined ? node.field : `${node.field}[${node.arg}]`;
    case 'transformer':
      return `${node.name}(${node.args.map(show).join(', ')})`;
    case 'transformer_list':
      return `{${node.items.map(show).join(', ')}}`;
    case 'list':
      return `[${node.items.map(show).join(', ')}]`;
    case 'value':
      return node.quoted ? JSON.stringify(node.value) : node.value;
  }
}

/** The right operand of a single binary check. */
export function rightOf(e: Expr): RightOperand {
  if (e.kind !== 'binary') throw new Error(`not a binary check: ${show(e)}`);
  return e.right;
}

export function leftOf(e: Expr): FieldOperand {
  if (e.kind !== 'binary' && e.kind !== 'unary') throw new Error(`not a check: ${show(e)}`);
  return e.left;
}
