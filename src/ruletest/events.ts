// The events of a rule test case, from whichever form it gives them: an audit Event or EventList
// written in the test file, an audit log (JSON lines or an EventList document), a Kestrel capture,
// or a syscall scenario (src/sources/syscall/scenario/synthetic.ts). A record that cannot be read
// is a problem of the case (file:line), never skipped silently.
import { readAuditLog } from '../sources/k8saudit/audit-log.js';
import { AuditEvent, type Json, type JsonObject } from '../sources/k8saudit/event.js';
import { eventProblem, itemsOf } from '../sources/k8saudit/validate.js';
import { readCapture } from '../sources/syscall/capture/reader.js';
import { scenarioEvents } from '../sources/syscall/scenario/events.js';
import { buildScenario, ScenarioError } from '../sources/syscall/scenario/synthetic.js';
import { SpecError, type EventSpec, type ScenarioText, type Where } from './spec.js';

export interface CaseEvents {
  /** The event source the events belong to (its rules are evaluated). */
  source: 'syscall' | 'k8s_audit';
  events: AsyncIterable<unknown> | Iterable<unknown>;
}

/** Problems met while reading, each `file:line: message`; any one fails the case. */
export type ProblemSink = (problem: string) => void;

export function caseEvents(spec: EventSpec, problem: ProblemSink): CaseEvents {
  switch (spec.kind) {
    case 'audit':
      return { source: 'k8s_audit', events: inlineAudit(spec.body, spec.at, problem) };
    case 'audit_log':
      return { source: 'k8s_audit', events: readAuditLog(spec.path, (b) => problem(`${b.file}:${b.line}${b.column ? `:${b.column}` : ''}: ${b.message}`)) };
    case 'capture':
      return { source: 'syscall', events: readCapture(spec.path).events() };
    case 'syscalls':
      return { source: 'syscall', events: scenarioEvents(scenario(spec, spec.setup)) };
  }
}

function* inlineAudit(body: Json, at: Where, problem: ProblemSink): Generator<AuditEvent> {
  const found = itemsOf(body);
  if (found.problem) problem(`${at.file}:${at.line}: ${found.problem.message}`);
  const now = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < found.items.length; i++) {
    const bad = eventProblem(found.items[i]!, i);
    if (bad) problem(`${at.file}:${at.line}: ${found.items.length > 1 ? `item ${i}: ` : ''}${bad.message}`);
    else yield new AuditEvent(found.items[i] as JsonObject, now);
  }
}

/** Builds the scenario (after the file's setup); a bad statement is reported at its line and column. */
function scenario(own: ScenarioText, setup?: ScenarioText) {
  try {
    return buildScenario(setup ? `${setup.text}\n${own.text}` : own.text);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    const stmt = /\(in: (.*)\)$/s.exec(e.message)?.[1];
    const block = stmt !== undefined && !own.text.includes(stmt) && setup ? setup : own;
    const index = stmt === undefined ? -1 : block.text.indexOf(stmt);
    if (index < 0) throw new SpecError(block.at, `syscall scenario: ${e.message}`);
    const before = block.text.slice(0, index);
    const lineStart = before.lastIndexOf('\n') + 1;
    const line = block.line + (before.match(/\n/g)?.length ?? 0);
    // every line of a block starts at the block's indentation
    throw new SpecError({ file: block.at.file, line, column: block.column + index - lineStart }, `syscall scenario: ${e.message}`);
  }
}
