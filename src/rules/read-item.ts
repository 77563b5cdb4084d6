// Reads one rules item (Falco's rule_loader::reader::read_item) and hands it to the collector.
// An error abandons the item (reported with its place and name); the load goes on.
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { ItemError, type DiagnosticSink } from './diagnostics.js';
import type { Collector } from './collect.js';
import type { ExceptionEntry, ExceptionInfo, ListItemText, PluginRequirement, RuleUpdate } from './items.js';
import { MappedText } from './mapped-text.js';
import type { SourceLocation } from '../condition/ast.js';
import { PRIORITIES, type Priority } from '../engine/rule.js';
import type { Diagnostic } from './diagnostics.js';
import { parseEngineVersion } from './versions.js';
import {
  decodeBool,
  decodeInt,
  decodeScalarSeq,
  decodeString,
  deref,
  has,
  isNullNode,
  keyOf,
  locationOf,
  pairOf,
  scalarString,
  valueOf,
  type DecodedString,
  type FileCtx,
} from './yaml-values.js';

type ItemRef = NonNullable<Diagnostic['item']>;

const WARNING_APPEND = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

/** libsinsp's identifier and bare-string token syntax: what macro and list names should look like. */
const MACRO_NAME = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;
const LIST_NAME = /^[^()"'\s=,]+$/;

const RULE_KEYS = new Set([
  'rule',
  'desc',
  'condition',
  'output',
  'priority',
  'source',
  'tags',
  'enabled',
  'exceptions',
  'append',
  'override',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
  'capture_events',
  'capture_filesize',
]);
const KEYS = {
  required_engine_version: new Set(['required_engine_version']),
  required_plugin_versions: new Set(['required_plugin_versions']),
  list: new Set(['list', 'items', 'append', 'override']),
  macro: new Set(['macro', 'condition', 'append', 'override']),
  rule: RULE_KEYS,
};
const EXCEPTION_KEYS = new Set(['name', 'fields', 'comps', 'values']);
const PLUGIN_KEYS = new Set(['name', 'version', 'alternatives']);

const RULE_APPENDABLE = new Set(['condition', 'output', 'desc', 'tags', 'exceptions']);
const RULE_REPLACEABLE = new Set([
  'condition',
  'output',
  'desc',
  'priority',
  'tags',
  'exceptions',
  'enabled',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
]);

/** Falco's parse_priority: the 8 names, case-insensitive, plus `info` for Informational. */
export function parsePriority(text: string): Priority | undefined {
  const lower = text.toLowerCase();
  if (lower === 'info') return 'Informational';
  return PRIORITIES.find((p) => p.toLowerCase() === lower);
}

/** Falco's trim (falco_utils): leading and trailing whitespace. */
const trimRange = (s: string): [number, number] => {
  const start = s.length - s.trimStart().length;
  return [start, Math.max(start, s.trimEnd().length)];
};

export class ItemReader {
  constructor(
    private readonly collector: Collector,
    private readonly sink: DiagnosticSink,
  ) {}

  read(ctx: FileCtx, node: Node): void {
    const at = locationOf(ctx, node);
    if (!isMap(node)) {
      this.sink.error('item-not-mapping', 'Unexpected element type. Each element should be a yaml associative array.', at);
      return;
    }
    const type = (['required_engine_version', 'required_plugin_versions', 'list', 'macro', 'rule'] as const).find((k) => has(node, k));
    let ref: ItemRef = { type: type ?? 'file', name: type ? undefined : ctx.file };
    try {
      if (type === 'list' || type === 'macro' || type === 'rule') {
        const name = decodeString(ctx, node, type, at).text;
        ref = { type, name };
      }
      this.checkKeys(ctx, node, type ? KEYS[type] : undefined, ref);
      switch (type) {
        case 'required_engine_version':
          return this.engineVersion(ctx, node, at);
        case 'required_plugin_versions':
          return this.pluginVersions(ctx, node, at);
        case 'list':
          return this.list(ctx, node, at, ref.name!);
        case 'macro':
          return this.macro(ctx, node, at, ref.name!);
        case 'rule':
          return this.rule(ctx, node, at, ref.name!);
        default:
          this.sink.warn('unknown-item', 'Unknown top level item', at, ref);
      }
    } catch (e) {
      if (!(e instanceof ItemError)) throw e;
      this.sink.error(e.code, e.message, e.at ?? at, ref);
    }
  }

  /** Unknown keys are ignored with a warning (Falco's LOAD_UNKNOWN_KEY); duplicates keep the first. */
  private checkKeys(ctx: FileCtx, map: YAMLMap, known: Set<string> | undefined, ref: ItemRef): void {
    const seen = new Set<string>();
    for (const p of map.items) {
      const key = keyOf(p);
      const at = locationOf(ctx, p);
      if (key === undefined) {
        this.sink.warn('unknown-key', 'Item has a key that is not a string: it is ignored', at, ref);
        continue;
      }
      if (seen.has(key)) this.sink.warn('duplicate-key', `Key '${key}' appears more than once: the first one is used`, at, ref);
      seen.add(key);
      if (known && !known.has(key)) this.sink.warn('unknown-key', `Unknown key '${key}': it is ignored`, at, ref);
    }
  }

  private engineVersion(ctx: FileCtx, node: YAMLMap, at: SourceLocation): void {
    const d = decodeString(ctx, node, 'required_engine_version', at);
    const version = parseEngineVersion(d.text);
    if (!version) {
      throw new ItemError(
        'bad-engine-version',
        `Unable to parse engine version '${d.text}' as a semver string. Expected "x.y.z" semver format.`,
        d.location,
      );
    }
    this.collector.defineEngineVersion(version, d.location);
  }

  private pluginVersions(ctx: FileCtx, node: YAMLMap, at: SourceLocation): void {
    const seq = valueOf(ctx, node, 'required_plugin_versions');
    if (!isSeq(seq)) throw new ItemError('not-sequence', 'Value of required_plugin_versions must be a sequence', locationOf(ctx, seq, at));
    // Each entry is checked on its own: one unmet requirement does not hide the next.
    for (const raw of seq.items) {
      try {
        this.pluginVersion(ctx, deref(ctx, raw), at);
      } catch (e) {
        if (!(e instanceof ItemError)) throw e;
        this.sink.error(e.code, e.message, e.at ?? at, { type: 'required_plugin_versions' });
      }
    }
  }

  private pluginVersion(ctx: FileCtx, plugin: Node | null, at: SourceLocation): void {
    const pat = locationOf(ctx, plugin, at);
    if (!isMap(plugin)) throw new ItemError('not-mapping', 'Plugin version must be a mapping', pat);
    this.checkKeys(ctx, plugin, PLUGIN_KEYS, { type: 'required_plugin_versions' });
    const alternatives: PluginRequirement[] = [this.requirement(ctx, plugin, pat)];
    const alts = valueOf(ctx, plugin, 'alternatives');
    if (alts !== undefined) {
      if (!isSeq(alts)) throw new ItemError('not-sequence', 'Value of plugin version alternatives must be a sequence', locationOf(ctx, alts, pat));
      for (const rawAlt of alts.items) {
        const alt = deref(ctx, rawAlt);
        const aat = locationOf(ctx, alt, pat);
        if (!isMap(alt)) throw new ItemError('not-mapping', 'Plugin version alternative must be a mapping', aat);
        this.checkKeys(ctx, alt, new Set(['name', 'version']), { type: 'required_plugin_versions' });
        alternatives.push(this.requirement(ctx, alt, aat));
      }
    }
    this.collector.definePluginRequirement({ alternatives, location: pat });
  }

  private requirement(ctx: FileCtx, map: YAMLMap, at: SourceLocation): PluginRequirement {
    return { name: decodeString(ctx, map, 'name', at).text, version: decodeString(ctx, map, 'version', at).text };
  }

  /** `override:` entries, checked against what the item type allows. */
  private overrides(ctx: FileCtx, node: YAMLMap, appendable: Set<string>, replaceable: Set<string>, at: SourceLocation) {
    const append = new Set<string>();
    const replace = new Set<string>();
    const pair = pairOf(node, 'override');
    if (!pair) return { append, replace };
    const map = deref(ctx, pair.value);
    if (!isMap(map)) throw new ItemError('bad-override', "Value of 'override' must be a mapping of keys to append or replace", locationOf(ctx, map, at));
    for (const p of map.items) {
      const key = keyOf(p) ?? '';
      const opNode = deref(ctx, p.value);
      const op = isScalar(opNode) ? String(opNode.source ?? opNode.value) : '';
      const kat = locationOf(ctx, p);
      if (op === 'append') {
        if (!appendable.has(key)) throw new ItemError('bad-override', `Key '${key}' cannot be appended to, use 'replace' instead`, kat);
        append.add(key);
      } else if (op === 'replace') {
        if (!replaceable.has(key)) throw new ItemError('bad-override', `Key '${key}' cannot be replaced`, kat);
        replace.add(key);
      } else {
        const allowed = [appendable.has(key) ? 'append ' : '', replaceable.has(key) ? 'replace ' : ''].join('');
        throw new ItemError('bad-override', `Invalid override operation for key '${key}': '${op}'. Allowed values are: ${allowed}`, locationOf(ctx, opNode, kat));
      }
    }
    return { append, replace };
  }

  private legacyAppend(ctx: FileCtx, node: YAMLMap, at: SourceLocation, ref: ItemRef): boolean {
    const append = decodeBool(ctx, node, 'append', at, true) ?? false;
    if (append) this.sink.warn('deprecated-item', WARNING_APPEND, at, ref);
    return append;
  }

  private list(ctx: FileCtx, node: YAMLMap, at: SourceLocation, name: string): void {
    const ref: ItemRef = { type: 'list', name };
    if (!LIST_NAME.test(name)) {
      this.sink.warn('invalid-list-name', `List has an invalid name. List names should match a regular expression: ${LIST_NAME.source}`, at, ref);
    }
    const items: ListItemText[] = decodeScalarSeq(ctx, node, 'items', at, false)!.map((d) => listItem(d));
    let append = this.legacyAppend(ctx, node, at, ref);
    const o = this.overrides(ctx, node, new Set(['items']), new Set(['items']), at);
    if (append && (o.append.size || o.replace.size)) throw new ItemError('override-append-conflict', ERROR_OVERRIDE_APPEND, at);
    append ||= o.append.has('items');
    if (append) this.collector.appendList(name, items, at);
    else this.collector.defineList({ name, items, location: at });
  }

  private macro(ctx: FileCtx, node: YAMLMap, at: SourceLocation, name: string): void {
    const ref: ItemRef = { type: 'macro', name };
    if (!MACRO_NAME.test(name)) {
      this.sink.warn('invalid-macro-name', `Macro has an invalid name. Macro names should match a regular expression: ${MACRO_NAME.source}`, at, ref);
    }
    const condition = decodeString(ctx, node, 'condition', at).mapped();
    let append = this.legacyAppend(ctx, node, at, ref);
    const o = this.overrides(ctx, node, new Set(['condition']), new Set(['condition']), at);
    if (append && (o.append.size || o.replace.size)) throw new ItemError('override-append-conflict', ERROR_OVERRIDE_APPEND, at);
    append ||= o.append.has('condition');
    if (append) this.collector.appendMacro(name, condition, at);
    else this.collector.defineMacro({ name, condition, location: at });
  }

  private rule(ctx: FileCtx, node: YAMLMap, at: SourceLocation, name: string): void {
    const ref: ItemRef = { type: 'rule', name };
    const legacyAppend = this.legacyAppend(ctx, node, at, ref);
    const o = this.overrides(ctx, node, RULE_APPENDABLE, RULE_REPLACEABLE, at);
    const hasOverrides = o.append.size > 0 || o.replace.size > 0;
    if (legacyAppend && hasOverrides) throw new ItemError('override-append-conflict', ERROR_OVERRIDE_APPEND, at);

    if (hasOverrides) {
      // Every appendable/replaceable key present must be claimed by exactly one override entry.
      const expected = new Set([...RULE_APPENDABLE, ...RULE_REPLACEABLE].filter((k) => has(node, k)));
      const claim = (set: Set<string>, kind: string, key: string): boolean => {
        if (!set.has(key)) return false;
        if (!expected.has(key)) {
          throw new ItemError('override-mismatch', `An ${kind} override for '${key}' was specified but '${key}' is not defined`, at);
        }
        expected.delete(key);
        return true;
      };
      const update = (set: Set<string>, kind: string): RuleUpdate => {
        const u: RuleUpdate = { name, location: at };
        if (claim(set, kind, 'condition')) u.condition = decodeString(ctx, node, 'condition', at).mapped();
        if (claim(set, kind, 'exceptions')) u.exceptions = this.exceptions(ctx, node, at, ref, true);
        if (claim(set, kind, 'output')) u.output = decodeString(ctx, node, 'output', at).mapped();
        if (claim(set, kind, 'desc')) u.desc = decodeString(ctx, node, 'desc', at).text;
        if (claim(set, kind, 'tags')) u.tags = tags(ctx, node, at);
        if (claim(set, kind, 'priority')) u.priority = priority(ctx, node, at);
        if (claim(set, kind, 'enabled')) u.enabled = decodeBool(ctx, node, 'enabled', at);
        if (claim(set, kind, 'warn_evttypes')) u.warnEvttypes = decodeBool(ctx, node, 'warn_evttypes', at);
        if (claim(set, kind, 'skip-if-unknown-filter')) u.skipIfUnknownFilter = decodeBool(ctx, node, 'skip-if-unknown-filter', at);
        if (claim(set, kind, 'capture')) u.capture = decodeBool(ctx, node, 'capture', at);
        if (claim(set, kind, 'capture_duration')) u.captureDuration = decodeInt(ctx, node, 'capture_duration', at);
        return u;
      };
      const appended = o.append.size > 0 ? update(o.append, 'append') : undefined;
      const replaced = o.replace.size > 0 ? update(o.replace, 'replace') : undefined;
      for (const key of expected) {
        throw new ItemError('override-mismatch', `Unexpected key '${key}': no corresponding entry under 'override' is defined.`, locationOf(ctx, pairOf(node, key), at));
      }
      if (appended) this.collector.appendRule(appended);
      if (replaced) this.collector.replaceRule(replaced);
      return;
    }

    if (legacyAppend) {
      // Legacy append only ever took condition and exceptions.
      const u: RuleUpdate = { name, location: at };
      if (has(node, 'condition')) u.condition = decodeString(ctx, node, 'condition', at).mapped();
      if (has(node, 'exceptions')) u.exceptions = this.exceptions(ctx, node, at, ref, true);
      this.collector.appendRule(u);
      return;
    }

    if (!has(node, 'condition') && !has(node, 'output') && !has(node, 'desc') && !has(node, 'priority')) {
      // `- rule: X / enabled: B`: toggles an existing rule.
      const enabled = decodeBool(ctx, node, 'enabled', at);
      this.sink.warn('deprecated-item', WARNING_ENABLED, at, ref);
      this.collector.enableRule(name, enabled, at);
      return;
    }

    const condition = decodeString(ctx, node, 'condition', at).mapped();
    const outputD = decodeString(ctx, node, 'output', at);
    const desc = decodeString(ctx, node, 'desc', at).text;
    const prio = priority(ctx, node, at);
    const [os, oe] = trimRange(outputD.text);
    const output = outputD.mapped().slice(os, oe);
    this.collector.defineRule({
      name,
      desc,
      condition,
      output,
      outputLocation: output.locate(0) ?? outputD.location,
      priority: prio,
      source: decodeString(ctx, node, 'source', at, true)?.text ?? 'syscall',
      enabled: decodeBool(ctx, node, 'enabled', at, true) ?? true,
      warnEvttypes: decodeBool(ctx, node, 'warn_evttypes', at, true) ?? true,
      skipIfUnknownFilter: decodeBool(ctx, node, 'skip-if-unknown-filter', at, true) ?? false,
      capture: decodeBool(ctx, node, 'capture', at, true) ?? false,
      captureDuration: decodeInt(ctx, node, 'capture_duration', at),
      tags: tags(ctx, node, at) ?? new Set(),
      exceptions: this.exceptions(ctx, node, at, ref, false),
      location: at,
    });
    decodeInt(ctx, node, 'capture_events', at);
    decodeInt(ctx, node, 'capture_filesize', at);
  }

  /** Falco's read_rule_exceptions; `append` makes `fields` optional (appending values to an existing exception). */
  private exceptions(ctx: FileCtx, node: YAMLMap, at: SourceLocation, ref: ItemRef, append: boolean): ExceptionInfo[] {
    const exs = valueOf(ctx, node, 'exceptions');
    if (exs === undefined || isNullNode(exs)) return [];
    if (!isSeq(exs)) throw new ItemError('bad-exception', 'Rule exceptions must be a sequence', locationOf(ctx, exs, at));
    const out: ExceptionInfo[] = [];
    for (const raw of exs.items) {
      const ex = deref(ctx, raw);
      const exAt = locationOf(ctx, ex, at);
      if (!isMap(ex)) throw new ItemError('bad-exception', 'Rule exception must be a mapping', exAt);
      const name = decodeString(ctx, ex, 'name', exAt).text;
      this.checkKeys(ctx, ex, EXCEPTION_KEYS, ref);
      if (out.some((e) => e.name === name)) {
        this.sink.warn('exception-name-not-unique', `Multiple definitions of exception '${name}' in the same rule`, exAt, ref);
      }
      const info: ExceptionInfo = { name, values: [], location: exAt };
      const fields = exceptionEntry(ctx, valueOf(ctx, ex, 'fields'), 'fields', exAt, append);
      if (fields) info.fields = fields;
      const comps = exceptionEntry(ctx, valueOf(ctx, ex, 'comps'), 'comps', exAt, true);
      if (comps) info.comps = comps;
      const values = valueOf(ctx, ex, 'values');
      if (values !== undefined) {
        if (!isSeq(values)) throw new ItemError('bad-exception', 'Rule exception values must be a sequence', locationOf(ctx, values, exAt));
        for (const v of values.items) info.values.push(exceptionEntry(ctx, deref(ctx, v), 'values', exAt, false)!);
      } else if (append) {
        this.sink.warn('append-no-values', 'Overriding/appending exception with no values', exAt, ref);
      }
      out.push(info);
    }
    return out;
  }
}

/** A field, comparison or value of an exception: a non-empty scalar, or a sequence of them (nested). */
function exceptionEntry(ctx: FileCtx, node: Node | null | undefined, key: string, at: SourceLocation, optional: boolean): ExceptionEntry | undefined {
  if (node === undefined) {
    if (optional) return undefined;
    throw new ItemError('bad-exception', `Item has no mapping for key '${key}'`, at);
  }
  const nat = locationOf(ctx, node, at);
  if (isSeq(node)) {
    return { list: true, item: '', items: node.items.map((v) => exceptionEntry(ctx, deref(ctx, v), key, nat, false)!), location: nat };
  }
  if (isScalar(node) && !isNullNode(node)) {
    const d = scalarString(ctx, node, key, nat);
    return { list: false, item: d.text, items: [], location: d.location, at: d.mapped() };
  }
  throw new ItemError('bad-exception', `Exception ${key} must be a non-empty string or a sequence`, nat);
}

function listItem(d: DecodedString): ListItemText {
  return {
    text: d.text,
    at: d.mapped(),
    get location() {
      return d.location;
    },
  };
}

function tags(ctx: FileCtx, node: YAMLMap, at: SourceLocation): Set<string> | undefined {
  const seq = decodeScalarSeq(ctx, node, 'tags', at, true);
  return seq && new Set(seq.map((t) => t.text).sort());
}

function priority(ctx: FileCtx, node: YAMLMap, at: SourceLocation): Priority {
  const d = decodeString(ctx, node, 'priority', at);
  const p = parsePriority(d.text);
  if (!p) throw new ItemError('bad-priority', `Invalid priority '${d.text}'`, d.location);
  return p;
}

export { MappedText };
