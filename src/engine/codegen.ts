// Turns a compiled condition tree into one JavaScript function per rule. A chain of shared closures
// makes every call site megamorphic (all rules run through the same closure code); a function of
// its own per rule keeps them monomorphic, which measured about 4x faster on the benchmark.
//
// Injection safety: the generated source is made only of fixed templates, a closed set of
// operators, and generated parameter names (k0, k1, ...). Everything that comes from a rule --
// strings, numbers, sets, regexes, extractors, tests -- is passed in as a parameter value, never
// written into the source text.
import type { Scalar } from '../fields/types.js';
import type { Getter } from './operand.js';
import type { Test } from './compare.js';

export type Predicate<E> = (event: E) => boolean;

/** A comparison simple enough to inline: `v OP k`, `v.method(k)` or `k.has(v)`. */
export type Fast =
  | { op: '===' | '!==' | '==' | '!=' | '<' | '<=' | '>' | '>='; k: unknown }
  | { method: 'includes' | 'startsWith' | 'endsWith'; k: string }
  | { has: ReadonlySet<unknown> };

export type Leaf<E> = (
  /** `field exists` */
  | { kind: 'exists'; get: Getter<E> }
  /** A single-valued field: `test` per value; several candidates pass if any does (none equal for `!=`). */
  | { kind: 'scalar'; get: Getter<E>; test: Test; ne: boolean; fast?: Fast }
  /** A list field: `in` needs every element to pass, `intersects` one. */
  | { kind: 'list'; get: Getter<E>; test: Test; all: boolean }
  /** Anything else, already a predicate (right-hand field comparisons). */
  | { kind: 'pred'; pred: Predicate<E> }
) & {
  /** The check's identity (key.ts): equal keys give equal results on one event. */
  key: string;
  /** The identity of the value the check reads (key.ts operandKey), for checks on one field or transformer. */
  field?: string;
  /** A plain `evt.type` check, constant for events of one type. */
  typeField?: boolean;
};

export type Tree<E> = { kind: 'and' | 'or'; children: Tree<E>[] } | { kind: 'not'; child: Tree<E> } | Leaf<E>;

const BINARY_OPS = new Set(['===', '!==', '==', '!=', '<', '<=', '>', '>=']);
const METHODS = new Set(['includes', 'startsWith', 'endsWith']);

function some(v: readonly Scalar[], t: Test): boolean {
  for (let i = 0; i < v.length; i++) if (t(v[i]!)) return true;
  return false;
}

function every(v: readonly Scalar[], t: Test): boolean {
  for (let i = 0; i < v.length; i++) if (!t(v[i]!)) return false;
  return true;
}

/** Several candidate values for a single-valued field (ancestors, endpoints). */
function candidates(test: Test, ne: boolean): (v: readonly Scalar[]) => boolean {
  return ne ? (v) => v.length > 0 && every(v, test) : (v) => some(v, test);
}

function listOf(test: Test, all: boolean): (v: unknown) => boolean {
  return (v) => (Array.isArray(v) ? (all ? every(v, test) : some(v, test)) : test(v as Scalar));
}

/**
 * Values passed as named parameters; the ones after these go in one array parameter `K`. A
 * function's parameters are pushed on the stack when it is called with spread arguments, so a
 * condition with 100,000 checks would overflow it: bounded by passing the rest in an array.
 */
const NAMED_PARAMS = 4096;

/** Writes the JavaScript of condition trees; every rule-derived value becomes a parameter. */
class Emitter<E> {
  readonly names: string[] = [];
  readonly values: unknown[] = [];
  /** Values beyond NAMED_PARAMS, read as K[i]. */
  readonly rest: unknown[] = [];

  constructor(
    private readonly memo?: (node: Tree<E>, inner: () => string) => string | undefined,
    /** A local holding the value a leaf reads, when the value is kept for other leaves. */
    private readonly valueVar?: (leaf: Leaf<E>) => string | undefined,
  ) {}

  /** The expression that extracts a leaf's value (from its local when it has one). */
  private value(t: Leaf<E> & { get: Getter<E> }): string {
    const f = this.valueVar?.(t);
    const get = `${this.param(t.get)}(e)`;
    return f === undefined ? get : `(${f} === U ? (${f} = ${get}) : ${f})`;
  }

  param(value: unknown): string {
    if (this.names.length >= NAMED_PARAMS) {
      this.rest.push(value);
      return `K[${this.rest.length - 1}]`;
    }
    const name = `k${this.names.length}`;
    this.names.push(name);
    this.values.push(value);
    return name;
  }

  private fast(f: Fast): string {
    if ('has' in f) return `${this.param(f.has)}.has(v)`;
    if ('method' in f) {
      if (!METHODS.has(f.method)) throw new Error(`codegen: unexpected method ${f.method}`);
      return `v.${f.method}(${this.param(f.k)})`;
    }
    if (!BINARY_OPS.has(f.op)) throw new Error(`codegen: unexpected operator ${f.op}`);
    return `v ${f.op} ${this.param(f.k)}`;
  }

  private plain(t: Tree<E>): string {
    switch (t.kind) {
      case 'and':
      case 'or':
        return `(${t.children.map((c) => this.expr(c)).join(t.kind === 'and' ? ' && ' : ' || ')})`;
      case 'not':
        return `!${this.expr(t.child)}`;
      case 'exists':
        return `(${this.value(t)} !== undefined)`;
      case 'pred':
        return `${this.param(t.pred)}(e)`;
      case 'list':
        return `((v = ${this.value(t)}) !== undefined && ${this.param(listOf(t.test, t.all))}(v))`;
      case 'scalar': {
        const one = t.fast ? this.fast(t.fast) : `${this.param(t.test)}(v)`;
        return `((v = ${this.value(t)}) !== undefined && (Array.isArray(v) ? ${this.param(candidates(t.test, t.ne))}(v) : ${one}))`;
      }
    }
  }

  expr(t: Tree<E>): string {
    return this.memo?.(t, () => this.plain(t)) ?? this.plain(t);
  }
}

export function generate<E>(tree: Tree<E>): Predicate<E> {
  const em = new Emitter<E>();
  const body = em.expr(tree);
  const factory = new Function(...em.names, 'K', `"use strict"; return function condition(e) { let v; return ${body}; };`);
  return factory(...em.values, em.rest) as Predicate<E>;
}

/**
 * A chunk of a plan's rules in one function (plan.ts): `chunk(e, from, q, q1)` is the index of the
 * first of its rules at or after `from` (one of its rules) whose condition holds, or -1.
 * - A subtree with a local memo slot is computed at most once per call: m<i> is 0 until computed,
 *   then 1 (true) or 2 (false). Locals: nothing outlives the call.
 * - A subtree the plan's other chunks also use has a shared slot in M (Int32Array), stamped with
 *   the evaluation's stamp q (even, new for every event): M[i] === q + 1 is true for this event,
 *   M[i] === q false, anything else not computed yet. A slot is written only after its subtree
 *   returned, so a throwing subtree leaves nothing behind.
 * - A value several checks read is extracted at most once per call: f<i> holds it (U before).
 * `W[0]` holds the index of the rule being evaluated (for the caller to name the rule when a
 * condition throws).
 */
export type ChunkFunction<E> = (event: E, from: number, q: number, q1: number) => number;

export interface ChunkSlots<E> {
  /** Where a subtree's result is kept, if it is: a local slot (0..locals-1) or a shared one (index in M). */
  memoOf: (node: Tree<E>) => { local: number } | { shared: number } | undefined;
  locals: number;
  /** The value slot of a leaf, if its value is kept (0..values-1). */
  valueOf: (leaf: Leaf<E>) => number | undefined;
  values: number;
}

/** Not extracted yet (a value slot's content before its first use). */
const UNSET = Object.freeze({});

function slotIndex(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0) throw new Error(`codegen: bad slot ${slot}`);
  return slot;
}

/** The rules' code, as a chunk function would hold it (for sizing chunks). */
export function conditionCode<E>(cond: Tree<E> | Predicate<E>, slots: ChunkSlots<E>): string {
  return chunkEmitter(slots).rule(cond);
}

function chunkEmitter<E>(slots: ChunkSlots<E>): Emitter<E> & { rule(c: Tree<E> | Predicate<E>): string } {
  const em = new Emitter<E>(
    (node, inner) => {
      const where = slots.memoOf(node);
      if (where === undefined) return undefined;
      if ('local' in where) {
        const m = `m${slotIndex(where.local)}`;
        return `(${m} === 0 ? (${m} = ${inner()} ? 1 : 2) === 1 : ${m} === 1)`;
      }
      const i = slotIndex(where.shared);
      return `((t = M[${i}]) === q1 || (t !== q && (M[${i}] = ${inner()} ? q1 : q) === q1))`;
    },
    (leaf) => {
      const slot = slots.valueOf(leaf);
      return slot === undefined ? undefined : `f${slotIndex(slot)}`;
    },
  );
  return Object.assign(em, { rule: (c: Tree<E> | Predicate<E>) => (typeof c === 'function' ? `${em.param(c)}(e)` : em.expr(c)) });
}

export function generateChunk<E>(
  rules: ReadonlyArray<{ index: number; cond: Tree<E> | Predicate<E> }>,
  slots: ChunkSlots<E>,
  at: Int32Array,
  memo: Int32Array,
): ChunkFunction<E> {
  const em = chunkEmitter(slots);
  const cases = rules.map(({ index, cond }) => {
    const i = slotIndex(index);
    return `case ${i}: W[0] = ${i}; if (${em.rule(cond)}) return ${i};`;
  });
  const locals = [
    ...Array.from({ length: slots.locals }, (_, i) => `m${i} = 0`),
    ...Array.from({ length: slots.values }, (_, i) => `f${i} = U`),
  ];
  const body = `let v, t${locals.map((l) => ', ' + l).join('')}; switch (from) { ${cases.join(' ')} } return -1;`;
  const factory = new Function('W', 'M', 'U', ...em.names, 'K', `"use strict"; return function chunk(e, from, q, q1) { ${body} };`);
  return factory(at, memo, UNSET, ...em.values, em.rest) as ChunkFunction<E>;
}
