// Rule exceptions, as Falco handles them: validated when collected (rule_loader_collector.cpp
// validate_exception_info), then turned into condition text appended to the rule's condition
// (rule_loader_compiler.cpp build_rule_exception_infos): `(cond) and not ((f1 = v1 and f2 = v2) or ...)`.
// Unlike Falco, a value can never change the condition's structure: each value's Falco rendering is
// kept only when, parsed on its own, it is exactly one literal (or one list, where Falco makes one);
// otherwise the value is written as one escaped quoted string.
import type { EventSource } from '../engine/event-source.js';
import { ItemError } from './diagnostics.js';
import type { ExceptionEntry, ExceptionInfo } from './items.js';
import { MappedText } from './mapped-text.js';
import { parseCondition } from '../condition/parse.js';
import type { SourceLocation } from '../condition/ast.js';

/** libsinsp's supported_operators(): what an exception's comps may name. */
const OPERATORS = new Set([
  'exists',
  '=',
  '==',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  'contains',
  'icontains',
  'bcontains',
  'glob',
  'iglob',
  'bstartswith',
  'startswith',
  'endswith',
  'regex',
  'in',
  'intersects',
  'pmatch',
]);
/** supported_operators(true): the operators taking a list. */
const LIST_OPERATORS = new Set(['in', 'intersects', 'pmatch']);

/** The string operators a list modifier may follow (libsinsp's s_binary_str_ops). */
const STRING_OPERATORS = new Set(['=', '==', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'regex']);

/** `startswith anyof`: a string operator with a list modifier (Falco 0.44 exception comps). */
function isModifiedComp(comp: string): boolean {
  const m = /^(\S+)\s+(oneof|anyof|allof)$/.exec(comp);
  return m !== null && STRING_OPERATORS.has(m[1]!);
}

/** Whether a comp takes a list of values: a list operator, or an operator with a modifier. */
const takesList = (comp: string): boolean => LIST_OPERATORS.has(comp) || isModifiedComp(comp);

function entry(item: string, location: SourceLocation): ExceptionEntry {
  return { list: false, item, items: [], location };
}

/** Whether `text` (`name` or `name[arg]`) names a field of the source. */
export function isFieldDefined(source: EventSource, text: string): boolean {
  const m = /^([^[\]]+?)(?:\[(.*)\])?$/s.exec(text);
  if (!m) return false;
  return source.fields.resolve(m[1]!, m[2]) !== undefined;
}

/** Checks fields/comps and fills in the default comps (`=` per field, or `in` for one field). */
export function validateException(source: EventSource | undefined, ex: ExceptionInfo): void {
  const fields = ex.fields!;
  if (fields.list) {
    if (!ex.comps || (ex.comps.list ? ex.comps.items.length === 0 : ex.comps.item === '')) {
      ex.comps = { list: true, item: '', items: fields.items.map(() => entry('=', ex.location)), location: ex.location };
    }
    if (fields.items.length !== ex.comps.items.length) {
      throw new ItemError('exception-invalid', 'Fields and comps lists must have equal length', ex.location);
    }
    for (const c of ex.comps.items) {
      if (!OPERATORS.has(c.item) && !isModifiedComp(c.item)) throw new ItemError('exception-invalid', `'${c.item}' is not a supported comparison operator`, c.location);
    }
    if (source) {
      for (const f of fields.items) {
        if (!isFieldDefined(source, f.item)) throw new ItemError('exception-invalid', `'${f.item}' is not a supported filter field`, f.location);
      }
    }
  } else {
    if (!ex.comps || (!ex.comps.list && ex.comps.item === '')) ex.comps = entry('in', ex.location);
    if (ex.comps.list) throw new ItemError('exception-invalid', 'Fields and comps must both be strings', ex.location);
    if (!takesList(ex.comps.item)) {
      throw new ItemError('exception-invalid', 'When fields is a single value, comps must be one of (in, pmatch, intersects)', ex.comps.location);
    }
    if (source && !isFieldDefined(source, fields.item)) {
      throw new ItemError('exception-invalid', `'${fields.item}' is not a supported filter field`, fields.location);
    }
  }
}

/** Falco's quote_item: an item with a space, not already quoted, gets double quotes. */
export function quoteItem(text: string): string {
  return text.includes(' ') && text[0] !== '"' && text[0] !== "'" ? `"${text}"` : text;
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\0': '\\x00' };

/** `text` as one double-quoted string literal, escaped so that the parser reads back exactly `text`. */
export function quoteLiteral(text: string): string {
  return `"${text.replace(/["\\\n\r\t\b\f\0]/g, (c) => ESCAPES[c]!)}"`;
}

/** Whether `condition` parses to one check whose right side is literals only (`items` of them in a list, if given). */
function parsesToLiterals(condition: string, list: boolean, items?: number): boolean {
  let expr;
  try {
    expr = parseCondition(condition);
  } catch {
    return false;
  }
  if (expr.kind !== 'binary') return false;
  const right = expr.right;
  if (!list) return right.kind === 'value';
  return right.kind === 'list' && (items === undefined || right.items.length === items);
}

/** How a value is rendered where it stands: one list item, a scalar operand, or a list operand. */
type ValueRole = 'item' | 'scalar' | 'list';

/** Falco's rendering of a value when it reads as one literal (or a list Falco wrote itself), else a quoted literal. */
function renderValue(value: string, role: ValueRole): string {
  if (role === 'item') {
    const text = quoteItem(value);
    return parsesToLiterals(`(a.b in (${text}))`, true, 1) ? text : quoteLiteral(value);
  }
  if (role === 'scalar') {
    const text = quoteItem(value);
    return parsesToLiterals(`(a.b = ${text})`, false) ? text : quoteLiteral(value);
  }
  // A value already in parens is Falco's way of writing a whole list; one without gets parens.
  const wrapped = value[0] !== '(';
  const text = wrapped ? `(${value})` : value;
  return parsesToLiterals(`(a.b in ${text})`, true, wrapped ? 1 : undefined) ? text : `(${quoteLiteral(value)})`;
}

/** Appends an entry's text with its place (the added quote or paren maps to the entry's start). */
function appendItem(out: MappedText, e: ExceptionEntry, role?: ValueRole): void {
  const text = role ? renderValue(e.item, role) : e.item;
  const lead = text.indexOf(e.item);
  if (lead < 0) {
    // Escaped: the characters no longer line up with the file's, so all of it maps to the value.
    out.append(text, e.location);
    return;
  }
  if (lead > 0) out.append(text.slice(0, lead), e.location);
  if (e.at) out.appendMapped(e.at);
  else out.append(e.item, e.location);
  if (lead + e.item.length < text.length) out.append(text.slice(lead + e.item.length), e.location);
}

/** The rule's condition with its exceptions, exactly as Falco composes the text. */
export function conditionWithExceptions(condition: MappedText, exceptions: readonly ExceptionInfo[], ruleAt: SourceLocation): MappedText {
  const out = new MappedText().append('(', ruleAt).appendMapped(condition).append(')', ruleAt);
  for (const ex of exceptions) {
    const at = ex.location;
    const fields = ex.fields!;
    const comps = ex.comps!;
    const icond = new MappedText();
    if (!fields.list) {
      for (const val of ex.values) {
        if (val.list) throw new ItemError('exception-invalid', 'Expected values array to contain a list of strings', val.location);
        if (icond.text === '') {
          icond.append('(', at);
          appendItem(icond, fields);
          icond.append(' ', at);
          appendItem(icond, comps);
          icond.append(' (', at);
        } else icond.append(', ', at);
        appendItem(icond, val, 'item');
      }
      if (icond.text !== '') icond.append('))', at);
    } else {
      icond.append('(', at);
      for (const values of ex.values) {
        if (fields.items.length !== values.items.length) {
          throw new ItemError('exception-invalid', 'Fields and values lists must have equal length', values.location);
        }
        if (icond.text !== '(') icond.append(' or ', at);
        icond.append('(', at);
        fields.items.forEach((field, k) => {
          if (k > 0) icond.append(' and ', at);
          const value = values.items[k]!;
          const comp = comps.items[k]!;
          icond.append(' ', at);
          appendItem(icond, field);
          icond.append(' ', at);
          appendItem(icond, comp);
          icond.append(' ', at);
          if (value.list) {
            icond.append('(', value.location);
            value.items.forEach((v, i) => {
              if (i > 0) icond.append(', ', value.location);
              appendItem(icond, v, 'item');
            });
            icond.append(')', value.location);
          } else appendItem(icond, value, takesList(comp.item) ? 'list' : 'scalar');
        });
        icond.append(')', at);
      }
      icond.append(')', at);
      if (icond.text === '()') continue;
    }
    if (icond.text !== '') out.append(' and not ', at).appendMapped(icond);
  }
  return out;
}
