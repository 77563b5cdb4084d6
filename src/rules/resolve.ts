// Resolve stage: collected rules -> RuleSpec (conditions parsed, exceptions merged, lists
// expanded, macros inlined), plus Falco's unused-macro/unused-list and <NA> warnings.
import type { Expr } from '../condition/ast.js';
import { forEachCheck, fieldName } from '../condition/walk.js';
import type { Collector } from './collect.js';
import { parseMapped } from './conditions.js';
import { ItemError, type DiagnosticSink } from './diagnostics.js';
import { conditionWithExceptions } from './exceptions.js';
import type { RuleInfo } from './items.js';
import { ListTable } from './lists.js';
import { MacroTable, type ResolveProblem } from './macros.js';
import type { MappedText } from './mapped-text.js';
import type { RuleSpec } from '../engine/rule.js';
import { ConditionMeter, DEFAULT_RULES_LIMITS, STACK_EXHAUSTED, type RulesLimits } from './limits.js';

/** A resolved rule, with its output template's places in the rules files (for output errors). */
export interface ResolvedRule {
  spec: RuleSpec;
  output: MappedText;
}

const CONTAINER_INFO = '%container.info';
const NA = '<NA>';
const NA_WARNING =
  "comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.";
const EQUALITY_OPS = new Set(['=', '==', '!=', 'in', 'intersects', 'pmatch']);

/** Falco's deprecated fields (falco_load_result.cpp), with why. */
const LATENCY = 'field is not available due to the drop of enter events.';
const DEPRECATED_FIELDS = new Map([
  [
    'evt.dir',
    "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and 'evt.dir = >' always evaluates to false. The rule expression can be simplified by removing the condition on 'evt.dir'",
  ],
  ['evt.latency', LATENCY],
  ['evt.latency.s', LATENCY],
  ['evt.latency.ns', LATENCY],
  ['evt.latency.human', LATENCY],
  ['evt.wait_latency', LATENCY],
]);

export function resolveRules(collector: Collector, sink: DiagnosticSink, limits: RulesLimits = DEFAULT_RULES_LIMITS): ResolvedRule[] {
  const lists = new ListTable(collector.lists, sink, limits.maxListItems);
  const macros = new MacroTable(collector.macros, lists, sink, limits.maxConditionBytes);
  const meter = new ConditionMeter(limits);
  const out: ResolvedRule[] = [];
  for (const rule of collector.rules.values()) {
    if (rule.unknownSource) continue;
    const ref = { type: 'rule' as const, name: rule.name };
    try {
      const text = rule.exceptions.length ? conditionWithExceptions(rule.condition, rule.exceptions, rule.location) : rule.condition;
      const parsed = macros.expandLists(parseMapped(text, rule.location, limits.maxConditionBytes), rule.location);
      const problems: ResolveProblem[] = [];
      const condition = macros.resolveRule(parsed, problems);
      for (const p of problems) sink.error(p.code, p.message, p.at ?? rule.location, ref);
      if (problems.length) continue;
      // before any recursive pass over the expanded condition
      const tooBig = meter.check(condition);
      if (tooBig) {
        sink.error('condition-too-large', tooBig.message, tooBig.pos.at ?? rule.location, ref);
        continue;
      }
      if (hasUnsafeNaCheck(condition)) sink.warn('unsafe-na-check', NA_WARNING, rule.location, ref);
      warnDeprecatedFields(condition, rule, sink);
      const output = outputOf(rule, sink);
      out.push({ spec: toSpec(rule, condition, text.text, output.text), output });
    } catch (e) {
      if (e instanceof RangeError) {
        sink.error('condition-too-large', STACK_EXHAUSTED, rule.location, ref);
        continue;
      }
      if (!(e instanceof ItemError)) throw e;
      sink.error(e.code, e.message, e.at ?? rule.location, ref);
    }
  }
  for (const m of macros.unused()) {
    sink.warn('unused-macro', 'Macro not referred to by any other rule/macro', m.location, { type: 'macro', name: m.name });
  }
  for (const l of collector.lists.values()) {
    if (!lists.used.has(l.name)) sink.warn('unused-list', 'List not referred to by any other rule/macro', l.location, { type: 'list', name: l.name });
  }
  return out;
}

function toSpec(rule: RuleInfo, condition: Expr, conditionText: string, output: string): RuleSpec {
  const spec: RuleSpec = {
    name: rule.name,
    desc: rule.desc,
    condition,
    conditionText,
    output,
    priority: rule.priority,
    source: rule.source,
    tags: [...rule.tags].sort(),
    enabled: rule.enabled,
    warnEvttypes: rule.warnEvttypes,
    skipIfUnknownFilter: rule.skipIfUnknownFilter,
    capture: rule.capture,
    location: rule.location,
    outputLocation: rule.outputLocation,
  };
  if (rule.captureDuration !== undefined) spec.captureDuration = rule.captureDuration;
  return spec;
}

/** The output template; Falco drops the deprecated `%container.info` with a warning. */
function outputOf(rule: RuleInfo, sink: DiagnosticSink): MappedText {
  let output = rule.output;
  let i = output.text.indexOf(CONTAINER_INFO);
  if (i >= 0) {
    sink.warn(
      'deprecated-item',
      '%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.',
      rule.location,
      { type: 'rule', name: rule.name },
    );
    while (i >= 0) {
      output = output.slice(0, i).appendMapped(output.slice(i + CONTAINER_INFO.length));
      i = output.text.indexOf(CONTAINER_INFO);
    }
  }
  return output;
}

/** A warning per deprecated field a rule uses: in its condition (at the use) or its output. */
function warnDeprecatedFields(condition: Expr, rule: RuleInfo, sink: DiagnosticSink): void {
  const ref = { type: 'rule' as const, name: rule.name };
  const seen = new Set<string>();
  forEachCheck(condition, (check) => {
    const f = fieldName(check.left);
    const why = f === undefined ? undefined : DEPRECATED_FIELDS.get(f);
    if (f === undefined || why === undefined || seen.has(f)) return;
    seen.add(f);
    sink.warn('deprecated-field', `usage of deprecated field '${f}' has been detected in the rule condition: ${why}`, check.left.pos.at ?? rule.location, ref);
  });
  // Falco looks for the names anywhere in the output text.
  for (const [f, why] of DEPRECATED_FIELDS) {
    const i = rule.output.text.indexOf(f);
    if (i >= 0) sink.warn('deprecated-field', `usage of deprecated field '${f}' has been detected in the rule output: ${why}`, rule.output.locate(i) ?? rule.outputLocation, ref);
  }
}

/** Falco's filter_warning_resolver: `ka.*`/`jevt.*` fields compared for equality with `<NA>`. */
function hasUnsafeNaCheck(expr: Expr): boolean {
  let found = false;
  forEachCheck(expr, (check) => {
    if (found || check.kind !== 'binary' || !EQUALITY_OPS.has(check.op)) return;
    const f = fieldName(check.left);
    if (!f || !(f.startsWith('ka.') || f.startsWith('jevt.'))) return;
    const r = check.right;
    if (r.kind === 'value') found = r.value === NA;
    else if (r.kind === 'list') found = r.items.some((v) => v.value === NA);
  });
  return found;
}
