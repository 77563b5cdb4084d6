// What the reader extracts from rules files and the collector accumulates: lists, macros and
// rules as written (conditions still text), before lists and macros are resolved.
import type { MappedText } from './mapped-text.js';
import type { SourceLocation } from '../condition/ast.js';
import type { Priority } from '../engine/rule.js';

/** A list item as written; `text` is inserted into conditions the way Falco does (quoted if it has spaces). */
export interface ListItemText {
  text: string;
  /** Place of each character of `text`. */
  at: MappedText;
  readonly location: SourceLocation;
}

/** Position bookkeeping shared by lists, macros and rules (Falco's index/visibility). */
export interface Ordered {
  /** Order of first definition: a redefinition keeps the original's place. */
  index: number;
  /** Order of the latest definition or append: what the item can see of earlier items. */
  visibility: number;
}

export interface ListInfo extends Ordered {
  name: string;
  items: ListItemText[];
  location: SourceLocation;
}

export interface MacroInfo extends Ordered {
  name: string;
  condition: MappedText;
  location: SourceLocation;
}

/** One value of an exception's fields/comps/values: a scalar, or a list of entries. */
export interface ExceptionEntry {
  list: boolean;
  item: string;
  items: ExceptionEntry[];
  location: SourceLocation;
  /** For scalars: where each character of `item` was written. */
  at?: MappedText;
}

export interface ExceptionInfo {
  name: string;
  fields?: ExceptionEntry;
  comps?: ExceptionEntry;
  values: ExceptionEntry[];
  location: SourceLocation;
}

export interface RuleInfo extends Ordered {
  name: string;
  desc: string;
  condition: MappedText;
  output: MappedText;
  outputLocation: SourceLocation;
  priority: Priority;
  source: string;
  /** Falco keeps tags in a std::set: unique and sorted. */
  tags: Set<string>;
  enabled: boolean;
  warnEvttypes: boolean;
  skipIfUnknownFilter: boolean;
  capture: boolean;
  captureDuration?: number;
  exceptions: ExceptionInfo[];
  /** The rule's source is not loaded: it is kept (later items may refer to it) but never compiled. */
  unknownSource: boolean;
  location: SourceLocation;
}

/** An append (legacy `append: true` or `override: {key: append}`) or a selective replace. */
export interface RuleUpdate {
  name: string;
  location: SourceLocation;
  condition?: MappedText;
  output?: MappedText;
  desc?: string;
  tags?: Set<string>;
  exceptions?: ExceptionInfo[];
  priority?: Priority;
  enabled?: boolean;
  warnEvttypes?: boolean;
  skipIfUnknownFilter?: boolean;
  capture?: boolean;
  captureDuration?: number;
}

export interface PluginRequirement {
  name: string;
  version: string;
}

/** One `required_plugin_versions` entry: any one of the alternatives satisfies it. */
export interface PluginRequirementInfo {
  alternatives: PluginRequirement[];
  location: SourceLocation;
}
