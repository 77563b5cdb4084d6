// Folding a condition for one event type: plain `evt.type` checks are constant for events of
// that type (as the type index assumes, the field's value is the type's name).
import type { Tree } from './codegen.js';

type Folded<E> = Tree<E> | boolean;

/** The tree with plain `evt.type` checks replaced by their value for events named `name`. */
export function foldEventType<E>(t: Tree<E>, name: string): Folded<E> {
  switch (t.kind) {
    case 'and':
    case 'or': {
      const absorbing = t.kind === 'or';
      const kept: Tree<E>[] = [];
      let changed = false;
      for (const c of t.children) {
        const f = foldEventType(c, name);
        if (f === absorbing) return absorbing;
        if (f !== c) changed = true;
        if (typeof f !== 'boolean') kept.push(f);
      }
      if (!changed) return t;
      if (kept.length === 0) return !absorbing;
      return kept.length === 1 ? kept[0]! : { kind: t.kind, children: kept };
    }
    case 'not': {
      const c = foldEventType(t.child, name);
      if (typeof c === 'boolean') return !c;
      if (c === t.child) return t;
      return c.kind === 'not' ? c.child : { kind: 'not', child: c };
    }
    case 'exists':
      return t.typeField ? true : t;
    case 'scalar':
      return t.typeField ? t.test(name) : t;
    default:
      return t;
  }
}

/** The results of a tree's `evt.type` checks for `name`, as text: equal texts fold alike. */
export function typeSignature<E>(t: Tree<E>, name: string, out: string[]): void {
  switch (t.kind) {
    case 'and':
    case 'or':
      for (const c of t.children) typeSignature(c, name, out);
      return;
    case 'not':
      typeSignature(t.child, name, out);
      return;
    case 'exists':
    case 'scalar':
      if (t.typeField) out.push(t.kind === 'exists' || t.test(name) ? '1' : '0');
      return;
    default:
      return;
  }
}
