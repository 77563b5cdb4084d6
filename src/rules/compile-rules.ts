// Compile stage: every resolved rule, enabled or not (Falco compiles them all), is compiled
// against its source. A CompileError becomes a diagnostic at its place in the rules file;
// with `skip-if-unknown-filter: true` an unknown field only skips the rule, with a warning.
import { CompileError } from '../engine/errors.js';
import { matchesTooManyEventTypes } from '../engine/evttype.js';
import { compileRule } from '../engine/compile-rule.js';
import type { CompiledRule } from '../engine/ruleset.js';
import type { EventSource } from '../engine/event-source.js';
import type { AppendOutput } from '../engine/append-output.js';
import { ERROR_CODES, type DiagnosticSink, type ErrorCode } from './diagnostics.js';
import type { ResolvedRule } from './resolve.js';
import { STACK_EXHAUSTED } from './limits.js';

const NO_EVTTYPE = 'Rule matches too many evt.type values. This has a significant performance penalty.';

export function compileRules(
  resolved: readonly ResolvedRule[],
  sources: ReadonlyMap<string, EventSource>,
  sink: DiagnosticSink,
  /** Falco's append_output and -p (an entry per source): what the rules an entry matches get appended. */
  appendOutput: readonly AppendOutput[] = [],
): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const { spec, output } of resolved) {
    const source = sources.get(spec.source)!;
    const ref = { type: 'rule' as const, name: spec.name };
    let compiled: CompiledRule;
    try {
      compiled = compileRule(spec, source, appendOutput);
    } catch (e) {
      if (e instanceof RangeError) {
        sink.error('condition-too-large', STACK_EXHAUSTED, spec.location, ref);
        continue;
      }
      if (!(e instanceof CompileError)) throw e;
      const at = e.part === 'output' ? (e.pos ? output.locate(e.pos.offset) : spec.outputLocation) : e.pos?.at;
      if (e.code === 'unknown-field' && spec.skipIfUnknownFilter) {
        sink.warn('unknown-filter', `${e.message} (rule skipped: skip-if-unknown-filter is set)`, at ?? spec.location, ref);
        continue;
      }
      sink.error(codeOf(e), e.message, at ?? spec.location, ref);
      continue;
    }
    for (const w of compiled.warnings) sink.warn('compile-warning', w.message, w.pos?.at ?? spec.location, ref);
    if (source.name === 'syscall' && spec.warnEvttypes && matchesTooManyEventTypes(compiled.eventTypes)) {
      sink.warn('no-evttype', NO_EVTTYPE, spec.location, ref);
    }
    out.push(compiled);
  }
  return out;
}

function codeOf(e: CompileError): ErrorCode {
  if (e.part === 'output' || e.part === 'append_output') return e.code === 'unknown-field' ? 'output-unknown-field' : 'output-invalid';
  return e.code in ERROR_CODES ? (e.code as ErrorCode) : 'compile';
}
