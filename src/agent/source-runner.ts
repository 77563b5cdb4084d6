// How the agent drives an event source. Each live source (syscall via eBPF, k8s_audit via the
// webhook) implements SourceRunner; the agent starts the enabled ones, hands each the current
// rules (and every later rules swap), and reports readiness on /readyz.
import type { Logger } from 'pino';

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
