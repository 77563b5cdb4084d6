// Per-type evaluation plans. The upstream rules inline the same macros (open_read, spawned_process,
// container, ...) in many rules; a plan evaluates each repeated subtree at most once per event.
//
// For the rules of one event type (in load order), a plan:
// - folds the plain `evt.type` checks, constant for that type (as the type index assumes, the
//   field's value is the type's name), and drops the rules that fold to false;
// - gives every subtree that occurs more than once among those rules (same check keys, same
//   shape) a memo slot, so its value is computed by the first rule that needs it and read by the
//   others while the same event is evaluated;
// - generates one predicate per rule (codegen.ts) that reads and fills the slots.
// Evaluation order, short-circuits and results are those of the rules' own predicates: a subtree
// is pure (extractors and tests only read the event), so computing it once gives the value every
// other occurrence would have computed.
import { conditionCode, generateChunk, type ChunkFunction, type ChunkSlots, type Predicate, type Tree } from './codegen.js';
import type { CompiledRule } from './ruleset.js';

/** The condition tree behind each predicate compileCondition generated (absent: a custom or constant predicate). */
export const conditionTrees = new WeakMap<Predicate<any>, Tree<any>>();

export interface Plan<E> {
  /** The rules that can match, in load order. */
  readonly rules: readonly CompiledRule<E>[];
  /** The rules' conditions in functions of a size V8 optimizes (codegen.ts generateChunk). */
  readonly chunks: readonly ChunkFunction<E>[];
  /** The index in `rules` of each chunk's first rule. */
  readonly starts: readonly number[];
  /** at[0]: the index of the rule last evaluated, to name the rule when a condition throws. */
  readonly at: Int32Array;
  /** Memo slots of the subtrees several chunks use (stamped with the evaluation's stamp). */
  readonly memo: Int32Array;
}

/**
 * The index of the first rule at or after `from` whose condition holds for `e`, or -1. `q` is
 * the evaluation's stamp (even; a new one per event), `q1` is q + 1.
 */
export function runPlan<E>(plan: Plan<E>, e: E, from: number, q: number, q1: number): number {
  const { chunks, starts } = plan;
  let c = 0;
  while (c + 1 < chunks.length && starts[c + 1]! <= from) c++;
  for (; c < chunks.length; c++) {
    const lo = starts[c]!;
    const r = chunks[c]!(e, from > lo ? from : lo, q, q1);
    if (r >= 0) return r;
  }
  return -1;
}

/**
 * Code per chunk, in characters of generated source: well below what V8 still optimizes (60 KiB
 * of bytecode, about 70,000 characters of this code). A function over it would run unoptimized.
 */
const CHUNK_CHARS = 30_000;

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
function typeSignature<E>(t: Tree<E>, name: string, out: string[]): void {
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

/** Hash-consing: structurally equal subtrees get the same id. */
class Ids<E> {
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

function children<E>(t: Tree<E>): readonly Tree<E>[] {
  return t.kind === 'and' || t.kind === 'or' ? t.children : t.kind === 'not' ? [t.child] : [];
}

/**
 * The subtrees worth a memo slot: those evaluated more than once when repeated occurrences are
 * read from their slot (an occurrence served from a slot does not evaluate its children).
 * `not` only flips its child's value: the child is what gets the slot.
 */
function memoIds<E>(trees: readonly Tree<E>[], ids: Ids<E>): Set<number> {
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
function valueSlots<E>(trees: readonly Tree<E>[]): Map<string, number> {
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

const TRUE: Predicate<unknown> = () => true;

/** The plan for the rules of one event type named `typeName` (undefined: types outside the table). */
export function buildPlan<E>(rules: readonly CompiledRule<E>[], typeName: string | undefined): Plan<E> {
  const kept: CompiledRule<E>[] = [];
  const conditions: Array<Tree<E> | Predicate<E>> = [];
  for (const r of rules) {
    const tree = conditionTrees.get(r.predicate);
    // a predicate made elsewhere (a constant, a wrapper) is called as it is
    const f = tree === undefined ? r.predicate : typeName === undefined ? tree : foldEventType(tree, typeName);
    if (f === false) continue;
    kept.push(r);
    conditions.push(f === true ? (TRUE as Predicate<E>) : f);
  }
  const ids = new Ids<E>();
  const memoed = memoIds(
    conditions.filter((c): c is Tree<E> => typeof c !== 'function'),
    ids,
  );

  // chunks: consecutive rules, as many as fit the size (sized with every memo slot local)
  const probe: ChunkSlots<E> = { memoOf: (t) => (memoed.has(ids.of(t)) ? { local: 0 } : undefined), locals: 0, valueOf: () => undefined, values: 0 };
  const groups: number[][] = [];
  let size = 0;
  conditions.forEach((c, i) => {
    const n = conditionCode(c, probe).length;
    if (groups.length === 0 || (size + n > CHUNK_CHARS && size > 0)) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1]!.push(i);
    size += n;
  });

  // a memoised subtree used by one chunk is a local there; used by several, a shared slot
  const chunksOf = new Map<number, Set<number>>();
  groups.forEach((g, k) => {
    const visit = (t: Tree<E>): void => {
      const id = ids.of(t);
      if (memoed.has(id)) {
        let set = chunksOf.get(id);
        if (!set) chunksOf.set(id, (set = new Set()));
        set.add(k);
      }
      for (const c of children(t)) visit(c);
    };
    for (const i of g) {
      const c = conditions[i]!;
      if (typeof c !== 'function') visit(c);
    }
  });
  const shared = new Map<number, number>();
  for (const [id, set] of chunksOf) if (set.size > 1) shared.set(id, shared.size);
  const memo = new Int32Array(shared.size);
  const at = new Int32Array(1);

  const chunks = groups.map((g, k) => {
    const local = new Map<number, number>();
    for (const [id, set] of chunksOf) if (set.size === 1 && set.has(k)) local.set(id, local.size);
    const trees = g.map((i) => conditions[i]!).filter((c): c is Tree<E> => typeof c !== 'function');
    const values = valueSlots(trees);
    const slots: ChunkSlots<E> = {
      memoOf: (t) => {
        const id = ids.of(t);
        const l = local.get(id);
        if (l !== undefined) return { local: l };
        const sh = shared.get(id);
        return sh === undefined ? undefined : { shared: sh };
      },
      locals: local.size,
      valueOf: (leaf) => (leaf.field === undefined ? undefined : values.get(leaf.field)),
      values: values.size,
    };
    return generateChunk(
      g.map((i) => ({ index: i, cond: conditions[i]! })),
      slots,
      at,
      memo,
    );
  });
  return { rules: kept, chunks, starts: groups.map((g) => g[0]!), at, memo };
}

/**
 * The plans of every type code (rules per code as the type index lists them), plans of codes
 * whose rules fold alike shared, and the plan for codes outside the table.
 */
export function buildPlans<E>(
  byCode: ReadonlyArray<readonly CompiledRule<E>[]>,
  names: readonly string[],
  anyType: readonly CompiledRule<E>[],
): { byCode: Plan<E>[]; anyType: Plan<E> } {
  const index = new Map<CompiledRule<E>, number>();
  const shared = new Map<string, Plan<E>>();
  const plans = byCode.map((rules, code) => {
    const name = names[code]!;
    const sig: string[] = [];
    for (const r of rules) {
      if (!index.has(r)) index.set(r, index.size);
      sig.push(`|${index.get(r)}:`);
      const tree = conditionTrees.get(r.predicate);
      if (tree) typeSignature(tree, name, sig);
    }
    const key = sig.join('');
    let plan = shared.get(key);
    if (!plan) {
      plan = buildPlan(rules, name);
      shared.set(key, plan);
    }
    return plan;
  });
  return { byCode: plans, anyType: buildPlan(anyType, undefined) };
}
