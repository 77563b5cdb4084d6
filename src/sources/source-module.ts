// What a source is to the rest of Kestrel: one module object per source (sources/<name>/index.ts)
// carrying its event source (fields, event types: the engine's contract), its settings section
// (defaults and checks) and a factory for its runner. The agent composes the list of modules
// (agent/source-list.ts), so adding a source is one line there.
// The runner is how the agent drives a live source: it starts the enabled ones, hands each the
// current rules (and every later rules swap), and reports readiness on /readyz.
import type { Logger } from 'pino';
import type { EventSource } from '../engine/event-source.js';
import type { Alert } from '../engine/alert.js';
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

/**
 * Falco's `capture` section: when a rule fires (a rule with `capture: true`, or any rule in
 * `all_rules` mode), record the events that follow for a while into a capture file.
 */
export interface RuleCaptureSettings {
  enabled: boolean;
  /** Files are `<path_prefix>_<event time ns>_<evt.num>.kcap`. */
  path_prefix: string;
  mode: 'rules' | 'all_rules';
  /** ms, for rules without `capture_duration`. */
  default_duration: number;
  /** Hard cap per capture file, MiB (0: none). */
  max_file_size_mb: number;
  /** Kestrel: what a capture records. `process`: the triggering event's container, or (host) its process and descendants; `all`: every event, as Falco. */
  scope: 'process' | 'all';
  /** Kestrel: captures recording at once (different containers/processes); more triggers are counted and skipped. */
  max_active: number;
}

/** A capture asked for by a response action (SourceRunner.captureFor). */
export interface CaptureRequest {
  durationMs: number;
  /** Files are `<pathPrefix>_<event time ns>_<evt.num>.kcap`. */
  pathPrefix: string;
  /** Cap on the file, MiB (capture.max_file_size_mb, when set, caps it further). */
  maxSizeMb: number;
  /** Who asked (the log names it): e.g. `response rule "X"`. */
  reason: string;
}

/** The capture recording the event now (`extended`: it was recording already), or why none is. */
export type CaptureStarted = { path: string; extended: boolean; scope: string } | { error: string };

export interface SourceContext<E> {
  /**
   * Evaluate one event now (synchronously) against the active rules and send its alerts to the
   * outputs. Never throws for a bad event: failures are counted and logged by the agent.
   */
  emit(event: E): void;
  /** As emit, returning the alerts it sent (a shared empty array when none); given by the agent. */
  evaluate?(event: E): readonly Alert[];
  /** The agent's `capture` settings, for sources that record rule-triggered captures. */
  capture?: RuleCaptureSettings;
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
  /**
   * Start (or extend) a capture of what `event` is about, for the event being evaluated now: call
   * it while that event's alerts are handed out. Sources without captures leave it out.
   */
  captureFor?(event: E, request: CaptureRequest): CaptureStarted;
  /** Called after an atomic rules swap, e.g. to reprogram a kernel-side syscall filter. */
  rulesChanged?(rules: RulesView): void | Promise<void>;
}
