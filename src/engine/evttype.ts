// Which event types a condition can match, as libsinsp's ppm_event_codes visitor computes it:
// `and` intersects its children's sets, `or` unites them, and negations are pushed down to the
// leaves (De Morgan), where an `evt.type` check's set is complemented. Checks that do not look
// at `evt.type` are neutral (every type) and are not complemented. `evt.type` names resolve
// through the source's eventTypes; several codes may share a name.
import type { BinaryCheckExpr, Expr, FieldOperand, Pos, RightOperand, TransformerListExpr, ValueExpr } from '../condition/ast.js';
import type { EventSource } from './event-source.js';
import { CompileError, type CompileWarning } from './errors.js';

export interface EventTypeAnalysis {
  /** The type codes the condition can match, or 'all'. */
  codes: ReadonlySet<number> | 'all';
  warnings: CompileWarning[];
}

const EVTTYPE_OPS = new Set(['=', '==', '!=', 'in']);

function isEvtTypeField(o: FieldOperand | RightOperand): boolean {
  return o.kind === 'field' && (o.field === 'evt.type' || o.field === 'syscall.type') && o.arg === undefined;
}

function containsEvtType(o: FieldOperand | ValueExpr | TransformerListExpr): boolean {
  if (o.kind === 'transformer_list') return o.items.some(containsEvtType);
  if (o.kind === 'value') return false;
  if (isEvtTypeField(o)) return true;
  return o.kind === 'transformer' && o.args.some(containsEvtType);
}

class Analyzer {
  private readonly n: number;
  private readonly byName = new Map<string, number[]>();
  readonly warnings: CompileWarning[] = [];
  private readonly warned = new Set<string>();

  constructor(names: readonly string[]) {
    this.n = names.length;
    names.forEach((name, code) => {
      const codes = this.byName.get(name);
      if (codes) codes.push(code);
      else this.byName.set(name, [code]);
    });
  }

  /** A set of codes; null is the set of every code (most checks), kept without allocating. */
  private complement(s: Codes): Uint8Array {
    const out = new Uint8Array(this.n);
    if (s) for (let i = 0; i < s.length; i++) out[i] = s[i] ? 0 : 1;
    return out;
  }

  private names(values: Array<{ value: string; pos: Pos }>): Uint8Array {
    const s = new Uint8Array(this.n);
    for (const { value, pos } of values) {
      const codes = this.byName.get(value);
      if (codes) for (const c of codes) s[c] = 1;
      else if (!this.warned.has(value)) {
        this.warned.add(value);
        this.warnings.push({ code: 'unknown-evttype', message: `unknown event type '${value}' in evt.type check: it matches no event`, pos });
      }
    }
    return s;
  }

  visit(e: Expr, negated: boolean): Codes {
    switch (e.kind) {
      case 'and':
      case 'or': {
        const intersect = (e.kind === 'and') !== negated;
        let acc: Codes = intersect ? null : new Uint8Array(this.n);
        for (const c of e.children) {
          const s = this.visit(c, negated);
          if (intersect) {
            if (s === null) continue;
            if (acc === null) acc = s.slice();
            else for (let i = 0; i < this.n; i++) acc[i]! &= s[i]!;
          } else {
            if (acc === null) continue;
            if (s === null) acc = null;
            else for (let i = 0; i < this.n; i++) acc[i]! |= s[i]!;
          }
        }
        return acc;
      }
      case 'not':
        return this.visit(e.child, !negated);
      case 'identifier':
        throw new CompileError(`filter error: unexpected identifier '${e.name}'`, 'unresolved-identifier', e.pos);
      case 'unary':
        if (e.left.kind === 'transformer' && containsEvtType(e.left)) this.transformerError(e.left.pos);
        // `evt.type exists` is every type, and under a negation none
        return isEvtTypeField(e.left) && negated ? this.complement(null) : null;
      case 'binary':
        return this.binary(e, negated);
    }
  }

  private transformerError(pos: Pos): never {
    throw new CompileError('event code search does not support `evt.type` checks with transformers', 'evttype-analysis', pos);
  }

  private binary(e: BinaryCheckExpr, negated: boolean): Codes {
    if (!EVTTYPE_OPS.has(e.op)) return null;
    if (e.left.kind === 'transformer' && containsEvtType(e.left)) this.transformerError(e.left.pos);
    if (!isEvtTypeField(e.left)) return null;
    const r = e.right;
    if (r.kind === 'field' || r.kind === 'transformer') {
      throw new CompileError(
        'right-hand field comparisons on `evt.type`/`syscall.type` checks are not supported by event code search',
        'evttype-analysis',
        r.pos,
      );
    }
    let s = this.names(r.kind === 'list' ? r.items : [r]);
    if (negated) s = this.complement(s);
    if (e.op === '!=') s = this.complement(s);
    return s;
  }
}

type Codes = Uint8Array | null;

/** The event types `expr` can match on `source`; sources without event types: 'all', silently. */
export function analyzeEventTypes(expr: Expr, source: EventSource): EventTypeAnalysis {
  if (!source.eventTypes) return { codes: 'all', warnings: [] };
  const a = new Analyzer(source.eventTypes);
  const s = a.visit(expr, false);
  if (s === null) return { codes: 'all', warnings: a.warnings };
  const codes = new Set<number>();
  for (let i = 0; i < s.length; i++) if (s[i]) codes.add(i);
  return { codes: codes.size === s.length ? 'all' : codes, warnings: a.warnings };
}

/**
 * Falco's LOAD_NO_EVTTYPE condition for a syscall rule: it matches no type at all, or more than
 * 100 ("Rule matches too many evt.type values. This has a significant performance penalty.").
 */
export function matchesTooManyEventTypes(codes: ReadonlySet<number> | 'all'): boolean {
  return codes === 'all' || codes.size === 0 || codes.size > 100;
}
