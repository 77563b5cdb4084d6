// What a source is to the rest of Kestrel: one module object per source (sources/<name>/index.ts)
// carrying its event source (fields, event types: the engine's contract), its settings section
// (defaults and checks) and a factory for its runner. The agent composes the list of modules
// (agent/source-list.ts), so adding a source is one line there.
// The runner is how the agent drives a live source: it starts the enabled ones, hands each the
// current rules (and every later rules swap), and reports readiness on /readyz.
import type { Logger } from 'pino';
import type { EventSource } from '../engine/event-source.js';
import type { AnyEvent } from '../fields/types.js';

/** A source's section of the agent config (`sources.<name>`). */
export interface ConfigSection<C extends { enabled: boolean }> {
  /**
   * Every key with its default. The agent checks a user's section against this shape (unknown
   * keys and values of another type are errors naming the key) and fills in what it leaves out.
   */
  readonly defaults: C;
  /** Problems beyond types (ranges, combinations), each naming its key under `path`. */
  check?(config: C, path: string): string[];
  /**
   * Settles defaults that depend on other settings, given the keys the user set (`user`: the
   * section as written, possibly empty).
   */
  complete?(config: C, user: Readonly<Record<string, unknown>>): void;
  /** Makes relative file paths absolute against `base` (the config file's directory). */
  resolvePaths?(config: C, base: string): void;
}

/** One event source: what rules can say about its events, its settings, and its live runner. */
export interface SourceModule<C extends { enabled: boolean } = { enabled: boolean }, E = AnyEvent> {
  /** The name rules use in `source:` and the config in `sources.<name>`. */
  readonly name: string;
  readonly eventSource: EventSource<E>;
  readonly config: ConfigSection<C>;
  /** The live runner for checked settings. */
  createRunner(config: C): SourceRunner<E>;
}

/** What a runner may ask of the active rules; the engine's RuleSet satisfies it. */
export interface RulesView {
  /** The compiled rules of one source, absent when no rule targets it. */
  forSource(source: string): unknown;
}

export interface SourceContext<E> {
  /**
   * Evaluate one event now (synchronously) against the active rules and send its alerts to the
   * outputs. Never throws for a bad event: failures are counted and logged by the agent.
   */
  emit(event: E): void;
  /** The rules active right now (changes on reload; see SourceRunner.rulesChanged). */
  rules(): RulesView;
  log: Logger;
}

export interface SourceRunner<E = unknown> {
  /** The event source name rules use in `source:` ('syscall', 'k8s_audit'). */
  readonly name: string;
  /**
   * Attach and begin delivering events through ctx.emit. Rejects with an Error whose message says
   * why the source cannot run (not root, no BTF, port in use, missing certificate, ...); the
   * agent logs it once and keeps the other sources running.
   */
  start(ctx: SourceContext<E>): Promise<void>;
  /** Stop accepting new input and deliver everything already accepted, then detach. */
  stop(): Promise<void>;
  /** True while attached and delivering events (drives /readyz). */
  ready(): boolean;
  /** Why the source is not ready, for /readyz and logs. */
  notReadyReason?(): string | undefined;
  /** Called after an atomic rules swap, e.g. to reprogram a kernel-side syscall filter. */
  rulesChanged?(rules: RulesView): void | Promise<void>;
}
