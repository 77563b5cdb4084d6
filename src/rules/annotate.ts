// Condition AST nodes parsed from rules-file text get the place in the file they came from.
import type { Expr, Pos, RightOperand, TransformerExpr, TransformerListExpr, ValueExpr } from '../condition/ast.js';
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
