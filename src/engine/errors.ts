import type { Pos } from '../condition/ast.js';

/** Which text of a rule an error points into: the condition (AST positions) or the output template. */
export type CompilePart = 'condition' | 'output' | 'append_output';

export type CompileErrorCode =
  | 'unknown-field'
  | 'field-argument'
  | 'operator-type'
  | 'bad-value'
  | 'bad-regex'
  | 'bad-transformer'
  | 'rhs-field'
  | 'unresolved-identifier'
  | 'evttype-analysis'
  | 'bad-output';

/**
 * A rule that cannot be compiled. `pos` is the offending node's place: for the condition the
 * AST position (its `at` set by the loader), for the output an offset/line/column inside the
 * template text.
 */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  constructor(
    message: string,
    readonly code: CompileErrorCode,
    readonly pos?: Pos,
    readonly part: CompilePart = 'condition',
  ) {
    super(message);
  }
}

export type CompileWarningCode = 'unknown-evttype' | 'regex-simplifiable' | 'field-as-value' | 'transformer-as-value';

export interface CompileWarning {
  code: CompileWarningCode;
  message: string;
  pos?: Pos;
}
