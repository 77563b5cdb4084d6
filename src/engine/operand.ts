// Field operands: a field (bound once to its argument) or a transformer applied to operands,
// compiled into a getter with the resulting type. Transformers follow libsinsp's
// sinsp_filter_transformer (single-value: applied element-wise to lists) and
// sinsp_filter_multivalue_transformer (join, concat, getopt).
import type { FieldExpr, FieldOperand, Pos, TransformerExpr, TransformerListExpr, ValueExpr } from '../condition/ast.js';
import type { FieldDef, FieldType, FieldValue, Scalar } from '../fields/types.js';
import type { EventSource } from './event-source.js';
import { CompileError, type CompilePart } from './errors.js';
import { asciiLower, asciiUpper, base64Decode, fromUtf8, utf8Length } from './text.js';
import { valueText } from './values.js';

export type Getter<E> = (event: E) => FieldValue | undefined;

export interface Operand<E> {
  /** Undefined when the operand can never yield a value (a field its source does not extract). */
  get: Getter<E> | undefined;
  type: FieldType;
  list: boolean;
  /** As written, e.g. `proc.aname[2]`, `tolower(proc.name)`. */
  text: string;
  /** The plain fields inside, with their text (output_fields keys). */
  fields: Array<{ text: string; operand: Operand<E> }>;
  transformed: boolean;
}

export interface OperandContext<E> {
  source: EventSource<E>;
  /** Outputs may use output-only fields; conditions may not. */
  forOutput: boolean;
  part: CompilePart;
}

function fail(msg: string, code: 'unknown-field' | 'field-argument' | 'bad-transformer', pos: Pos | undefined, part: CompilePart): never {
  throw new CompileError(msg, code, pos, part);
}

export function fieldText(f: FieldExpr): string {
  return f.arg === undefined ? f.field : `${f.field}[${f.arg}]`;
}

export function compileField<E>(f: FieldExpr, ctx: OperandContext<E>): Operand<E> {
  const text = fieldText(f);
  const resolved = ctx.source.fields.resolve(f.field, f.arg);
  if (!resolved) fail(`filter_check called with nonexistent field ${text}`, 'unknown-field', f.pos, ctx.part);
  const def: FieldDef<E> = resolved.def;
  const arg = resolved.arg;
  if (def.outputOnly && !ctx.forOutput) fail(`field ${def.name} can only be used in outputs, not in conditions`, 'field-argument', f.pos, ctx.part);
  if (arg === undefined && def.arg?.required) fail(`filter ${def.name} requires an argument`, 'field-argument', f.pos, ctx.part);
  if (arg !== undefined) {
    if (!def.arg) fail(`filter ${def.name} does not support an argument (got '${arg}')`, 'field-argument', f.pos, ctx.part);
    if (def.arg.kind === 'index' && !/^[0-9]+$/.test(arg)) fail(`filter ${def.name} expects a numeric index argument, got '${arg}'`, 'field-argument', f.pos, ctx.part);
  }
  let get: Getter<E> | undefined;
  if (def.bind) {
    try {
      get = def.bind(arg);
    } catch (e) {
      fail(`field ${text}: ${(e as Error).message}`, 'field-argument', f.pos, ctx.part);
    }
  }
  const op: Operand<E> = { get, type: def.type, list: def.list === true, text, fields: [], transformed: false };
  op.fields.push({ text, operand: op });
  return op;
}

function literal<E>(v: ValueExpr): Operand<E> {
  const value = v.value;
  return { get: () => value, type: 'CHARBUF', list: false, text: JSON.stringify(value), fields: [], transformed: false };
}

export function compileOperand<E>(o: FieldOperand | ValueExpr | TransformerListExpr, ctx: OperandContext<E>): Operand<E> {
  if (o.kind === 'field') return compileField(o, ctx);
  if (o.kind === 'value') return literal(o);
  if (o.kind === 'transformer_list') return transformerList(o, ctx);
  return compileTransformer(o, ctx);
}

/** `(a, "b", tolower(c))` inside a multi-value transformer: one list of every item's values. */
function transformerList<E>(l: TransformerListExpr, ctx: OperandContext<E>): Operand<E> {
  const items = l.items.map((i) => compileOperand(i, ctx));
  const gets = items.map((i) => i.get);
  const get: Getter<E> | undefined = gets.every((g) => g) ? (e) => {
    const out: Scalar[] = [];
    for (const g of gets) {
      const v = g!(e);
      if (v === undefined) return undefined;
      if (Array.isArray(v)) out.push(...(v as readonly Scalar[]));
      else out.push(v as Scalar);
    }
    return out;
  } : undefined;
  const text = `(${items.map((i) => i.text).join(', ')})`;
  return { get, type: 'CHARBUF', list: true, text, fields: items.flatMap((i) => i.fields), transformed: true };
}

type Map1 = (v: Scalar) => Scalar | undefined;

/** Applies `f` to a value or each element of a list; any failed element fails the whole value. */
function mapValue(v: FieldValue, f: Map1): FieldValue | undefined {
  if (!Array.isArray(v)) return f(v as Scalar);
  const out: Scalar[] = [];
  for (const x of v as readonly Scalar[]) {
    const y = f(x);
    if (y === undefined) return undefined;
    out.push(y);
  }
  return out;
}

function asString(v: Scalar): string {
  return typeof v === 'string' ? v : v instanceof Uint8Array ? fromUtf8(v) : String(v);
}

function basename(s: string): string {
  const i = s.lastIndexOf('/');
  return i < 0 ? s : s.slice(i + 1);
}

const SINGLE: Record<string, { types: FieldType[]; result?: FieldType; f: (type: FieldType) => Map1 }> = {
  tolower: { types: ['CHARBUF', 'FSPATH', 'FSRELPATH'], f: () => (v) => asciiLower(asString(v)) },
  toupper: { types: ['CHARBUF', 'FSPATH', 'FSRELPATH'], f: () => (v) => asciiUpper(asString(v)) },
  basename: { types: ['CHARBUF', 'FSPATH', 'FSRELPATH'], f: () => (v) => basename(asString(v)) },
  b64: {
    types: ['CHARBUF', 'BYTEBUF'],
    f: (type) => (v) => {
      const bytes = base64Decode(asString(v));
      if (!bytes) return undefined;
      return type === 'BYTEBUF' ? bytes : fromUtf8(bytes);
    },
  },
};

function compileTransformer<E>(t: TransformerExpr, ctx: OperandContext<E>): Operand<E> {
  const name = t.name as string;
  if (name === 'val') {
    const inner = t.args[0];
    if (t.args.length !== 1 || !inner || (inner.kind !== 'field' && inner.kind !== 'transformer')) {
      fail(`val() takes exactly one field`, 'bad-transformer', t.pos, ctx.part);
    }
    return compileOperand(inner, ctx);
  }
  // Only getopt selects with a field argument (`getopt(...)[t]`); libsinsp refuses it elsewhere.
  if (t.arg !== undefined && name !== 'getopt') fail(`transformer '${name}' does not take an argument ([${t.arg}])`, 'bad-transformer', t.pos, ctx.part);
  const args = t.args.map((a) => compileOperand(a, ctx));
  const text = `${name}(${args.map((a) => a.text).join(', ')})`;
  const fields = args.flatMap((a) => a.fields);
  const base = { text, fields, transformed: true };
  const single = SINGLE[name];
  if (single || name === 'len') {
    if (args.length !== 1) fail(`${name}() takes exactly one argument`, 'bad-transformer', t.pos, ctx.part);
    const a = args[0]!;
    const inner = a.get;
    if (name === 'len') {
      if (!a.list && !['CHARBUF', 'BYTEBUF', 'FSPATH', 'FSRELPATH'].includes(a.type)) {
        fail(`field type '${a.type}' is not supported by 'len' transformer`, 'bad-transformer', t.pos, ctx.part);
      }
      const get: Getter<E> | undefined = inner && ((e) => {
        const v = inner(e);
        if (v === undefined) return undefined;
        if (a.list || Array.isArray(v)) return Array.isArray(v) ? (v as readonly Scalar[]).length : 1;
        return typeof v === 'string' ? utf8Length(v) : v instanceof Uint8Array ? v.length : utf8Length(String(v));
      });
      return { ...base, get, type: 'UINT64', list: false };
    }
    if (!single!.types.includes(a.type)) {
      fail(`field type '${a.type}' is not supported by '${name}' transformer`, 'bad-transformer', t.pos, ctx.part);
    }
    const f = single!.f(a.type);
    const get: Getter<E> | undefined = inner && ((e) => {
      const v = inner(e);
      return v === undefined ? undefined : mapValue(v, f);
    });
    return { ...base, get, type: a.type, list: a.list };
  }
  if (name === 'join') return join(t, args, base, ctx);
  if (name === 'concat') {
    if (args.length < 2) fail(`concat() requires at least 2 arguments`, 'bad-transformer', t.pos, ctx.part);
    for (const a of args) if (a.type !== 'CHARBUF' || a.list) fail(`concat() arguments must be strings`, 'bad-transformer', t.pos, ctx.part);
    const gets = args.map((a) => a.get);
    const get: Getter<E> | undefined = gets.every((g) => g) ? (e) => {
      let out = '';
      for (const g of gets) {
        const v = g!(e);
        if (v === undefined) return undefined;
        out += valueText(v, 'CHARBUF');
      }
      return out;
    } : undefined;
    return { ...base, get, type: 'CHARBUF', list: false };
  }
  if (name === 'getopt') return getopt(t, args, base, ctx);
  return fail(`unknown transformer '${name}'`, 'bad-transformer', t.pos, ctx.part);
}

type Base<E> = { text: string; fields: Array<{ text: string; operand: Operand<E> }>; transformed: boolean };

function join<E>(t: TransformerExpr, args: Operand<E>[], base: Base<E>, ctx: OperandContext<E>): Operand<E> {
  if (args.length < 2) fail(`join() requires exactly 2 arguments: separator and list`, 'bad-transformer', t.pos, ctx.part);
  const [sep, ...rest] = args;
  if (sep!.list) fail(`join() first argument (separator) must be a single value, not a list`, 'bad-transformer', t.pos, ctx.part);
  if (rest.length !== 1) fail(`join() requires exactly 2 arguments: separator and list`, 'bad-transformer', t.pos, ctx.part);
  if (!rest[0]!.list) fail(`join() second argument must be a list`, 'bad-transformer', t.pos, ctx.part);
  const sepGet = sep!.get;
  const gets = rest.map((a) => a.get);
  const get: Getter<E> | undefined = sepGet && gets.every((g) => g) ? (e) => {
    const s = sepGet(e);
    if (s === undefined) return undefined;
    const sepText = valueText(s, 'CHARBUF');
    const parts: string[] = [];
    for (let i = 0; i < gets.length; i++) {
      const v = gets[i]!(e);
      if (v === undefined) return undefined;
      if (Array.isArray(v)) for (const x of v as readonly Scalar[]) parts.push(asString(x));
      else parts.push(asString(v as Scalar));
    }
    return parts.join(sepText);
  } : undefined;
  return { ...base, get, type: 'CHARBUF', list: false };
}

interface OptInfo {
  valid: Set<string>;
  withArg: Set<string>;
}

function parseOptstring(s: string): OptInfo {
  const info: OptInfo = { valid: new Set(), withArg: new Set() };
  for (let i = s.startsWith(':') ? 1 : 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ':') continue;
    info.valid.add(c);
    if (s[i + 1] === ':') {
      info.withArg.add(c);
      i++;
    }
  }
  return info;
}

/** getopt(args, optstring): the options getopt(3) would see (value after its option); `[x]` selects one. */
export function runGetopt(argv: readonly string[], info: OptInfo, selector: string | undefined): string[] | string | undefined {
  const out: string[] = [];
  let selected: string | undefined;
  const emit = (name: string, value: string | undefined) => {
    if (selector !== undefined) selected = value ?? name;
    else {
      out.push(name);
      if (value !== undefined) out.push(value);
    }
  };
  for (let a = 0; a < argv.length; a++) {
    const arg = argv[a]!;
    if (arg === '--') break;
    if (arg.length > 2 && arg.startsWith('--')) continue;
    if (arg.length < 2 || arg[0] !== '-') break;
    for (let i = 1; i < arg.length; i++) {
      const opt = arg[i]!;
      if (opt === ':' || !info.valid.has(opt)) {
        if (selector === undefined) out.push('?');
        continue;
      }
      const match = selector === undefined || opt === selector;
      if (!info.withArg.has(opt)) {
        if (match) emit(opt, undefined);
        continue;
      }
      let value: string | undefined;
      if (i + 1 < arg.length) value = arg.slice(i + 1);
      else if (a + 1 < argv.length) value = argv[++a]!;
      if (value === undefined) {
        if (match) emit('', undefined); // a missing argument shows as an empty value
        break;
      }
      if (match) emit(opt, value);
      break;
    }
  }
  if (selector !== undefined) return selected;
  return out;
}

function getopt<E>(t: TransformerExpr, args: Operand<E>[], base: Base<E>, ctx: OperandContext<E>): Operand<E> {
  if (args.length !== 2) fail(`getopt() requires exactly 2 arguments: args list and optstring`, 'bad-transformer', t.pos, ctx.part);
  const [argv, optstr] = args as [Operand<E>, Operand<E>];
  if (!argv.list) fail(`getopt() first argument must be a list`, 'bad-transformer', t.pos, ctx.part);
  if (optstr.list) fail(`getopt() second argument (optstring) must be a single value`, 'bad-transformer', t.pos, ctx.part);
  if (argv.type !== 'CHARBUF' || optstr.type !== 'CHARBUF') fail(`getopt() arguments must be strings`, 'bad-transformer', t.pos, ctx.part);
  // `getopt(...)[t]`: one option's value instead of the list.
  const selector = t.arg;
  if (selector !== undefined && selector.length !== 1) fail(`getopt() field argument must be a single option character`, 'bad-transformer', t.pos, ctx.part);
  const constOpt = t.args[1]!.kind === 'value' ? parseOptstring((t.args[1] as ValueExpr).value) : undefined;
  const argvGet = argv.get;
  const optGet = optstr.get;
  const get: Getter<E> | undefined = argvGet && optGet ? (e) => {
    let info = constOpt;
    if (!info) {
      const o = optGet(e);
      if (o === undefined) return undefined;
      info = parseOptstring(valueText(o, 'CHARBUF'));
    }
    const v = argvGet(e);
    if (v === undefined) return undefined;
    const list = Array.isArray(v) ? (v as readonly Scalar[]).map(asString) : [asString(v as Scalar)];
    return runGetopt(list, info, selector);
  } : undefined;
  const text = selector === undefined ? base.text : `${base.text}[${selector}]`;
  return { ...base, text, get, type: 'CHARBUF', list: selector === undefined };
}
