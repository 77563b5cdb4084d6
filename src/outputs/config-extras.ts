// The output settings the agent's generic config merge cannot read (its CUSTOM readers):
// append_output as falco.yaml writes it, checked and turned into the engine's entries, and
// http_output.custom_headers, a list of "Name: value" or a mapping (falcosidekick's style).
//   append_output:
//     - match: { source: syscall, tags: [container], rule: "Terminal shell in container" }
//       extra_output: "on CPU %evt.cpu"
//       extra_fields: [ { home_directory: "${HOME}" }, evt.hostname ]
//       suggested_output: true
// (falco_configuration's append_output schema: a field given alone is a raw field, keeping its
// type in output_fields; `name: format` is rendered as text.)
import type { AppendOutput, ExtraField } from '../engine/append-output.js';

const ENTRY_KEYS = new Set(['match', 'extra_output', 'extra_fields', 'suggested_output']);
const MATCH_KEYS = new Set(['source', 'tags', 'rule']);

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function parseMatch(m: unknown, at: string, entry: AppendOutput, errors: string[]): void {
  if (!isMapping(m)) return void errors.push(`${at}.match must be a mapping`);
  for (const [k, v] of Object.entries(m)) {
    if (!MATCH_KEYS.has(k)) errors.push(`unknown setting ${at}.match.${k}`);
    else if (k === 'tags') {
      if (isStringList(v)) entry.tags = v;
      else errors.push(`${at}.match.tags must be a list of strings`);
    } else if (typeof v === 'string') entry[k as 'source' | 'rule'] = v;
    else errors.push(`${at}.match.${k} must be a string`);
  }
}

function parseFields(list: unknown, at: string, errors: string[]): ExtraField[] {
  if (!Array.isArray(list)) {
    errors.push(`${at}.extra_fields must be a list`);
    return [];
  }
  const out: ExtraField[] = [];
  list.forEach((f, j) => {
    if (typeof f === 'string' && f) out.push({ name: f, format: f, raw: true });
    else if (isMapping(f) && Object.keys(f).length === 1 && typeof Object.values(f)[0] === 'string') {
      const [name, format] = Object.entries(f)[0] as [string, string];
      out.push({ name, format, raw: false });
    } else errors.push(`${at}.extra_fields[${j}] must be a field name or a single "name: format" mapping`);
  });
  return out;
}

/** The entries, or [] with the problems in `errors` (each naming append_output[i]...). */
export function parseAppendOutput(value: unknown, errors: string[]): AppendOutput[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.push('append_output must be a list');
    return [];
  }
  return value.map((item, i) => {
    const at = `append_output[${i}]`;
    const entry: AppendOutput = {};
    if (!isMapping(item)) {
      errors.push(`${at} must be a mapping`);
      return entry;
    }
    for (const [k, v] of Object.entries(item)) {
      if (!ENTRY_KEYS.has(k)) errors.push(`unknown setting ${at}.${k}`);
      else if (k === 'match') parseMatch(v, at, entry, errors);
      else if (k === 'extra_fields') entry.extraFields = parseFields(v, at, errors);
      else if (k === 'extra_output') {
        if (typeof v === 'string') entry.extraOutput = v;
        else errors.push(`${at}.extra_output must be a string`);
      } else if (typeof v === 'boolean') entry.suggestedOutput = v;
      else errors.push(`${at}.suggested_output must be true or false`);
    }
    return entry;
  });
}

/** custom_headers as the list of "Name: value" the output checks: given so, or as a mapping. */
export function headerList(value: unknown, errors: string[]): string[] {
  if (Array.isArray(value) && value.every((h) => typeof h === 'string')) return value;
  if (!isMapping(value)) {
    errors.push('http_output.custom_headers must be a list of "Name: value" or a mapping of names to values');
    return [];
  }
  const headers: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' || typeof v === 'number') headers.push(`${k}: ${v}`);
    else errors.push(`http_output.custom_headers.${k} must be a string`);
  }
  return headers;
}
