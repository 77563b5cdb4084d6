// Alerts in Falco's json_output shape (formats.cpp: an nlohmann object, so keys in sorted order;
// tags are a std::set, so sorted and unique) and the text line Falco prints without json_output.
import type { Priority } from './rule.js';
import type { OutputValue } from './values.js';
import type { CompiledRule } from './ruleset.js';

export interface Alert {
  hostname: string;
  /** The full line: `<evt.time>: <Priority> <message>`, e.g. `10:00:00.123456789: Warning Shell ...`. */
  output: string;
  /** Each %field of the output with its typed value (null when missing), plus evt.time (ns). */
  output_fields: Record<string, OutputValue>;
  priority: Priority;
  rule: string;
  source: string;
  tags: string[];
  /** RFC 3339 UTC with nanoseconds, e.g. `2026-11-23T10:00:00.123456789Z`. */
  time: string;
}

const NS = 1_000_000_000n;

/** `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (gmtime, strftime("%FT%T") and ".%09luZ" in Falco). */
export function rfc3339Nano(ns: bigint): string {
  let s = ns / NS;
  let frac = ns % NS;
  if (frac < 0n) {
    frac += NS;
    s -= 1n;
  }
  const date = new Date(Number(s) * 1000).toISOString().slice(0, 19);
  return `${date}.${frac.toString().padStart(9, '0')}Z`;
}

function two(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** libsinsp's evt.time: `HH:MM:SS.nnnnnnnnn` in local time. */
export function clockTime(ns: bigint): string {
  const s = ns / NS;
  let frac = ns % NS;
  if (frac < 0n) frac += NS;
  const d = new Date(Number(s) * 1000);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${frac.toString().padStart(9, '0')}`;
}

function sortedTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function sortedKeys(o: Record<string, OutputValue>): Record<string, OutputValue> {
  const out: Record<string, OutputValue> = {};
  for (const k of Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out[k] = o[k]!;
  return out;
}

export type TimeText<E> = (event: E, ns: bigint) => string;

/** The prefix time, from the source's own `evt.time` field when it has one (Falco's `%evt.time`). */
export function timeTextFor<E>(source: CompiledRule<E>['source']): TimeText<E> {
  const get = source.fields.get('evt.time')?.bind?.(undefined);
  if (!get) return (_e, ns) => clockTime(ns);
  return (e, ns) => {
    const v = get(e);
    return typeof v === 'string' ? v : clockTime(ns);
  };
}

/** Builds the alert for `event`, which `rule` matched. */
export function buildAlert<E>(rule: CompiledRule<E>, event: E, hostname: string, timeText: TimeText<E> = timeTextFor(rule.source)): Alert {
  const src = rule.source;
  const ns = src.timeOf(event);
  const prefix = timeText(event, ns);
  const fields = rule.formatter.fields(event);
  // Falco's prefix "%evt.time" contributes evt.time to output_fields, as the raw timestamp.
  fields['evt.time'] = ns;
  // append_output's extra_fields: a raw field keeps its type, a format is rendered text.
  if (rule.extraFields) for (const f of rule.extraFields) fields[f.name] = f.raw ? (f.formatter.fields(event)[f.formatter.fieldKeys[0]!] ?? null) : f.formatter.format(event);
  return {
    hostname,
    output: `${prefix}: ${rule.spec.priority} ${rule.formatter.format(event)}`,
    output_fields: sortedKeys(fields),
    priority: rule.spec.priority,
    rule: rule.spec.name,
    source: src.name,
    tags: sortedTags(rule.spec.tags),
    time: rfc3339Nano(ns),
  };
}

function jsonValue(v: OutputValue): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return '[' + v.map(jsonValue).join(',') + ']';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'null';
  return JSON.stringify(v);
}

/** Which optional properties the JSON carries (Falco's json_include_*_property settings). */
export interface JsonProps {
  output: boolean;
  tags: boolean;
  message: boolean;
  outputFields: boolean;
}

/** Falco's defaults: output, output_fields and tags, no message. */
export const DEFAULT_JSON_PROPS: JsonProps = { output: true, tags: true, message: false, outputFields: true };

/**
 * The rule's rendered output without the `<time>: <Priority> ` prefix (Falco's `message`). The
 * prefix's time text never contains ": <Priority> ", so the first occurrence ends the prefix.
 */
export function alertMessage(a: Alert): string {
  const marker = `: ${a.priority} `;
  const at = a.output.indexOf(marker);
  return at < 0 ? a.output : a.output.slice(at + marker.length);
}

/** One line of JSON, as Falco prints with json_output (bigints as exact integers, keys sorted). */
export function alertToJson(a: Alert, props: JsonProps = DEFAULT_JSON_PROPS): string {
  let out = `{"hostname":${JSON.stringify(a.hostname)}`;
  if (props.message) out += `,"message":${JSON.stringify(alertMessage(a))}`;
  if (props.output) out += `,"output":${JSON.stringify(a.output)}`;
  if (props.outputFields) {
    const fields = Object.keys(a.output_fields)
      .map((k) => `${JSON.stringify(k)}:${jsonValue(a.output_fields[k]!)}`)
      .join(',');
    out += `,"output_fields":{${fields}}`;
  }
  out += `,"priority":${JSON.stringify(a.priority)},"rule":${JSON.stringify(a.rule)},"source":${JSON.stringify(a.source)}`;
  if (props.tags) out += `,"tags":${JSON.stringify(a.tags)}`;
  return out + `,"time":${JSON.stringify(a.time)}}`;
}

// C0 controls, DEL, C1 controls and the Unicode line/paragraph separators: whatever a terminal
// or a line-oriented reader could take for the end of a line or a control sequence.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT_ESCAPES[c] ?? (code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/**
 * The line Falco prints without json_output, with control characters escaped (\n, \r, \t, \xNN,
 * \uNNNN): Falco prints them as they are, which lets event data (a user name, a command line) end
 * the alert's line and forge another. One alert is always exactly one line. Backslashes are kept
 * as they are (paths and command lines stay as Falco prints them); JSON mode needs none of this.
 */
export function alertToText(a: Alert): string {
  return CONTROL.test(a.output) ? a.output.replace(CONTROLS, escapeControl) : a.output;
}
