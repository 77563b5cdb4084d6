// Per-type evaluation plans. The upstream rules inline the same macros (open_read, spawned_process,
// container, ...) in many rules; a plan evaluates each repeated subtree at most once per event.
//
// For the rules of one event type (in load order), a plan:
// - folds the plain `evt.type` checks, constant for that type (as the type index assumes, the
//   field's value is the type's name), and drops the rules that fold to false;
// - gives every subtree that occurs more than once among those rules (same check keys, same
//   shape) a memo slot, so its value is computed by the first rule that needs it and read by the
//   others while the same event is evaluated; a value several checks read is extracted once;
// - generates the rules' code (codegen.ts generateChunk) in chunks small enough for V8 to
//   optimize, memo slots as locals within a chunk and stamped slots between chunks.
// Evaluation order, short-circuits and results are those of the rules' own predicates: a subtree
// is pure (extractors and tests only read the event), so computing it once gives the value every
// other occurrence would have computed. Nothing is kept from one event to the next.
import { conditionCode, generateChunk, type ChunkFunction, type ChunkSlots, type Predicate, type Tree } from './codegen.js';
import type { CompiledRule } from './ruleset.js';
import { children, Ids, memoIds, valueSlots } from './cse.js';
import { foldEventType, typeSignature } from './fold.js';
import type { AnyEvent } from '../fields/types.js';

/** The condition tree behind each predicate compileCondition generated (absent: a custom or constant predicate). */
export const conditionTrees = new WeakMap<Predicate<AnyEvent>, Tree<AnyEvent>>();

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
