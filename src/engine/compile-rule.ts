// Condition AST -> predicate. Each check is specialised once for its field type, operator and
// right-hand side (Sets, globs, regexes, parsed numbers and addresses), so the per-event work is
// an extraction and a comparison; the checks become one generated function per rule (codegen.ts).
// Constant parts are folded: a check on a field its source never extracts is false, `in ()` on a
// single-valued field is false, `not not x` is x, nested and/or are flattened.
import type { BinaryCheckExpr, Expr, ListModifier, Pos, UnaryCheckExpr, ValueExpr } from '../condition/ast.js';
import type { RuleSpec } from './rule.js';
import type { FieldType, FieldValue, Scalar } from '../fields/types.js';
import type { EventSource } from './event-source.js';
import { CompileError, type CompileWarning } from './errors.js';
import { valueWarnings } from './value-warnings.js';
import {
  RegexError,
  comparabilityError,
  dynamicTest,
  memberTest,
  normalizeOp,
  scalarTest,
  type DynTest,
  type Op,
  type Test,
} from './compare.js';
import { analyzeEventTypes } from './evttype.js';
import { generate, type Fast, type Predicate, type Tree } from './codegen.js';
import { checkKey, isEventTypeCheck, operandKey } from './key.js';
import { conditionTrees } from './plan.js';
import { compileOperand, type Operand, type OperandContext } from './operand.js';
import { compileOutput, type OutputFormatter } from './output-template.js';
import { appendFor, type AppendOutput } from './append-output.js';
import type { CompiledRule } from './ruleset.js';
import { ValueError, checkValue, isNumericType, isStringType, parseNumber, parseBool } from './values.js';

export type { Predicate } from './codegen.js';

type Node<E> = Tree<E> | boolean;

const FALSE: Test = () => false;

/** Exactly one test passes (the `oneof` modifier). */
function exactlyOne(tests: readonly Test[], v: Scalar): boolean {
  let n = 0;
  for (let i = 0; i < tests.length; i++) if (tests[i]!(v) && ++n > 1) return false;
  return n === 1;
}

class Compiler<E> {
  private readonly ctx: OperandContext<E>;
  readonly warnings: CompileWarning[] = [];

  constructor(source: EventSource<E>) {
    this.ctx = { source, forOutput: false, part: 'condition' };
  }

  node(e: Expr): Node<E> {
    switch (e.kind) {
      case 'and':
      case 'or':
        return this.junction(e.kind, e.children);
      case 'not': {
        if (e.child.kind === 'not') return this.node(e.child.child);
        const c = this.node(e.child);
        return typeof c === 'boolean' ? !c : { kind: 'not', child: c };
      }
      case 'identifier':
        throw new CompileError(`filter error: unexpected identifier '${e.name}'`, 'unresolved-identifier', e.pos);
      case 'unary':
        return this.unary(e);
      case 'binary':
        return this.binary(e);
    }
  }

  private junction(kind: 'and' | 'or', children: Expr[]): Node<E> {
    const absorbing = kind === 'or'; // the constant that decides the whole junction
    const fns: Tree<E>[] = [];
    let decided = false;
    // Every child is compiled (and so checked for errors), even after a deciding constant.
    const visit = (cs: Expr[]): void => {
      for (const c of cs) {
        if (c.kind === kind) {
          visit(c.children);
          continue;
        }
        const n = this.node(c);
        if (typeof n !== 'boolean') fns.push(n);
        else if (n === absorbing) decided = true;
      }
    };
    visit(children);
    if (decided) return absorbing;
    if (fns.length === 0) return !absorbing;
    return fns.length === 1 ? fns[0]! : { kind, children: fns };
  }

  private unary(e: UnaryCheckExpr): Node<E> {
    const left = compileOperand(e.left, this.ctx);
    return left.get ? { kind: 'exists', get: left.get, key: checkKey(e), field: operandKey(e.left), ...typeField(e) } : false;
  }

  private binary(e: BinaryCheckExpr): Node<E> {
    const op = normalizeOp(e.op);
    const left = compileOperand(e.left, this.ctx);
    const err = comparabilityError(op, left.type, left.list);
    if (err) throw new CompileError(`filter error: ${err} (field '${left.text}')`, 'operator-type', e.pos);
    const right = e.right;
    if (right.kind === 'field' || right.kind === 'transformer') return this.rhsField(e, op, left);
    const listOp = op === 'in' || op === 'intersects' || op === 'pmatch';
    // A modifier takes a list; a name after it that the loader did not expand names no list.
    if (e.modifier && right.kind === 'value') {
      throw new CompileError(`filter error: list modifier '${e.modifier}' needs a list of values, and '${right.value}' is not a list`, 'bad-value', right.pos);
    }
    if (right.kind === 'list' && !listOp && !e.modifier) {
      throw new CompileError(`filter error: operator '${op}' takes a single value, not a list`, 'bad-value', right.pos);
    }
    const items: ValueExpr[] = right.kind === 'list' ? right.items : [right];
    for (const i of items) this.warnings.push(...valueWarnings(this.ctx.source.fields, op, i.value, i.pos));
    let test = this.valueTest(left.type, op, e.modifier, items, right.pos);
    // `in ()` is false, except on a list field whose value is an empty list (all of none is in).
    if (test === false && left.list && op === 'in' && !e.modifier) test = FALSE;
    if (!left.get || test === false) return false;
    const key = checkKey(e);
    const field = operandKey(e.left);
    if (left.list) return { kind: 'list', get: left.get, test, all: op === 'in', key, field };
    const fast = e.modifier ? undefined : inlineable(left.type, op, items);
    return { kind: 'scalar', get: left.get, test, ne: op === '!=' && !e.modifier, ...(fast ? { fast } : {}), key, field, ...typeField(e) };
  }

  /** The per-element test against constant values; false when nothing can ever pass. */
  private valueTest(type: FieldType, op: Op, modifier: ListModifier | undefined, items: ValueExpr[], listPos: Pos): Test | false {
    const values = items.map((i) => i.value);
    const raw = items.map((i) => i.bytes);
    const at = (k: number): Pos => items[k]?.pos ?? listPos;
    const convert = <T>(k: number, f: () => T): T => {
      try {
        return f();
      } catch (err) {
        if (err instanceof RegexError) throw new CompileError(`filter error: ${err.message}`, 'bad-regex', at(k));
        if (err instanceof ValueError) throw new CompileError(`filter error: ${err.message}`, 'bad-value', at(k));
        throw err;
      }
    };
    if (!modifier) {
      if (op === 'in' || op === 'intersects' || op === 'pmatch') {
        values.forEach((v, k) => convert(k, () => checkValue(type, v)));
        return values.length === 0 ? false : memberTest(type, op, values, raw);
      }
      return convert(0, () => scalarTest(type, op, values[0]!, raw[0]));
    }
    if (values.length === 0) return false;
    if (op === 'pmatch') {
      const tests = values.map((v, k) => convert(k, () => memberTest(type, op, [v])));
      return combine(modifier, tests);
    }
    const elemOp: Op = op === 'in' || op === 'intersects' ? '=' : op;
    const tests = values.map((v, k) => convert(k, () => scalarTest(type, elemOp, v, raw[k])));
    if (elemOp === '=' && modifier === 'anyof') return memberTest(type, 'in', values, raw);
    if (elemOp === '!=' && modifier === 'allof') {
      const member = memberTest(type, 'in', values, raw);
      return (v) => !member(v);
    }
    return combine(modifier, tests);
  }

  /** `field op val(other)` / `field op other.field`: compared against the other field's value per event. */
  private rhsField(e: BinaryCheckExpr, op: Op, left: Operand<E>): Node<E> {
    if (op === 'pmatch' || op === 'regex') {
      throw new CompileError(`filter error: operator '${op}' doesn't support right-hand side fields`, 'rhs-field', e.right.pos);
    }
    if (left.type === 'IPNET') {
      throw new CompileError(`filter error: field type 'IPNET' doesn't support right-hand side fields`, 'rhs-field', e.right.pos);
    }
    const right = compileOperand(e.right as Exclude<typeof e.right, ValueExpr | { kind: 'list' }>, this.ctx);
    if (left.type !== right.type || left.list !== right.list) {
      const l = `${left.type}${left.list ? ' (list)' : ''}`;
      const r = `${right.type}${right.list ? ' (list)' : ''}`;
      throw new CompileError(
        `filter error: field '${left.text}' has type '${l}' while the right-hand side field '${right.text}' has incompatible type '${r}'`,
        'rhs-field',
        e.right.pos,
      );
    }
    let dyn: DynTest;
    try {
      dyn = dynamicTest(left.type, op);
    } catch (err) {
      throw new CompileError(`filter error: ${(err as Error).message}`, 'rhs-field', e.pos);
    }
    const lget = left.get;
    const rget = right.get;
    if (!lget || !rget) return false;
    const match = rhsMatcher(dyn, op, e.modifier);
    const ne = op === '!=' && !e.modifier;
    const all = op === 'in';
    const pred: Predicate<E> = (x: E) => {
      const a = lget(x);
      if (a === undefined) return false;
      const b = rget(x);
      if (b === undefined) return false;
      if (!Array.isArray(a)) return match(a as Scalar, b);
      const as = a as readonly Scalar[];
      if (left.list) {
        for (let i = 0; i < as.length; i++) if (match(as[i]!, b) !== all) return !all;
        return all;
      }
      if (as.length === 0) return false;
      for (let i = 0; i < as.length; i++) if (match(as[i]!, b) !== ne) return !ne;
      return ne;
    };
    return { kind: 'pred', pred, key: checkKey(e) };
  }
}

function typeField(e: BinaryCheckExpr | UnaryCheckExpr): { typeField?: true } {
  return isEventTypeCheck(e) ? { typeField: true } : {};
}

const INLINE_OPS: Partial<Record<Op, '===' | '!==' | '<' | '<=' | '>' | '>='>> = { '=': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const INLINE_METHODS: Partial<Record<Op, 'includes' | 'startsWith' | 'endsWith'>> = { contains: 'includes', startswith: 'startsWith', endswith: 'endsWith' };

/** The common comparisons, in a form the generated code inlines (values already validated). */
function inlineable(type: FieldType, op: Op, items: ValueExpr[]): Fast | undefined {
  const values = items.map((i) => i.value);
  if (isStringType(type)) {
    if ((op === 'in' || op === 'intersects') && values.length > 0) return { has: new Set(values) };
    const bin = INLINE_OPS[op];
    if (bin) return { op: bin, k: values[0]! };
    const method = INLINE_METHODS[op];
    if (method) return { method, k: values[0]! };
    return undefined;
  }
  if (isNumericType(type) && op !== 'in' && op !== 'intersects') {
    const bin = INLINE_OPS[op];
    if (!bin) return undefined;
    // == so that a bigint timestamp compares with a number and the other way round
    return { op: bin === '===' ? '==' : bin === '!==' ? '!=' : bin, k: parseNumber(values[0]!, type) };
  }
  if (type === 'BOOL' && (op === '=' || op === '!=')) return { op: op === '=' ? '===' : '!==', k: parseBool(values[0]!) };
  return undefined;
}

/**
 * One left-hand element against the right-hand field's value(s): `in`/`intersects` look for an
 * equal one, modifiers combine all, other operators compare with the first (libsinsp's
 * filter_value_p()).
 */
function rhsMatcher(dyn: DynTest, op: Op, modifier: ListModifier | undefined): (v: Scalar, b: FieldValue) => boolean {
  const listOp = op === 'in' || op === 'intersects';
  return (v, b) => {
    if (!Array.isArray(b)) return dyn(v, b as Scalar); // one value: every modifier reduces to the comparison
    const rhs = b as readonly Scalar[];
    if (rhs.length === 0) return false;
    if (!modifier) {
      if (!listOp) return dyn(v, rhs[0]!);
      for (let i = 0; i < rhs.length; i++) if (dyn(v, rhs[i]!)) return true;
      return false;
    }
    let n = 0;
    for (let i = 0; i < rhs.length; i++) {
      const ok = dyn(v, rhs[i]!);
      if (modifier === 'anyof' && ok) return true;
      if (modifier === 'allof' && !ok) return false;
      if (modifier === 'oneof' && ok && ++n > 1) return false;
    }
    return modifier === 'allof' || (modifier === 'oneof' && n === 1);
  };
}

function combine(modifier: ListModifier, tests: Test[]): Test {
  if (modifier === 'anyof') return (v) => tests.some((t) => t(v));
  if (modifier === 'allof') return (v) => tests.every((t) => t(v));
  return (v) => exactlyOne(tests, v);
}

export interface CompiledCondition<E> {
  predicate: Predicate<E>;
  /** libsinsp's compiler warnings about the condition's values. */
  warnings: CompileWarning[];
  /** Set when the condition folded to a constant (false: the rule can never match). */
  constant?: boolean;
}

/** Compiles a resolved condition (macros inlined, lists expanded) against a source's fields. */
export function compileCondition<E>(expr: Expr, source: EventSource<E>): CompiledCondition<E> {
  const c = new Compiler(source);
  const n = c.node(expr);
  if (typeof n === 'boolean') return { predicate: n ? () => true : () => false, constant: n, warnings: c.warnings };
  const predicate = generate(n);
  conditionTrees.set(predicate, n);
  return { predicate, warnings: c.warnings };
}

/**
 * Compiles a rule: condition, output template (with what append_output adds to it), event
 * types. Throws CompileError; one in the appended text has `part` 'append_output'.
 */
export function compileRule<E>(spec: RuleSpec, source: EventSource<E>, append: readonly AppendOutput[] = []): CompiledRule<E> {
  const condition = compileCondition(spec.condition, source);
  const types = analyzeEventTypes(spec.condition, source);
  const extra = append.length > 0 ? appendFor(append, { name: spec.name, source: source.name, tags: spec.tags }, source) : undefined;
  const formatter = compileOutput(spec.output, source);
  const appended = extra?.text ? compileAppended(spec.output + extra.text, source) : undefined;
  const extraFields = extra?.fields.map((f) => ({ name: f.name, raw: f.raw, formatter: compileAppended(f.raw ? `%${f.format}` : f.format, source) }));
  return {
    ...(extraFields && extraFields.length > 0 ? { extraFields } : {}),
    name: spec.name,
    spec,
    source,
    predicate: condition.predicate,
    constant: condition.constant,
    formatter: appended ?? formatter,
    eventTypes: types.codes,
    warnings: [...condition.warnings, ...types.warnings],
  };
}


/** A template made with append_output's text: its errors are append_output's, not the rule's. */
function compileAppended<E>(template: string, source: EventSource<E>): OutputFormatter<E> {
  try {
    return compileOutput(template, source);
  } catch (e) {
    if (e instanceof CompileError) throw new CompileError(`append_output: ${e.message}`, e.code, undefined, 'append_output');
    throw e;
  }
}
