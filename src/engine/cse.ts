// Common subexpressions of a plan's rules: structurally equal subtrees get one id, and the ones
// evaluated more than once get a memo slot; values several checks read get a value slot.
import type { Tree } from './codegen.js';

/** Hash-consing: structurally equal subtrees get the same id. */
export class Ids<E> {
  private readonly byKey = new Map<string, number>();
  private readonly byNode = new Map<Tree<E>, number>();

  of(t: Tree<E>): number {
    let id = this.byNode.get(t);
    if (id !== undefined) return id;
    let key: string;
    switch (t.kind) {
      case 'and':
      case 'or':
        key = `${t.kind === 'and' ? '&' : '|'}(${t.children.map((c) => this.of(c)).join(',')})`;
        break;
      case 'not':
        key = `!${this.of(t.child)}`;
        break;
      default:
        key = `L${t.key}`;
    }
    id = this.byKey.get(key);
    if (id === undefined) {
      id = this.byKey.size;
      this.byKey.set(key, id);
    }
    this.byNode.set(t, id);
    return id;
  }
}

export function children<E>(t: Tree<E>): readonly Tree<E>[] {
  return t.kind === 'and' || t.kind === 'or' ? t.children : t.kind === 'not' ? [t.child] : [];
}

/**
 * The subtrees worth a memo slot: those evaluated more than once when repeated occurrences are
 * read from their slot (an occurrence served from a slot does not evaluate its children).
 * `not` only flips its child's value: the child is what gets the slot.
 */
export function memoIds<E>(trees: readonly Tree<E>[], ids: Ids<E>): Set<number> {
  const total = new Map<number, number>();
  const count = (t: Tree<E>): void => {
    if (t.kind !== 'not') {
      const id = ids.of(t);
      total.set(id, (total.get(id) ?? 0) + 1);
    }
    for (const c of children(t)) count(c);
  };
  for (const t of trees) count(t);
  const uses = new Map<number, number>();
  const seen = new Set<number>();
  const visit = (t: Tree<E>): void => {
    if (t.kind !== 'not') {
      const id = ids.of(t);
      uses.set(id, (uses.get(id) ?? 0) + 1);
      if (total.get(id)! > 1) {
        if (seen.has(id)) return;
        seen.add(id);
      }
    }
    for (const c of children(t)) visit(c);
  };
  for (const t of trees) visit(t);
  const out = new Set<number>();
  for (const [id, n] of uses) if (n > 1) out.add(id);
  return out;
}

/** Fields (or transformed values) read by more than one distinct check: extracted once per event. */
export function valueSlots<E>(trees: readonly Tree<E>[]): Map<string, number> {
  const checks = new Map<string, Set<string>>();
  const visit = (t: Tree<E>): void => {
    switch (t.kind) {
      case 'and':
      case 'or':
        t.children.forEach(visit);
        return;
      case 'not':
        visit(t.child);
        return;
      case 'pred':
        return;
      default: {
        if (t.field === undefined) return;
        let keys = checks.get(t.field);
        if (!keys) checks.set(t.field, (keys = new Set()));
        keys.add(t.key);
      }
    }
  };
  trees.forEach(visit);
  const out = new Map<string, number>();
  for (const [field, keys] of checks) if (keys.size > 1) out.set(field, out.size);
  return out;
}
