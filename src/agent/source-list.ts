// The sources this agent runs, in one list: adding a source is one line here (its module under
// src/sources/<name>/ brings its event source, fields, settings and runner).
import type { EventSource } from '../engine/event-source.js';
import type { SourceModule, SourceRunner } from '../sources/source-module.js';
import { k8sAuditModule } from '../sources/k8saudit/index.js';
import { syscallModule } from '../sources/syscall/index.js';
import type { AgentConfig } from './config.js';

export const SOURCE_MODULES = [syscallModule, k8sAuditModule] as const;

/** The settings of every source, by name (`sources.<name>` in the agent config). */
export type SourcesConfig = {
  [M in (typeof SOURCE_MODULES)[number] as M['name']]: M extends SourceModule<infer C> ? C : never;
};

/** The same list seen through the common interface (for code that treats every source alike). */
export const sourceModules: readonly SourceModule[] = SOURCE_MODULES;

/** A source's section of the agent config. */
export function sourceConfig(c: AgentConfig, m: SourceModule): { enabled: boolean } {
  return (c.sources as Record<string, { enabled: boolean }>)[m.name]!;
}

export type RunnerFactory = (config: AgentConfig) => SourceRunner | Promise<SourceRunner>;

/** Every event source Kestrel knows, by name (rules name them in `source:`). */
export function builtinSources(): Map<string, EventSource> {
  return new Map<string, EventSource>(SOURCE_MODULES.map((m) => [m.name, m.eventSource]));
}

/** The runner factory of every source, by name. */
export function sourceRunners(): Record<string, RunnerFactory> {
  const out: Record<string, RunnerFactory> = {};
  for (const m of sourceModules) out[m.name] = (c) => m.createRunner(sourceConfig(c, m));
  return out;
}
