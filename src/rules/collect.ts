// Collect stage (Falco's rule_loader::collector): accumulates lists, macros and rules across
// files in load order. A redefinition replaces the item but keeps its original place; appends
// and overrides change an existing item and fail when there is none.
import type { EventSource } from '../engine/event-source.js';
import { ItemError, type DiagnosticSink } from './diagnostics.js';
import { validateException } from './exceptions.js';
import type { ListInfo, ListItemText, MacroInfo, PluginRequirementInfo, RuleInfo, RuleUpdate } from './items.js';
import type { MappedText } from './mapped-text.js';
import type { SourceLocation } from '../condition/ast.js';
import { BUILTIN_PLUGINS, compareSemver, compatibleWith, ENGINE_VERSION, formatSemver, parseSemver, type Semver } from './versions.js';

export interface RequiredEngineVersion {
  version: Semver;
  location: SourceLocation;
}

export class Collector {
  readonly lists = new Map<string, ListInfo>();
  readonly macros = new Map<string, MacroInfo>();
  readonly rules = new Map<string, RuleInfo>();
  requiredEngineVersion?: RequiredEngineVersion;
  readonly pluginRequirements: PluginRequirementInfo[] = [];
  private counter = 0;

  constructor(
    private readonly sources: ReadonlyMap<string, EventSource>,
    private readonly sink: DiagnosticSink,
  ) {}

  defineEngineVersion(version: Semver, location: SourceLocation): void {
    const have = parseSemver(ENGINE_VERSION)!;
    if (!compatibleWith(have, version)) {
      throw new ItemError(
        'engine-version',
        `Rules require engine version ${formatSemver(version)}, but engine version is ${ENGINE_VERSION}`,
        location,
      );
    }
    if (!this.requiredEngineVersion || compareSemver(this.requiredEngineVersion.version, version) < 0) {
      this.requiredEngineVersion = { version, location };
    }
  }

  /** Records a plugin requirement; it must be met by a plugin Kestrel has built in. */
  definePluginRequirement(info: PluginRequirementInfo): void {
    const seen = new Set<string>();
    for (const req of info.alternatives) {
      if (!parseSemver(req.version)) {
        throw new ItemError('plugin-version', `Invalid required version '${req.version}' for plugin '${req.name}'`, info.location);
      }
      if (seen.has(req.name)) {
        throw new ItemError('plugin-version', `Defined multiple alternative version requirements for plugin '${req.name}'`, info.location);
      }
      seen.add(req.name);
    }
    this.pluginRequirements.push(info);
    const met = info.alternatives.some((req) => {
      const have = BUILTIN_PLUGINS.get(req.name);
      return have !== undefined && compatibleWith(parseSemver(have)!, parseSemver(req.version)!);
    });
    if (!met) {
      const wanted = info.alternatives.map((r) => `${r.name} (>= ${r.version})`).join(', ');
      const built = [...BUILTIN_PLUGINS].map(([n, v]) => `${n} ${v}`).join(', ');
      throw new ItemError(
        'plugin-requirement',
        `Plugin requirement not satisfied, must load one of: ${wanted}; Kestrel has built in: ${built}`,
        info.location,
      );
    }
  }

  defineList(info: Omit<ListInfo, 'index' | 'visibility'>): void {
    define(this.lists, info, this.counter++);
  }

  appendList(name: string, items: ListItemText[], location: SourceLocation): void {
    const prev = this.lists.get(name);
    if (!prev) {
      throw new ItemError('no-previous-list', "List uses 'append' or 'override.items: append' but no list by that name already exists", location);
    }
    prev.items = [...prev.items, ...items];
    prev.visibility = this.counter++;
  }

  defineMacro(info: Omit<MacroInfo, 'index' | 'visibility'>): void {
    define(this.macros, info, this.counter++);
  }

  appendMacro(name: string, condition: MappedText, location: SourceLocation): void {
    const prev = this.macros.get(name);
    if (!prev) {
      throw new ItemError('no-previous-macro', "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists", location);
    }
    prev.condition = prev.condition.clone().append(' ').appendMapped(condition);
    prev.visibility = this.counter++;
  }

  defineRule(info: Omit<RuleInfo, 'index' | 'visibility' | 'unknownSource'>): void {
    const prev = this.rules.get(info.name);
    if (prev && prev.source !== info.source) {
      throw new ItemError('rule-source-changed', 'Rule has been re-defined with a different source', info.location);
    }
    const source = this.sources.get(info.source);
    if (!source) this.sink.warn('unknown-source', `Unknown source ${info.source}, skipping`, info.location, { type: 'rule', name: info.name });
    for (const ex of info.exceptions) {
      if (!ex.fields || !entryValid(ex.fields)) {
        throw new ItemError('exception-invalid', 'Rule exception item must have fields property with a list of fields', ex.location);
      }
      validateException(source, ex);
    }
    define(this.rules, { ...info, unknownSource: !source }, this.counter++);
  }

  /** Legacy `append: true` and `override: {key: append}`. */
  appendRule(update: RuleUpdate): void {
    const prev = this.rules.get(update.name);
    if (!prev) {
      throw new ItemError('no-previous-rule', "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists", update.location);
    }
    if (!hasAnyValue(update)) {
      throw new ItemError('no-previous-rule', 'Appended rule must have exceptions or condition property', update.location);
    }
    const source = prev.unknownSource ? undefined : this.sources.get(prev.source);
    if (update.condition && update.condition.text !== '') prev.condition = prev.condition.clone().append(' ').appendMapped(update.condition);
    if (update.output && update.output.text !== '') prev.output = prev.output.clone().append(' ').appendMapped(update.output);
    if (update.desc) prev.desc += ' ' + update.desc;
    if (update.tags) prev.tags = new Set([...prev.tags, ...update.tags]);
    if (update.exceptions) {
      const merged = prev.exceptions.slice();
      for (const ex of update.exceptions) {
        const i = merged.findIndex((p) => p.name === ex.name);
        if (i < 0) {
          if (!ex.fields || !entryValid(ex.fields)) {
            throw new ItemError('exception-invalid', 'Rule exception must have fields property with a list of fields', ex.location);
          }
          if (ex.values.length === 0) {
            throw new ItemError('exception-invalid', 'Rule exception must have values property with a list of values', ex.location);
          }
          validateException(source, ex);
          merged.push(ex);
        } else {
          if (ex.fields) throw new ItemError('exception-invalid', 'Can not append exception fields to existing exception, only values', ex.location);
          if (ex.comps) throw new ItemError('exception-invalid', 'Can not append exception comps to existing exception, only values', ex.location);
          merged[i] = { ...merged[i]!, values: [...merged[i]!.values, ...ex.values] };
        }
      }
      prev.exceptions = merged;
    }
    prev.visibility = this.counter++;
  }

  /** `override: {key: replace}`. */
  replaceRule(update: RuleUpdate): void {
    const prev = this.rules.get(update.name);
    if (!prev) {
      throw new ItemError('no-previous-rule', "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists", update.location);
    }
    if (!hasAnyValue(update)) throw new ItemError('no-previous-rule', 'The rule must have at least one field that can be replaced', update.location);
    const source = prev.unknownSource ? undefined : this.sources.get(prev.source);
    if (update.exceptions) {
      for (const ex of update.exceptions) {
        if (!ex.fields || !entryValid(ex.fields)) {
          throw new ItemError('exception-invalid', 'Rule exception item must have fields property with a list of fields', ex.location);
        }
        validateException(source, ex);
      }
      prev.exceptions = update.exceptions;
    }
    if (update.condition) prev.condition = update.condition;
    if (update.output) prev.output = update.output;
    if (update.desc !== undefined) prev.desc = update.desc;
    if (update.tags) prev.tags = update.tags;
    if (update.priority) prev.priority = update.priority;
    if (update.enabled !== undefined) prev.enabled = update.enabled;
    if (update.warnEvttypes !== undefined) prev.warnEvttypes = update.warnEvttypes;
    if (update.skipIfUnknownFilter !== undefined) prev.skipIfUnknownFilter = update.skipIfUnknownFilter;
    if (update.capture !== undefined) prev.capture = update.capture;
    if (update.captureDuration !== undefined) prev.captureDuration = update.captureDuration;
    prev.visibility = this.counter++;
  }

  /** The deprecated `- rule: X / enabled: B` form. */
  enableRule(name: string, enabled: boolean, location: SourceLocation): void {
    const prev = this.rules.get(name);
    if (!prev) throw new ItemError('no-previous-rule', "Rule has 'enabled' key but no rule by that name already exists", location);
    prev.enabled = enabled;
  }
}

function define<T extends { name: string; index: number; visibility: number }>(
  infos: Map<string, T>,
  info: Omit<T, 'index' | 'visibility'>,
  id: number,
): void {
  const prev = infos.get(info.name);
  // Map.set on an existing key keeps its place: the redefinition takes the original's index.
  infos.set(info.name, { ...info, index: prev ? prev.index : id, visibility: id } as T);
}

function entryValid(e: { list: boolean; item: string; items: unknown[] }): boolean {
  return e.list ? e.items.length > 0 : e.item !== '';
}

function hasAnyValue(u: RuleUpdate): boolean {
  return (
    u.condition !== undefined ||
    u.output !== undefined ||
    u.desc !== undefined ||
    u.tags !== undefined ||
    u.exceptions !== undefined ||
    u.priority !== undefined ||
    u.enabled !== undefined ||
    u.warnEvttypes !== undefined ||
    u.skipIfUnknownFilter !== undefined ||
    u.capture !== undefined ||
    u.captureDuration !== undefined
  );
}
