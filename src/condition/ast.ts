// Condition AST, the contract between grammar/ (parser), src/rules/ (macro, list and
// exception resolution) and src/engine/ (compiler). Shapes follow libsinsp's filter AST.

/** Where a node starts in the condition text: 1-based line and column, 0-based offset. */
export interface Pos {
  line: number;
  column: number;
  offset: number;
  /** Absolute place in a rules file, set by the loader (macros keep their own file's place). */
  at?: SourceLocation;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type Expr = AndExpr | OrExpr | NotExpr | IdentifierExpr | UnaryCheckExpr | BinaryCheckExpr;

export interface AndExpr {
  kind: 'and';
  children: Expr[];
  pos: Pos;
}

export interface OrExpr {
  kind: 'or';
  children: Expr[];
  pos: Pos;
}

export interface NotExpr {
  kind: 'not';
  child: Expr;
  pos: Pos;
}

/** A bare identifier in condition position: a macro reference. */
export interface IdentifierExpr {
  kind: 'identifier';
  name: string;
  pos: Pos;
}

/** `field exists` */
export interface UnaryCheckExpr {
  kind: 'unary';
  left: FieldOperand;
  op: UnaryOperator;
  pos: Pos;
}

/** `field op value`, `field op (a, b)`, `field op val(other.field)`, `tolower(f) = x`. */
export interface BinaryCheckExpr {
  kind: 'binary';
  left: FieldOperand;
  op: BinaryOperator;
  /** Set when the operator carries a list modifier, if libsinsp accepts one there. */
  modifier?: ListModifier;
  right: RightOperand;
  pos: Pos;
}

export type FieldOperand = FieldExpr | TransformerExpr;
export type RightOperand = ValueExpr | ListExpr | FieldOperand;

/**
 * `proc.name`, `proc.aname[2]`, `ka.uri.param[command]`; `arg` is the text inside [...] (for a quoted
 * argument like `["a b"]`, its unescaped content; `[""]` gives `''`, no brackets leave it undefined).
 */
export interface FieldExpr {
  kind: 'field';
  field: string;
  arg?: string;
  pos: Pos;
}

export type TransformerName = 'tolower' | 'toupper' | 'b64' | 'basename' | 'len' | 'join' | 'concat' | 'getopt';

/**
 * `tolower(proc.name)`, `join(",", proc.args)`; arguments are fields, transformers or literals, and
 * (libsinsp's multi-value transformers) a parenthesised list of those: `join("-", (fd.name, proc.name))`.
 */
export interface TransformerExpr {
  kind: 'transformer';
  name: TransformerName;
  args: Array<FieldOperand | ValueExpr | TransformerListExpr>;
  /** The field argument written right after the call, `getopt(proc.args, "nt:")[t]` (libsinsp's field_transformer_expr arg). */
  arg?: string;
  pos: Pos;
}

/** A parenthesised argument list inside a transformer call: `(fd.name, "x", tolower(proc.name), 3)`. */
export interface TransformerListExpr {
  kind: 'transformer_list';
  items: Array<FieldOperand | ValueExpr>;
  pos: Pos;
}

/** A literal. `quoted` keeps whether it was written in quotes (a quoted name never names a list). */
export interface ValueExpr {
  kind: 'value';
  value: string;
  quoted: boolean;
  /**
   * Set only when `\xHH` escapes in a quoted string produce bytes that are not valid UTF-8: the exact
   * bytes to match (`value` then holds their lossy UTF-8 decoding).
   */
  bytes?: Uint8Array;
  pos: Pos;
}

export interface ListExpr {
  kind: 'list';
  items: ValueExpr[];
  pos: Pos;
}

export type UnaryOperator = 'exists';

export type BinaryOperator =
  | '='
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'contains'
  | 'icontains'
  | 'bcontains'
  | 'startswith'
  | 'bstartswith'
  | 'endswith'
  | 'glob'
  | 'iglob'
  | 'regex'
  | 'in'
  | 'intersects'
  | 'pmatch';

/**
 * `oneof`/`anyof`/`allof` list modifiers (libsinsp, Falco 0.44+): after a string operator and a blank,
 * then a blank and a parenthesised list or a list name, e.g. `proc.name startswith anyof (kube-, etcd-)`.
 */
export type ListModifier = 'oneof' | 'anyof' | 'allof';
