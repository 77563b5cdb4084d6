// Output templates, as libsinsp's sinsp_evt_formatter reads them: literal text and `%` tokens.
// A token is `%field`, `%field[arg]`, `%evt.arg.name` or a transformer such as
// `%tolower(proc.name)`, optionally preceded by a width (`%20proc.name`, padded or cut to 20).
// The field name is the longest prefix that names a field, so `%ka.target.name/%ka.target.resource`
// and `%proc.name.` work. A leading `*` (print even with missing values) is accepted and
// dropped: missing values always print as `<NA>`, as in Falco's alerts.
import type { FieldExpr, FieldOperand, Pos, TransformerExpr, TransformerName, ValueExpr } from '../condition/ast.js';
import type { EventSource } from './event-source.js';
import { CompileError } from './errors.js';
import { compileOperand, type Operand } from './operand.js';
import { valueJson, valueText, type OutputValue } from './values.js';

export interface OutputFormatter<E> {
  readonly template: string;
  /** output_fields keys, in template order, without duplicates. */
  readonly fieldKeys: readonly string[];
  /** The rendered message. */
  format(event: E): string;
  /** Each field of the template with its typed value (null when missing), keyed as written. */
  fields(event: E): Record<string, OutputValue>;
}

const FIELD_NAME = /[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+/y;
const TRANSFORMER = /(tolower|toupper|b64|basename|len|join|concat|getopt|val)\(/y;
const NUMBER = /[+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?/y;

export const NA = '<NA>';

function posAt(text: string, offset: number): Pos {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col, offset };
}

/** Reads one token at `start` (just after `%` and its width); the operand and where it ends. */
class TokenReader<E> {
  constructor(
    private readonly t: string,
    private readonly source: EventSource<E>,
  ) {}

  private err(msg: string, offset: number, code: 'bad-output' | 'unknown-field' = 'bad-output'): never {
    throw new CompileError(msg, code, posAt(this.t, offset), 'output');
  }

  private ctx() {
    return { source: this.source, forOutput: true, part: 'output' as const };
  }

  private blank(i: number): number {
    while (i < this.t.length && /\s/.test(this.t[i]!)) i++;
    return i;
  }

  /** A field or transformer at `i`, longest valid field name first. */
  operand(i: number): { ast: FieldOperand; end: number } {
    TRANSFORMER.lastIndex = i;
    const tm = TRANSFORMER.exec(this.t);
    if (tm) return this.transformer(tm[1]!, i, i + tm[0].length);
    FIELD_NAME.lastIndex = i;
    const fm = FIELD_NAME.exec(this.t);
    if (!fm) this.err(`invalid formatting token: expected a field name at '${this.t.slice(i, i + 20)}'`, i);
    const name = fm[0];
    const end = i + name.length;
    if (this.t[end] === '[') {
      const close = this.t.indexOf(']', end + 1);
      if (close > end) {
        let arg = this.t.slice(end + 1, close);
        if (/^(['"]).*\1$/s.test(arg)) arg = arg.slice(1, -1);
        if (this.source.fields.resolve(name, arg)) return { ast: this.field(name, arg, i), end: close + 1 };
      }
    }
    // The longest prefix of the name that is a field: `proc.name.` -> proc.name then ".".
    for (let k = name.length; k > 0; k--) {
      const sub = name.slice(0, k);
      FIELD_NAME.lastIndex = 0;
      const full = FIELD_NAME.exec(sub);
      if (!full || full[0].length !== sub.length) continue;
      if (this.source.fields.resolve(sub)) return { ast: this.field(sub, undefined, i), end: i + k };
    }
    return this.err(`unknown field '${name}' in output`, i, 'unknown-field');
  }

  private field(field: string, arg: string | undefined, offset: number): FieldExpr {
    const f: FieldExpr = { kind: 'field', field, pos: posAt(this.t, offset) };
    if (arg !== undefined) f.arg = arg;
    return f;
  }

  private transformer(name: string, start: number, i: number): { ast: FieldOperand; end: number } {
    const args: Array<FieldOperand | ValueExpr> = [];
    i = this.blank(i);
    if (this.t[i] !== ')') {
      for (;;) {
        i = this.blank(i);
        const a = this.arg(i);
        args.push(...a.items);
        i = this.blank(a.end);
        if (this.t[i] === ',') {
          i++;
          continue;
        }
        break;
      }
    }
    if (this.t[i] !== ')') this.err(`expected ')' to close ${name}(`, i);
    i++;
    const ast: TransformerExpr = { kind: 'transformer', name: name as TransformerName, args, pos: posAt(this.t, start) };
    if (name === 'getopt' && this.t[i] === '[') {
      const close = this.t.indexOf(']', i);
      if (close > i) {
        ast.arg = this.t.slice(i + 1, close);
        i = close + 1;
      }
    }
    return { ast, end: i };
  }

  /** A transformer argument: field, transformer, quoted string, number, or `(a, b)` list. */
  private arg(i: number): { items: Array<FieldOperand | ValueExpr>; end: number } {
    const c = this.t[i];
    if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < this.t.length && this.t[j] !== c) {
        if (this.t[j] === '\\' && j + 1 < this.t.length) j++;
        value += this.t[j];
        j++;
      }
      if (j >= this.t.length) this.err('unterminated string in output', i);
      return { items: [{ kind: 'value', value, quoted: true, pos: posAt(this.t, i) }], end: j + 1 };
    }
    if (c === '(') {
      const items: Array<FieldOperand | ValueExpr> = [];
      let j = this.blank(i + 1);
      while (this.t[j] !== ')') {
        const a = this.arg(j);
        items.push(...a.items);
        j = this.blank(a.end);
        if (this.t[j] === ',') j = this.blank(j + 1);
        else if (this.t[j] !== ')') this.err(`expected ',' or ')' in transformer list`, j);
      }
      return { items, end: j + 1 };
    }
    NUMBER.lastIndex = i;
    const nm = NUMBER.exec(this.t);
    if (nm) return { items: [{ kind: 'value', value: nm[0], quoted: false, pos: posAt(this.t, i) }], end: i + nm[0].length };
    const o = this.operand(i);
    return { items: [o.ast], end: o.end };
  }

  compile(ast: FieldOperand): Operand<E> {
    return compileOperand(ast, this.ctx());
  }
}

type Part<E> = string | { op: Operand<E>; width: number };

function pad(s: string, width: number): string {
  return s.length >= width ? s.slice(0, width) : s + ' '.repeat(width - s.length);
}

export function compileOutput<E>(template: string, source: EventSource<E>): OutputFormatter<E> {
  if (template === '') throw new CompileError('empty formatting token', 'bad-output', posAt(template, 0), 'output');
  const t = template.startsWith('*') ? template.slice(1) : template;
  const shift = template.length - t.length;
  const reader = new TokenReader(t, source);
  const parts: Part<E>[] = [];
  const keyed = new Map<string, Operand<E>>();
  let lit = '';
  for (let i = 0; i < t.length; ) {
    if (t[i] !== '%') {
      lit += t[i];
      i++;
      continue;
    }
    if (i === t.length - 1) throw new CompileError('invalid formatting syntax: formatting cannot end with a %', 'bad-output', posAt(template, i + shift), 'output');
    let j = i + 1;
    let width = 0;
    while (j < t.length && t[j]! >= '0' && t[j]! <= '9') width = width * 10 + Number(t[j++]);
    if (j >= t.length) throw new CompileError('invalid formatting syntax: formatting cannot end with a number', 'bad-output', posAt(template, j + shift), 'output');
    let tok: { ast: FieldOperand; end: number };
    let op: Operand<E>;
    try {
      tok = reader.operand(j);
      op = reader.compile(tok.ast);
    } catch (e) {
      if (e instanceof CompileError) {
        const p = e.pos ?? posAt(t, j);
        throw new CompileError(e.message, e.code, posAt(template, p.offset + shift), 'output');
      }
      throw e;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push({ op, width });
    for (const f of op.fields) if (!keyed.has(f.text)) keyed.set(f.text, f.operand);
    i = tok.end;
  }
  if (lit) parts.push(lit);
  const keys = [...keyed.keys()];
  const ops = [...keyed.values()];
  return {
    template,
    fieldKeys: keys,
    format(event: E): string {
      let out = '';
      for (const p of parts) {
        if (typeof p === 'string') {
          out += p;
          continue;
        }
        const v = p.op.get?.(event);
        const s = v === undefined ? NA : valueText(v, p.op.type);
        out += p.width ? pad(s, p.width) : s;
      }
      return out;
    },
    fields(event: E): Record<string, OutputValue> {
      const out: Record<string, OutputValue> = {};
      for (let k = 0; k < keys.length; k++) out[keys[k]!] = valueJson(ops[k]!.get?.(event), ops[k]!.type);
      return out;
    },
  };
}
