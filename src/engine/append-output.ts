// Falco's append_output (falco.yaml; falco_engine::add_extra_output_format and
// add_extra_output_{formatted,raw}_field, app action configure_output_format): text appended to
// the output of the rules an entry matches, and extra output_fields that leave the text alone.
// An entry matches a rule when every condition it gives holds: the rule's source, all of its
// tags, its name. suggested_output appends `foo_bar=%foo.bar` for each field of the source that
// is marked suggested (container and k8s fields of the syscall source).
import type { EventSource } from './event-source.js';

export interface ExtraField {
  name: string;
  /** An output format (`%proc.name on %evt.cpu`), or for a raw field the field itself. */
  format: string;
  /** Raw: the field's typed value (a field name given alone); else the rendered text. */
  raw: boolean;
}

export interface AppendOutput {
  source?: string;
  tags?: readonly string[];
  rule?: string;
  extraOutput?: string;
  extraFields?: readonly ExtraField[];
  suggestedOutput?: boolean;
}

interface RuleIdentity {
  name: string;
  source: string;
  tags: readonly string[];
}

function matches(entry: AppendOutput, rule: RuleIdentity): boolean {
  if (entry.source && entry.source !== rule.source) return false;
  if (entry.rule && entry.rule !== rule.name) return false;
  return (entry.tags ?? []).every((t) => rule.tags.includes(t));
}

/** The `foo_bar=%foo.bar` items for the source's suggested fields. */
export function suggestedOutput(source: EventSource): string {
  return source.fields
    .all()
    .filter((f) => f.suggestedOutput !== undefined)
    .sort((a, b) => a.suggestedOutput! - b.suggestedOutput!)
    .map((f) => `${f.name.replaceAll('.', '_')}=%${f.name}`)
    .join(' ');
}

/** What the entries add to one rule: text for its output (with a leading space), and fields. */
export function appendFor(entries: readonly AppendOutput[], rule: RuleIdentity, source: EventSource): { text: string; fields: ExtraField[] } {
  let text = '';
  const fields: ExtraField[] = [];
  for (const e of entries) {
    if (!matches(e, rule)) continue;
    if (e.extraOutput) text += ` ${e.extraOutput}`;
    if (e.suggestedOutput) {
      const s = suggestedOutput(source);
      if (s) text += ` ${s}`;
    }
    if (e.extraFields) fields.push(...e.extraFields);
  }
  return { text, fields };
}
