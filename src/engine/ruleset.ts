// Compiled rules indexed for evaluation. Per source with event types, an array indexed by type
// code holds the rules that can match that type, in load order (rules matching every type are in
// every slot), so an event visits only its type's rules, through that type's plan (plan.ts:
// evt.type checks folded, repeated subtrees computed once per event). A RuleSet is immutable: on
// reload the agent builds a new one and swaps it.
import { agentHostname } from './hostname.js';
import type { Predicate } from './compile-rule.js';
import type { CompileWarning } from './errors.js';
import type { OutputFormatter } from './output-template.js';
import type { EventSource } from './event-source.js';
import { PRIORITIES, type Priority, type RuleSpec } from './rule.js';
import { buildAlert, timeTextFor, type Alert, type TimeText } from './alert.js';
import { buildPlan, buildPlans, runPlan, type Plan } from './plan.js';
import type { AnyEvent } from '../fields/types.js';

export interface CompiledRule<E = AnyEvent> {
  readonly name: string;
  readonly spec: RuleSpec;
  readonly source: EventSource<E>;
  readonly predicate: Predicate<E>;
  /** Set when the condition folded to a constant; false: the rule can never match. */
  readonly constant?: boolean;
  readonly formatter: OutputFormatter<E>;
  /** append_output's extra_fields: added to output_fields, not to the text. */
  readonly extraFields?: ReadonlyArray<{ name: string; raw: boolean; formatter: OutputFormatter<E> }>;
  /** The event type codes the rule can match ('all' for sources without event types too). */
  readonly eventTypes: ReadonlySet<number> | 'all';
  readonly warnings: readonly CompileWarning[];
}

/**
 * Called when a rule's condition or output throws on an event (the rule then counts as not
 * matching, and the event goes on to the other rules).
 */
export type EvaluationErrorHandler = (rule: CompiledRule, error: unknown, event: unknown) => void;

export interface RuleSetOptions {
  hostname?: string;
  /** Told about each evaluation error; they are counted in SourceRuleSet.evaluationErrors too. */
  onEvaluationError?: EvaluationErrorHandler;
  /** Falco's rule_matching: 'first' (default) stops at the first matching rule. */
  ruleMatching?: 'first' | 'all';
  /** Rules less severe than this are not evaluated (Falco's `priority` setting). */
  minPriority?: Priority;
  /** Whether a rule runs (Falco's rule selection); default: the rule's own `enabled`. */
  isEnabled?: (spec: RuleSpec) => boolean;
}

const EMPTY: readonly Alert[] = Object.freeze([]) as readonly Alert[];

/** Evaluation stamps are even numbers below this; past it the memo slots are cleared and stamps restart. */
const STAMP_LIMIT = 0x3ffffff0;

export class SourceRuleSet<E = AnyEvent> {
  /** The rules evaluated for this source, in load order. */
  readonly rules: readonly CompiledRule<E>[];
  private readonly slots: ReadonlyArray<readonly CompiledRule<E>[]> | undefined;
  /** Rules for a type code outside the source's table: those that match every type. */
  private readonly anyType: readonly CompiledRule<E>[];
  private readonly plans: ReadonlyArray<Plan<E>> | undefined;
  private readonly anyPlan: Plan<E>;
  private readonly memos: Int32Array[];
  /** The current evaluation's stamp (even; see generateChunk in codegen.ts). */
  private stamp = 0;
  private readonly typeOf: ((event: E) => number) | undefined;
  private readonly timeText: TimeText<E>;
  /** Evaluations that threw (an extractor or a comparison on an unexpected value); never silent. */
  evaluationErrors = 0;

  constructor(
    readonly source: EventSource<E>,
    rules: readonly CompiledRule<E>[],
    private readonly hostname: string,
    private readonly firstMatch: boolean,
    private readonly onError?: EvaluationErrorHandler,
  ) {
    this.rules = Object.freeze([...rules]);
    this.timeText = timeTextFor(source);
    const live = rules.filter((r) => r.constant !== false);
    this.anyType = Object.freeze(live.filter((r) => r.eventTypes === 'all'));
    const types = source.eventTypes;
    if (types && source.typeOf) {
      this.typeOf = source.typeOf.bind(source);
      const slots: CompiledRule<E>[][] = types.map(() => []);
      for (const r of live) {
        if (r.eventTypes === 'all') for (const s of slots) s.push(r);
        else for (const code of r.eventTypes) slots[code]?.push(r);
      }
      this.slots = Object.freeze(slots.map((s) => Object.freeze(s)));
      const built = buildPlans(this.slots, types, this.anyType);
      this.plans = built.byCode;
      this.anyPlan = built.anyType;
      this.memos = [...new Set([...built.byCode, built.anyType])].map((p) => p.memo);
    } else {
      this.slots = undefined;
      this.plans = undefined;
      this.anyPlan = buildPlan(this.anyType, undefined);
      this.memos = [this.anyPlan.memo];
    }
  }

  /** The rules an event of this type code visits. */
  rulesForType(code: number): readonly CompiledRule<E>[] {
    if (!this.slots) return this.anyType;
    return this.slots[code] ?? this.anyType;
  }

  private plan(event: E): Plan<E> {
    return this.plans && this.typeOf ? (this.plans[this.typeOf(event)] ?? this.anyPlan) : this.anyPlan;
  }


  private failed(rule: CompiledRule<E>, error: unknown, event: E): void {
    this.evaluationErrors++;
    this.onError?.(rule as CompiledRule, error, event);
  }

  /** A stamp no memo slot holds yet: every evaluation starts with empty slots. */
  private nextStamp(): number {
    let q = this.stamp + 2;
    if (q >= STAMP_LIMIT) {
      for (const m of this.memos) m.fill(0);
      q = 2;
    }
    this.stamp = q;
    return q;
  }

  /** The first rule (load order) whose condition matches, Falco's rule_matching=first. */
  match(event: E): CompiledRule<E> | undefined {
    const plan = this.plan(event);
    const i = this.next(plan, event, 0, this.nextStamp());
    return i < 0 ? undefined : plan.rules[i];
  }

  /** The index of the first rule at or after `from` that matches; a rule whose condition throws is counted and skipped. */
  private next(plan: Plan<E>, event: E, from: number, q: number): number {
    for (;;) {
      try {
        return runPlan(plan, event, from, q, q + 1);
      } catch (err) {
        const i = plan.at[0]!;
        this.failed(plan.rules[i]!, err, event);
        from = i + 1;
      }
    }
  }

  /** The alerts for `event`: a shared frozen empty array when no rule matches. */
  evaluate(event: E): readonly Alert[] {
    const plan = this.plan(event);
    if (plan.chunks.length === 0) return EMPTY; // no rule for this type (closes, exits, ...)
    const q = this.nextStamp();
    let i = this.next(plan, event, 0, q);
    if (i < 0) return EMPTY;
    let out: Alert[] | undefined;
    for (; i >= 0; i = this.next(plan, event, i + 1, q)) {
      const r = plan.rules[i]!;
      let alert: Alert;
      try {
        alert = buildAlert(r, event, this.hostname, this.timeText);
      } catch (err) {
        this.failed(r, err, event);
        continue;
      }
      if (this.firstMatch) return [alert];
      (out ??= []).push(alert);
    }
    return out ?? EMPTY;
  }

  /** Event type names any rule can match (for the kernel-side filter), or 'all'. */
  interestingEventTypes(): Set<string> | 'all' {
    const names = this.source.eventTypes;
    if (!names) return 'all';
    const out = new Set<string>();
    for (const r of this.rules) {
      if (r.constant === false) continue;
      if (r.eventTypes === 'all') return 'all';
      for (const code of r.eventTypes) {
        const n = names[code];
        if (n !== undefined) out.add(n);
      }
    }
    return out;
  }
}

export class RuleSet {
  private readonly bySource = new Map<string, SourceRuleSet>();
  /** Every rule given, in load order (disabled ones included). */
  readonly rules: readonly CompiledRule[];

  constructor(rules: readonly CompiledRule[], sources: ReadonlyMap<string, EventSource>, options: RuleSetOptions = {}) {
    this.rules = Object.freeze([...rules]);
    const host = options.hostname ?? agentHostname();
    const first = (options.ruleMatching ?? 'first') === 'first';
    const minLevel = PRIORITIES.indexOf(options.minPriority ?? 'Debug');
    const isEnabled = options.isEnabled ?? ((spec: RuleSpec) => spec.enabled);
    const enabled = rules.filter((r) => isEnabled(r.spec) && PRIORITIES.indexOf(r.spec.priority) <= minLevel);
    const names = new Set<string>([...sources.keys(), ...enabled.map((r) => r.source.name)]);
    for (const name of names) {
      const source = sources.get(name) ?? enabled.find((r) => r.source.name === name)!.source;
      this.bySource.set(name, new SourceRuleSet(source, enabled.filter((r) => r.source.name === name), host, first, options.onEvaluationError));
    }
  }

  forSource<E = AnyEvent>(name: string): SourceRuleSet<E> | undefined {
    return this.bySource.get(name) as SourceRuleSet<E> | undefined;
  }

  evaluate(event: unknown, sourceName = 'syscall'): readonly Alert[] {
    const s = this.bySource.get(sourceName);
    return s ? s.evaluate(event) : EMPTY;
  }
}

export { EMPTY as NO_ALERTS };
