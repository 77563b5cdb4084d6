// Macros, resolved as Falco does (rule_loader_compiler.cpp compile_macros_infos +
// filter_macro_resolver): every macro is parsed (used or not); a macro sees only the macros
// defined before its latest definition, a rule sees them all; a reference loop is an error.
import type { Expr, Pos } from '../condition/ast.js';
import { parseMapped } from './conditions.js';
import { ItemError, type DiagnosticSink, type ErrorCode } from './diagnostics.js';
import type { MacroInfo } from './items.js';
import type { ListProblem, ListTable } from './lists.js';
import type { SourceLocation } from '../condition/ast.js';

export interface ResolveProblem {
  code: ErrorCode;
  message: string;
  at?: SourceLocation;
}

interface MacroState {
  info: MacroInfo;
  /** Parsed, lists expanded; null when it has errors. */
  parsed: Expr | null;
  /** Macros inlined; undefined until resolved, null when it has errors. */
  resolved?: Expr | null;
}

export class MacroTable {
  /** Names of macros referred to by a rule or another macro (Falco's `used`). */
  readonly used = new Set<string>();
  private readonly states = new Map<string, MacroState>();

  constructor(
    macros: ReadonlyMap<string, MacroInfo>,
    private readonly lists: ListTable,
    private readonly sink: DiagnosticSink,
    maxConditionBytes?: number,
  ) {
    for (const info of macros.values()) {
      let parsed: Expr | null = null;
      try {
        parsed = this.expandLists(parseMapped(info.condition, info.location, maxConditionBytes), info.location);
      } catch (e) {
        if (!(e instanceof ItemError)) throw e;
        sink.error(e.code, e.message, e.at, { type: 'macro', name: info.name });
      }
      this.states.set(info.name, { info, parsed });
    }
    for (const state of this.states.values()) {
      if (!state.parsed) {
        state.resolved = null;
        continue;
      }
      const problems: ResolveProblem[] = [];
      const visibility = state.info.visibility;
      const resolved = this.resolve(state.parsed, (m) => m.index < visibility, [state.info.name], problems);
      for (const p of problems) sink.error(p.code, p.message, p.at ?? state.info.location, { type: 'macro', name: state.info.name });
      state.resolved = problems.length ? null : resolved;
    }
  }

  /** Lists expanded into a parsed condition; unusable lists throw. */
  expandLists(expr: Expr, at: SourceLocation): Expr {
    const problems: ListProblem[] = [];
    const out = this.lists.expand(expr, problems);
    if (problems.length) {
      const p = problems[0]!;
      throw new ItemError('list-error', `List '${p.name}' has errors (reported at the list)`, p.value.pos.at ?? at);
    }
    return out;
  }

  /** A rule's condition with every macro inlined; problems are collected, not thrown. */
  resolveRule(expr: Expr, problems: ResolveProblem[]): Expr {
    return this.resolve(expr, () => true, [], problems);
  }

  isBroken(name: string): boolean {
    const s = this.states.get(name);
    return s !== undefined && (s.parsed === null || s.resolved === null);
  }

  private resolve(expr: Expr, visible: (m: MacroInfo) => boolean, path: string[], problems: ResolveProblem[]): Expr {
    switch (expr.kind) {
      case 'and':
      case 'or': {
        let changed = false;
        const children = expr.children.map((c) => {
          const n = this.resolve(c, visible, path, problems);
          if (n !== c) changed = true;
          return n;
        });
        return changed ? { ...expr, children } : expr;
      }
      case 'not': {
        const child = this.resolve(expr.child, visible, path, problems);
        return child !== expr.child ? { ...expr, child } : expr;
      }
      case 'identifier':
        return this.inline(expr.name, expr.pos, visible, path, problems) ?? expr;
      default:
        return expr;
    }
  }

  private inline(name: string, pos: Pos, visible: (m: MacroInfo) => boolean, path: string[], problems: ResolveProblem[]): Expr | undefined {
    const state = this.states.get(name);
    if (!state || !visible(state.info)) {
      problems.push({ code: 'undefined-macro', message: `Undefined macro '${name}' used in filter.`, at: pos.at });
      return undefined;
    }
    const loopAt = path.indexOf(name);
    if (loopAt >= 0) {
      const cycle = [...path.slice(loopAt), name].join(' -> ');
      problems.push({ code: 'macro-cycle', message: `reference loop in macro '${name}': ${cycle}`, at: pos.at });
      return undefined;
    }
    this.used.add(name);
    if (state.resolved === null || state.parsed === null) {
      problems.push({ code: 'macro-error', message: `Macro '${name}' has errors (reported at the macro)`, at: pos.at });
      return undefined;
    }
    if (state.resolved) return state.resolved;
    return this.resolve(state.parsed, visible, [...path, name], problems);
  }

  unused(): MacroInfo[] {
    return [...this.states.values()].filter((s) => !this.used.has(s.info.name) && s.parsed !== null).map((s) => s.info);
  }
}
