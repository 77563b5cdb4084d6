// Bounds on what the rules loader accepts, so that any rules input ends, in bounded time and
// memory, either loaded or with an error at a file:line:col. Falco has no such limits (its
// loader, like Kestrel's before these, could be made to exhaust the stack or the heap); the
// defaults sit far above anything real rules use (the upstream rules files are under 100 KB (20x under the file limit),
// their largest condition expands to a few hundred nodes) and are configurable in the agent
// config (`rules_limits`).
import type { Expr, Pos } from '../condition/ast.js';

export interface RulesLimits {
  /** Largest rules file read, in bytes. The YAML parser needs about 2 s and 200 MB per MB of list items. */
  maxFileBytes: number;
  /** Longest condition text (of a rule or a macro, exceptions included), in bytes. */
  maxConditionBytes: number;
  /** Most items a list holds once the lists it names are expanded, and most values in one `( ... )`. */
  maxListItems: number;
  /** Deepest nesting of and/or/not in a rule's condition once macros are inlined. */
  maxConditionDepth: number;
  /** Most nodes (operators, checks and their values) in a rule's condition once macros and lists are expanded. */
  maxConditionNodes: number;
}

export const DEFAULT_RULES_LIMITS: Readonly<RulesLimits> = Object.freeze({
  maxFileBytes: 2 * 1024 * 1024,
  maxConditionBytes: 256 * 1024,
  maxListItems: 100_000,
  maxConditionDepth: 1000,
  maxConditionNodes: 200_000,
});

/** The config key of each limit (agent config `rules_limits.<key>`), for messages. */
export const LIMIT_KEYS: Readonly<Record<keyof RulesLimits, string>> = Object.freeze({
  maxFileBytes: 'rules_limits.max_file_bytes',
  maxConditionBytes: 'rules_limits.max_condition_bytes',
  maxListItems: 'rules_limits.max_list_items',
  maxConditionDepth: 'rules_limits.max_condition_depth',
  maxConditionNodes: 'rules_limits.max_condition_nodes',
});

/** The error for a condition that still overflowed the stack (limits raised past what it holds). */
export const STACK_EXHAUSTED = `condition is too deeply nested to compile (the stack ran out); lower ${LIMIT_KEYS.maxConditionDepth}`;

export interface SizeProblem {
  message: string;
  /** The node where the limit is passed. */
  pos: Pos;
}

interface Measure {
  /** and/or/not levels above a check, the node included. */
  depth: number;
  /** Nodes of the expanded tree, a subtree used twice counted twice. */
  nodes: number;
}

/**
 * Measures expanded conditions. Macro inlining shares one subtree among all its uses, so a
 * condition is a graph whose expanded tree can be exponentially larger (`(m or m)` nested 40
 * times is 2^40 nodes): each shared subtree is measured once (memoised across the rules of a
 * load), and with a work list, so no nesting depth overflows the stack.
 */
export class ConditionMeter {
  private readonly memo = new Map<Expr, Measure>();

  constructor(private readonly limits: RulesLimits) {}

  /** Why `root` is over a limit, or undefined. */
  check(root: Expr): SizeProblem | undefined {
    const pending: Expr[] = [root];
    while (pending.length > 0) {
      const node = pending[pending.length - 1]!;
      if (this.memo.has(node)) {
        pending.pop();
        continue;
      }
      const kids = childrenOf(node);
      let ready = true;
      for (const k of kids) {
        if (!this.memo.has(k)) {
          pending.push(k);
          ready = false;
        }
      }
      if (!ready) continue;
      pending.pop();
      const m = this.measure(node, kids);
      this.memo.set(node, m);
      if (m.depth > this.limits.maxConditionDepth) {
        return { pos: node.pos, message: `condition nests deeper than ${this.limits.maxConditionDepth} levels once macros are inlined (${LIMIT_KEYS.maxConditionDepth})` };
      }
      if (m.nodes > this.limits.maxConditionNodes) {
        return { pos: node.pos, message: `condition has more than ${this.limits.maxConditionNodes} nodes once macros and lists are expanded (${LIMIT_KEYS.maxConditionNodes})` };
      }
    }
    return undefined;
  }

  private measure(node: Expr, kids: readonly Expr[]): Measure {
    if (node.kind === 'binary') return { depth: 0, nodes: 1 + (node.right.kind === 'list' ? node.right.items.length : 1) };
    if (kids.length === 0) return { depth: 0, nodes: 1 };
    let depth = 0;
    let nodes = 1;
    for (const k of kids) {
      const m = this.memo.get(k)!;
      if (m.depth > depth) depth = m.depth;
      nodes += m.nodes;
    }
    return { depth: depth + 1, nodes };
  }
}

function childrenOf(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.children;
    case 'not':
      return [e.child];
    default:
      return [];
  }
}
