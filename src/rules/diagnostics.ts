// Diagnostic codes and the sink every loader stage reports into. Codes are stable and
// machine-readable; each maps to the Falco load_result code it corresponds to.
import type { SourceLocation } from '../condition/ast.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `unknown-field`, `macro-cycle`, `unused-list`. */
  code: string;
  /** The Falco load_result code this corresponds to, e.g. `LOAD_ERR_YAML_VALIDATE`, `LOAD_UNUSED_MACRO`. */
  falcoCode?: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** The item the message is about. */
  item?: { type: 'rule' | 'macro' | 'list' | 'required_engine_version' | 'required_plugin_versions' | 'file'; name?: string };
}

type ItemRef = NonNullable<Diagnostic['item']>;

/** Error codes, with Falco's `falco::load_result::error_code` they correspond to. */
export const ERROR_CODES = {
  'file-read': 'LOAD_ERR_FILE_READ',
  'yaml-parse': 'LOAD_ERR_YAML_PARSE',
  'not-yaml': 'LOAD_ERR_YAML_VALIDATE',
  'not-a-list': 'LOAD_ERR_YAML_VALIDATE',
  'item-not-mapping': 'LOAD_ERR_YAML_VALIDATE',
  'missing-key': 'LOAD_ERR_YAML_VALIDATE',
  'empty-value': 'LOAD_ERR_YAML_VALIDATE',
  'not-scalar': 'LOAD_ERR_YAML_VALIDATE',
  'not-sequence': 'LOAD_ERR_YAML_VALIDATE',
  'not-mapping': 'LOAD_ERR_YAML_VALIDATE',
  'wrong-type': 'LOAD_ERR_YAML_VALIDATE',
  'bad-priority': 'LOAD_ERR_YAML_VALIDATE',
  'bad-engine-version': 'LOAD_ERR_YAML_VALIDATE',
  'bad-override': 'LOAD_ERR_YAML_VALIDATE',
  'override-append-conflict': 'LOAD_ERR_YAML_VALIDATE',
  'override-mismatch': 'LOAD_ERR_YAML_VALIDATE',
  'bad-exception': 'LOAD_ERR_YAML_VALIDATE',
  'engine-version': 'LOAD_ERR_VALIDATE',
  'plugin-version': 'LOAD_ERR_VALIDATE',
  'plugin-requirement': 'LOAD_ERR_VALIDATE',
  'no-previous-list': 'LOAD_ERR_VALIDATE',
  'no-previous-macro': 'LOAD_ERR_VALIDATE',
  'no-previous-rule': 'LOAD_ERR_VALIDATE',
  'rule-source-changed': 'LOAD_ERR_VALIDATE',
  'exception-invalid': 'LOAD_ERR_VALIDATE',
  'undefined-macro': 'LOAD_ERR_VALIDATE',
  'macro-cycle': 'LOAD_ERR_VALIDATE',
  'macro-error': 'LOAD_ERR_VALIDATE',
  'condition-syntax': 'LOAD_ERR_COMPILE_CONDITION',
  'list-item-syntax': 'LOAD_ERR_COMPILE_CONDITION',
  'list-error': 'LOAD_ERR_COMPILE_CONDITION',
  // Over a loader limit (limits.ts); Falco has none, the nearest of its codes:
  'file-too-large': 'LOAD_ERR_FILE_READ',
  'list-too-large': 'LOAD_ERR_VALIDATE',
  'condition-too-large': 'LOAD_ERR_COMPILE_CONDITION',
  // The compiler's CompileErrorCode values, for errors in a condition:
  'unknown-field': 'LOAD_ERR_COMPILE_CONDITION',
  'field-argument': 'LOAD_ERR_COMPILE_CONDITION',
  'operator-type': 'LOAD_ERR_COMPILE_CONDITION',
  'bad-value': 'LOAD_ERR_COMPILE_CONDITION',
  'bad-regex': 'LOAD_ERR_COMPILE_CONDITION',
  'bad-transformer': 'LOAD_ERR_COMPILE_CONDITION',
  'rhs-field': 'LOAD_ERR_COMPILE_CONDITION',
  'unresolved-identifier': 'LOAD_ERR_COMPILE_CONDITION',
  'evttype-analysis': 'LOAD_ERR_COMPILE_CONDITION',
  'compile': 'LOAD_ERR_COMPILE_CONDITION',
  'output-unknown-field': 'LOAD_ERR_COMPILE_OUTPUT',
  'output-invalid': 'LOAD_ERR_COMPILE_OUTPUT',
} as const;

/** Warning codes, with Falco's `falco::load_result::warning_code` they correspond to. */
export const WARNING_CODES = {
  'unknown-source': 'LOAD_UNKNOWN_SOURCE',
  'unsafe-na-check': 'LOAD_UNSAFE_NA_CHECK',
  'no-evttype': 'LOAD_NO_EVTTYPE',
  'unknown-filter': 'LOAD_UNKNOWN_FILTER',
  'unused-macro': 'LOAD_UNUSED_MACRO',
  'unused-list': 'LOAD_UNUSED_LIST',
  'unknown-item': 'LOAD_UNKNOWN_ITEM',
  'deprecated-item': 'LOAD_DEPRECATED_ITEM',
  'deprecated-field': 'LOAD_DEPRECATED_ITEM',
  'append-no-values': 'LOAD_APPEND_NO_VALUES',
  'exception-name-not-unique': 'LOAD_EXCEPTION_NAME_NOT_UNIQUE',
  'invalid-list-name': 'LOAD_INVALID_LIST_NAME',
  'invalid-macro-name': 'LOAD_INVALID_MACRO_NAME',
  'compile-warning': 'LOAD_COMPILE_CONDITION',
  'unknown-key': 'LOAD_UNKNOWN_KEY',
  'duplicate-key': 'LOAD_UNKNOWN_KEY',
  'no-rules-files': 'LOAD_UNKNOWN_ITEM',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type WarningCode = keyof typeof WARNING_CODES;

/** Collects the diagnostics of one load, in the order they were found. */
export class DiagnosticSink {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  error(code: ErrorCode, message: string, at?: SourceLocation, item?: ItemRef): void {
    this.errors.push(make('error', code, ERROR_CODES[code], message, at, item));
  }

  warn(code: WarningCode, message: string, at?: SourceLocation, item?: ItemRef): void {
    this.warnings.push(make('warning', code, WARNING_CODES[code], message, at, item));
  }
}

function make(
  severity: Severity,
  code: string,
  falcoCode: string,
  message: string,
  at?: SourceLocation,
  item?: ItemRef,
): Diagnostic {
  const d: Diagnostic = { severity, code, falcoCode, message };
  if (at) {
    d.file = at.file;
    // Line 0: the file as a whole (it could not be read).
    if (at.line > 0) {
      d.line = at.line;
      d.column = at.column;
    }
  }
  if (item) d.item = item;
  return d;
}

/** `file:line:col: error: message (rule "name")`, the form `kestrel validate` prints. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ''}: ` : '';
  const what = d.item?.name !== undefined ? ` (${d.item.type} "${d.item.name}")` : '';
  return `${where}${d.severity}: ${d.message}${what}`;
}

/** Thrown inside a stage to abandon the current item (reported, then the load goes on). */
export class ItemError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly at?: SourceLocation,
  ) {
    super(message);
    this.name = 'ItemError';
  }
}
