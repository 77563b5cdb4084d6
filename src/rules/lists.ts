// Lists, resolved the way Falco's textual substitution resolves them (rule_loader_compiler.cpp
// compile_list_infos + resolve_list):
// - a list's items that name a list defined before it are replaced by that list's items as
//   written (one level);
// - in a condition, an unquoted value inside `( ... )`, or alone after a list modifier or a list
//   operator (`startswith anyof my_list`, `in my_list`), that names a list is replaced by the
//   list's items; among those, a name of a list defined *after* that list is replaced in turn
//   (Falco substitutes lists into the text in definition order);
// - any other name stays a literal string, and a quoted value never names a list.
import type { BinaryCheckExpr, Expr, ListExpr, ValueExpr } from '../condition/ast.js';
import { annotate } from './annotate.js';
import { ItemError, type DiagnosticSink } from './diagnostics.js';
import { DEFAULT_RULES_LIMITS, LIMIT_KEYS } from './limits.js';
import { quoteItem } from './exceptions.js';
import type { ListInfo, ListItemText } from './items.js';
import { MappedText } from './mapped-text.js';
import { parseCondition, ConditionSyntaxError } from '../condition/parse.js';

/** A reference to a list that could not be used, for the caller to report. */
export interface ListProblem {
  name: string;
  value: ValueExpr;
}

export class ListTable {
  /** Names of lists referred to by a condition or by another list (Falco's `used`). */
  readonly used = new Set<string>();
  private readonly flat = new Map<string, ListItemText[]>();
  private readonly values = new Map<string, ValueExpr[] | null>();
  private readonly expanded = new Map<string, ValueExpr[] | null>();

  constructor(
    private readonly lists: ReadonlyMap<string, ListInfo>,
    private readonly sink: DiagnosticSink,
    /** Most items a list, or one `( ... )` of a condition, may hold once expanded (limits.ts). */
    private readonly maxItems = DEFAULT_RULES_LIMITS.maxListItems,
  ) {
    for (const list of lists.values()) {
      const items: ListItemText[] = [];
      for (const item of list.items) {
        const ref = lists.get(item.text);
        if (ref && ref.index < list.visibility) {
          this.used.add(ref.name);
          for (const r of ref.items) items.push(r);
        } else items.push(item);
        if (items.length > maxItems) break;
      }
      this.flat.set(list.name, items);
      if (items.length > maxItems) {
        this.tooMany(list.name);
        this.values.set(list.name, null); // unusable: its uses report it
      }
    }
  }

  private tooMany(name: string): void {
    const info = this.lists.get(name)!;
    this.sink.error('list-too-large', `list has more than ${this.maxItems} items once the lists it names are expanded (${LIMIT_KEYS.maxListItems})`, info.location, { type: 'list', name });
  }

  /**
   * The condition with list names inside value lists replaced by the lists' items. Returns the
   * same object when nothing changed; unusable lists are reported through `problems`.
   */
  expand(expr: Expr, problems: ListProblem[]): Expr {
    switch (expr.kind) {
      case 'and':
      case 'or': {
        let changed = false;
        const children = expr.children.map((c) => {
          const n = this.expand(c, problems);
          if (n !== c) changed = true;
          return n;
        });
        return changed ? { ...expr, children } : expr;
      }
      case 'not': {
        const child = this.expand(expr.child, problems);
        return child !== expr.child ? { ...expr, child } : expr;
      }
      case 'binary': {
        const named = this.namedList(expr);
        if (named) return { ...expr, right: this.expandList(named, problems) };
        if (expr.right.kind !== 'list') return expr;
        const right = this.expandList(expr.right, problems);
        return right !== expr.right ? { ...expr, right } : expr;
      }
      default:
        return expr;
    }
  }

  /**
   * `proc.name startswith oneof my_list`, `proc.name in my_list`: where a list is expected (after a
   * modifier or a list operator), a bare list name stands for `(my_list)`, as Falco's textual
   * substitution makes it.
   */
  private namedList(expr: BinaryCheckExpr): ListExpr | undefined {
    const r = expr.right;
    if (r.kind !== 'value' || r.quoted || !this.lists.has(r.value)) return undefined;
    if (!expr.modifier && expr.op !== 'in' && expr.op !== 'intersects' && expr.op !== 'pmatch') return undefined;
    return { kind: 'list', items: [r], pos: r.pos };
  }

  private expandList(list: ListExpr, problems: ListProblem[]): ListExpr {
    if (!list.items.some((v) => !v.quoted && this.lists.has(v.value))) return list;
    const items: ValueExpr[] = [];
    for (const v of list.items) {
      if (v.quoted || !this.lists.has(v.value)) {
        items.push(v);
        continue;
      }
      this.used.add(v.value);
      const vals = this.expandedValues(v.value);
      if (vals) for (const x of vals) items.push(x);
      else problems.push({ name: v.value, value: v });
      if (items.length > this.maxItems) {
        const at = list.pos.at ?? v.pos.at;
        throw new ItemError('list-too-large', `more than ${this.maxItems} values in one list once its lists are expanded (${LIMIT_KEYS.maxListItems})`, at);
      }
    }
    return { ...list, items };
  }

  private expandedValues(name: string): ValueExpr[] | null {
    let out = this.expanded.get(name);
    if (out !== undefined) return out;
    const own = this.parsedValues(name);
    if (own === null) out = null;
    else {
      const index = this.lists.get(name)!.index;
      out = [];
      for (const v of own) {
        const later = v.quoted ? undefined : this.lists.get(v.value);
        if (later && later.index > index) {
          this.used.add(later.name);
          const sub = this.expandedValues(later.name);
          if (sub === null) {
            out = null;
            break;
          }
          for (const x of sub) out.push(x);
        } else out.push(v);
        // lists naming later lists twice can double at each step: bounded here
        if (out.length > this.maxItems) {
          this.tooMany(name);
          out = null;
          break;
        }
      }
    }
    this.expanded.set(name, out);
    return out;
  }

  /** The list's items as values, parsed exactly as they read once substituted into a condition. */
  private parsedValues(name: string): ValueExpr[] | null {
    let out = this.values.get(name);
    if (out !== undefined) return out;
    const info = this.lists.get(name)!;
    const simple = simpleValues(this.flat.get(name)!);
    if (simple) {
      this.values.set(name, simple);
      return simple;
    }
    const text = new MappedText().append('evt.type in (', info.location);
    this.flat.get(name)!.forEach((item, i) => {
      if (i > 0) text.append(', ', info.location);
      const quoted = quoteItem(item.text);
      if (quoted !== item.text) text.append('"', item.location).appendMapped(item.at).append('"', item.location);
      else text.appendMapped(item.at);
    });
    text.append(')', info.location);
    out = null;
    try {
      const expr = parseCondition(text.text);
      if (expr.kind === 'binary' && expr.right.kind === 'list') {
        annotate(expr.right, text);
        out = expr.right.items;
      } else {
        this.sink.error('list-item-syntax', `List items do not read as a list of values: ${text.text}`, info.location, { type: 'list', name });
      }
    } catch (e) {
      if (!(e instanceof ConditionSyntaxError)) throw e;
      const at = text.locate(e.offset) ?? info.location;
      this.sink.error('list-item-syntax', `List items do not read as a list of values: ${e.reason}`, at, { type: 'list', name });
    }
    this.values.set(name, out);
    return out;
  }
}

/** What the grammar reads as one bare value (BareString). */
const BARE = /^[^()"' \t\n\r\v\f=,]+$/;
/** A quoted string the grammar reads verbatim: no escapes, no inner quote. */
const PLAIN_QUOTED = /^(?:"[^"\\]*"|'[^'\\]*')$/;

/**
 * Most list items are plain words or simple quoted strings: their values are known without
 * running the grammar. Returns undefined when any item needs the grammar.
 */
function simpleValues(items: readonly ListItemText[]): ValueExpr[] | undefined {
  const out: ValueExpr[] = [];
  for (const item of items) {
    const text = quoteItem(item.text);
    let v: ValueExpr;
    if (text === item.text && BARE.test(text)) v = { kind: 'value', value: text, quoted: false, pos: itemPos(item) };
    else if (PLAIN_QUOTED.test(text)) v = { kind: 'value', value: text.slice(1, -1), quoted: true, pos: itemPos(item) };
    else return undefined;
    out.push(v);
  }
  return out;
}

function itemPos(item: ListItemText) {
  return { line: 1, column: 1, offset: 0, at: item.location };
}
