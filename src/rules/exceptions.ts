// Rule exceptions, as Falco handles them: validated when collected (rule_loader_collector.cpp
// validate_exception_info), then turned into condition text appended to the rule's condition
// (rule_loader_compiler.cpp build_rule_exception_infos): `(cond) and not ((f1 = v1 and f2 = v2) or ...)`.
import type { EventSource } from '../engine/event-source.js';
import { ItemError } from './diagnostics.js';
import type { ExceptionEntry, ExceptionInfo } from './items.js';
import { MappedText } from './mapped-text.js';
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
      if (!OPERATORS.has(c.item)) throw new ItemError('exception-invalid', `'${c.item}' is not a supported comparison operator`, c.location);
    }
    if (source) {
      for (const f of fields.items) {
        if (!isFieldDefined(source, f.item)) throw new ItemError('exception-invalid', `'${f.item}' is not a supported filter field`, f.location);
      }
    }
  } else {
    if (!ex.comps || (!ex.comps.list && ex.comps.item === '')) ex.comps = entry('in', ex.location);
    if (ex.comps.list) throw new ItemError('exception-invalid', 'Fields and comps must both be strings', ex.location);
    if (!LIST_OPERATORS.has(ex.comps.item)) {
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

/** Appends an entry's text with its place (the added quote or paren maps to the entry's start). */
function appendItem(out: MappedText, e: ExceptionEntry, wrap: (s: string) => string): void {
  const text = wrap(e.item);
  const lead = text.indexOf(e.item);
  if (lead > 0) out.append(text.slice(0, lead), e.location);
  if (e.at) out.appendMapped(e.at);
  else out.append(e.item, e.location);
  if (lead + e.item.length < text.length) out.append(text.slice(lead + e.item.length), e.location);
}

const parenItem = (s: string) => (s[0] !== '(' ? `(${s})` : s);

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
          appendItem(icond, fields, (s) => s);
          icond.append(' ', at);
          appendItem(icond, comps, (s) => s);
          icond.append(' (', at);
        } else icond.append(', ', at);
        appendItem(icond, val, quoteItem);
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
          appendItem(icond, field, (s) => s);
          icond.append(' ', at);
          appendItem(icond, comp, (s) => s);
          icond.append(' ', at);
          if (value.list) {
            icond.append('(', value.location);
            value.items.forEach((v, i) => {
              if (i > 0) icond.append(', ', value.location);
              appendItem(icond, v, quoteItem);
            });
            icond.append(')', value.location);
          } else appendItem(icond, value, LIST_OPERATORS.has(comp.item) ? parenItem : quoteItem);
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
