// The agent: rules + live sources + outputs + the metrics/health server, with reload (rules
// swapped atomically, a bad reload keeps the old rules; given a new config, outputs rebuilt and
// sources restarted only when their settings changed) and graceful shutdown (sources drain what
// they accepted, outputs flush).
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Writable } from 'node:stream';
import { reportReadiness, rulesLoaded, rulesReloads } from './metrics.js';
import { startHealthServer, type SourceStatus } from './http-server.js';
import type { EvaluationErrorHandler, RuleSet } from '../engine/ruleset.js';
import type { AlertOutput, CloseReport } from '../outputs/alert-output.js';
import { createOutputs } from '../outputs/create.js';
import { minPriority, pinoLevel, rulesLimits, type AgentConfig } from './config.js';
import { AlertMetrics } from './alert-metrics.js';
import { agentHostname } from '../engine/hostname.js';
import { ruleSelector, type CommandLineSelection } from '../rules/selection.js';
import { Pipeline } from './pipeline.js';
import { evaluationErrorReporter } from './evaluation-errors.js';
import { describeDiagnostic, loadAgentRules, logDiagnostics, type LoadedRules, type RulesOptions } from './agent-rules.js';
import type { SourceRunner } from '../sources/source-module.js';
import { SOURCE_MODULES, sourceRunners, type RunnerFactory } from './source-list.js';
import { loadResponses, type ResponsesConfig } from '../respond/config.js';
import { Responder } from '../respond/responder.js';

export interface AgentOptions {
  config: AgentConfig;
  /** -r: rules files/directories replacing the config's rules_files. */
  rulesPaths?: string[];
  /** --json: overrides json_output. */
  json?: boolean;
  /** --disable-source NAME... */
  disabledSources?: string[];
  /** -t / -T / -D: rule selection from the command line (after the config's `rules:`). */
  selection?: CommandLineSelection;
  /** -p: text appended to the output of every syscall rule. */
  appendOutput?: string;
  log: Logger;
  /** Where the stdout output writes (tests pass their own stream). */
  stdout?: Writable;
  /** Source runners by name (defaults to every built-in one). */
  runners?: Record<string, RunnerFactory>;
  /** Automatic responses (default: read from the config's responses_file, if set). */
  responses?: ResponsesConfig;
}

export class RulesLoadError extends Error {
  constructor(readonly loaded: LoadedRules) {
    super(`rules did not load:\n${loaded.errors.map(describeDiagnostic).join('\n')}`);
  }
}

interface SourceSlot {
  name: string;
  runner?: SourceRunner;
  /** Why the source is not running (start failed, not available). */
  failure?: string;
}

const SOURCE_NAMES = SOURCE_MODULES.map((m) => m.name);

export class Agent {
  private readonly slots: SourceSlot[] = [];
  private health: FastifyInstance | undefined;
  private reloading: Promise<boolean> | undefined;
  private reloadAgain = false;
  /** A config given to reload() while one runs: the next reload applies it. */
  private pendingConfig: AgentConfig | undefined;
  private stopped = false;
  private responder: Responder | undefined;
  private readonly toggleKillSwitch = () => this.responder?.setKillSwitch(!this.responder.killSwitchEngaged);

  private constructor(
    private opts: AgentOptions,
    private readonly pipeline: Pipeline,
    private outputs: AlertOutput[],
    private readonly log: Logger,
    private readonly alertMetrics: AlertMetrics,
    /** Counts and logs the rules that throw on an event; kept across reloads. */
    private readonly onEvaluationError: EvaluationErrorHandler,
  ) {}

  get config(): AgentConfig {
    return this.opts.config;
  }

  static async start(opts: AgentOptions): Promise<Agent> {
    const log = opts.log;
    const cfg = opts.config;
    const onEvaluationError = evaluationErrorReporter(log);
    const loaded = await loadAgentRules(rulesOptionsFor(opts, onEvaluationError));
    if (!loaded.ruleset) {
      logDiagnostics(log, loaded);
      throw new RulesLoadError(loaded);
    }
    logDiagnostics(log, loaded);
    if (enabledSources(opts).length === 0) {
      throw new Error('every event source is disabled (sources.<name>.enabled, --disable-source): there would be nothing to watch');
    }
    const outputs = makeOutputs(opts);
    const alertMetrics = new AlertMetrics(alertMetricsOptions(cfg));
    const agent = new Agent(opts, new Pipeline(loaded.ruleset, outputs, log, alertMetrics), outputs, log, alertMetrics, onEvaluationError);
    agent.recordRules(loaded.ruleset);
    await agent.startResponses();
    log.info({ rules: agent.ruleCounts(loaded.ruleset), files: rulesOptionsFor(opts).paths }, 'rules loaded');

    await agent.startHealth();
    await agent.startSources();
    // kestrel_source_ready is read from the runners at each scrape: it follows a source that
    // detaches later, and is set in this one place.
    reportReadiness(() => (agent.stopped ? [] : agent.sourceStatus()), SOURCE_NAMES);
    return agent;
  }

  /** Wires the responder after the outputs; SIGUSR2 toggles its kill switch. */
  private async startResponses(): Promise<void> {
    const file = this.opts.config.responses_file;
    const config = this.opts.responses ?? (file ? await loadResponses(file) : undefined);
    if (!config?.enabled) return;
    this.responder = new Responder({
      config,
      log: this.log.child({ component: 'respond' }),
      publish: (a) => this.outputs.forEach((o) => o.write(a)),
      sources: SOURCE_NAMES,
      fields: (source) => SOURCE_MODULES.find((m) => m.name === source)?.eventSource.fields,
      // the capture action records through the syscall source's captures (one collector)
      capture: (event, ask) => this.runner('syscall')?.captureFor?.(event, ask) ?? { error: 'the syscall source is not running' },
    });
    const responder = this.responder;
    this.pipeline.respondWith((alert, event) => responder.onAlert(alert, event));
    process.on('SIGUSR2', this.toggleKillSwitch);
  }

  /** SIGHUP: the responses file again; a bad one keeps the responses in force. */
  private async reloadResponses(): Promise<void> {
    const file = this.opts.config.responses_file;
    if (!this.responder || !file || this.opts.responses) return;
    try {
      const cfg = await loadResponses(file);
      this.responder.reconfigure(cfg.enabled ? cfg : { ...cfg, rules: [] });
    } catch (err) {
      this.log.error(`responses reload failed; keeping the previous responses:\n${(err as Error).message}`);
    }
  }

  get responses(): Responder | undefined {
    return this.responder;
  }

  private async startHealth(): Promise<void> {
    const web = this.opts.config.webserver;
    if (!web.enabled) return;
    this.health = await startHealthServer({
      address: web.listen_address,
      port: web.listen_port,
      healthzPath: web.k8s_healthz_endpoint,
      metrics: web.prometheus_metrics_enabled,
      ...(web.ssl_enabled ? { tlsPem: web.ssl_certificate } : {}),
      sources: () => this.sourceStatus(),
    });
    const scheme = web.ssl_enabled ? 'https' : 'http';
    const paths = [...(web.prometheus_metrics_enabled ? ['/metrics'] : []), web.k8s_healthz_endpoint, '/readyz'];
    this.log.info(`metrics and health on ${scheme}://${web.listen_address}:${this.healthPort()} (${paths.join(' ')})`);
  }

  private async startSources(names = enabledSources(this.opts)): Promise<void> {
    const cfg = this.opts.config;
    const factories = this.opts.runners ?? sourceRunners();
    await Promise.all(
      names.map(async (name) => {
        const slot: SourceSlot = { name };
        this.slots.push(slot);
        const factory = factories[name];
        if (!factory) {
          slot.failure = `source ${name} is not available in this build`;
          this.log.error(`${slot.failure}; other sources keep running (disable it with --disable-source ${name})`);
          return;
        }
        try {
          slot.runner = await factory(cfg);
          await slot.runner.start({
            emit: this.pipeline.emitter(name),
            evaluate: this.pipeline.evaluator(name),
            capture: cfg.capture,
            rules: () => this.pipeline.rules,
            log: this.log.child({ source: name }),
          });
        } catch (err) {
          slot.failure = (err as Error).message;
          this.log.error({ source: name }, `source ${name} cannot start: ${slot.failure}; other sources keep running`);
        }
      }),
    );
    this.slots.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async stopSource(name: string): Promise<void> {
    const i = this.slots.findIndex((s) => s.name === name);
    if (i < 0) return;
    const [slot] = this.slots.splice(i, 1);
    try {
      await slot!.runner?.stop();
    } catch (err) {
      this.log.error({ source: name }, `source ${name} did not stop cleanly: ${(err as Error).message}`);
    }
  }

  /** Every enabled source and whether it is attached (for /readyz). */
  sourceStatus(): SourceStatus[] {
    return this.slots.map((s) => {
      if (s.failure) return { name: s.name, ready: false, reason: s.failure };
      const ready = s.runner?.ready() ?? false;
      return ready ? { name: s.name, ready } : { name: s.name, ready, reason: s.runner?.notReadyReason?.() ?? 'not ready' };
    });
  }

  runner(name: string): SourceRunner | undefined {
    return this.slots.find((s) => s.name === name)?.runner;
  }

  healthPort(): number | undefined {
    const a = this.health?.server.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /**
   * Loads the rules again and swaps them in; on any error the old rules stay. With `config` (a
   * config already read and checked), applies it too: outputs rebuilt and sources restarted only
   * where their settings changed. Reloads requested while one runs are folded into one more.
   */
  reload(config?: AgentConfig): Promise<boolean> {
    if (config) this.pendingConfig = config;
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      let ok: boolean;
      do {
        this.reloadAgain = false;
        ok = await this.reloadOnce();
      } while (this.reloadAgain && !this.stopped);
      this.reloading = undefined;
      return ok;
    })();
    return this.reloading;
  }

  private async reloadOnce(): Promise<boolean> {
    // SIGHUP is also what log rotation sends: files reopen whatever the rules do.
    for (const o of this.outputs) o.reopen?.();
    const next = this.pendingConfig;
    this.pendingConfig = undefined;
    const nextOpts = next ? { ...this.opts, config: next } : this.opts;
    await this.reloadResponses();
    this.log.info('reloading rules');
    let loaded: LoadedRules;
    try {
      loaded = await loadAgentRules(rulesOptionsFor(nextOpts, this.onEvaluationError));
    } catch (err) {
      loaded = { errors: [{ severity: 'error', code: 'load-failed', message: (err as Error).message }], warnings: [] };
    }
    if (!loaded.ruleset) {
      logDiagnostics(this.log, loaded);
      rulesReloads.labels({ result: 'error' }).inc();
      this.log.error({ errors: loaded.errors.length }, `rules reload failed; keeping the previous rules${next ? ' and configuration' : ''}`);
      return false;
    }
    logDiagnostics(this.log, loaded);
    if (next) await this.applyConfig(next);
    this.pipeline.swap(loaded.ruleset);
    this.recordRules(loaded.ruleset);
    rulesReloads.labels({ result: 'ok' }).inc();
    for (const s of this.slots) {
      try {
        await s.runner?.rulesChanged?.(loaded.ruleset);
      } catch (err) {
        this.log.error({ source: s.name }, `source ${s.name} could not apply the new rules: ${(err as Error).message}`);
      }
    }
    this.log.info({ rules: this.ruleCounts(loaded.ruleset) }, 'rules reloaded');
    return true;
  }

  /** Switches to `next` (whose rules loaded): log level, metrics labels, outputs, server, sources. */
  private async applyConfig(next: AgentConfig): Promise<void> {
    const prev = this.opts.config;
    const prevEnabled = new Set(enabledSources(this.opts));
    this.opts = { ...this.opts, config: next };
    this.log.level = pinoLevel(next);
    this.alertMetrics.configure(alertMetricsOptions(next));
    const changed: string[] = [];
    if (outputSettings(prev) !== outputSettings(next)) {
      await this.replaceOutputs(prev.http_output.spool.directory !== '' || next.http_output.spool.directory !== '');
      changed.push('outputs');
    }
    if (JSON.stringify(prev.webserver) !== JSON.stringify(next.webserver)) {
      await this.health?.close();
      this.health = undefined;
      await this.startHealth();
      changed.push('webserver');
    }
    const nextEnabled = new Set(enabledSources(this.opts));
    for (const name of SOURCE_NAMES) {
      const same = JSON.stringify(prev.sources[name as keyof typeof prev.sources]) === JSON.stringify(next.sources[name as keyof typeof next.sources]);
      if (prevEnabled.has(name) && (!nextEnabled.has(name) || !same)) {
        await this.stopSource(name);
        changed.push(`source ${name} stopped`);
      }
      if (nextEnabled.has(name) && (!prevEnabled.has(name) || !same)) {
        await this.startSources([name]);
        changed.push(`source ${name} started`);
      }
    }
    this.log.info({ changed }, changed.length > 0 ? `configuration applied: ${changed.join(', ')}` : 'configuration applied (no output, server or source setting changed)');
  }

  /**
   * New outputs for the new settings. The old ones get outputs_drain_timeout_ms to deliver what
   * they hold; with a spool they are closed first (one process at a time owns a spool
   * directory) while the alerts raised meanwhile wait in the pipeline (up to
   * outputs_queue_capacity) for the new ones; otherwise the new ones take the alerts at once.
   */
  private async replaceOutputs(spool: boolean): Promise<void> {
    const old = this.outputs;
    const drainMs = this.opts.config.outputs_drain_timeout_ms;
    const closeOld = async () => this.reportLeftovers(await Promise.all(old.map((o) => o.close(drainMs))), `not delivered within ${drainMs} ms of the reload`);
    if (spool) {
      this.pipeline.holdAlerts(this.opts.config.outputs_queue_capacity);
      this.log.info('outputs: holding new alerts while the old spooled outputs drain');
      await closeOld();
    }
    this.outputs = makeOutputs(this.opts);
    this.pipeline.setOutputs(this.outputs);
    if (!spool) await closeOld();
  }

  /**
   * Stops the sources (each delivers what it accepted), gives the outputs `drainMs` to deliver
   * what they hold, says what they could not (spooled or dropped), closes the server.
   */
  async stop(drainMs = this.opts.config.outputs_drain_timeout_ms): Promise<CloseReport[]> {
    if (this.stopped) return [];
    this.stopped = true;
    await Promise.all(
      this.slots.map(async (s) => {
        try {
          await s.runner?.stop();
        } catch (err) {
          this.log.error({ source: s.name }, `source ${s.name} did not stop cleanly: ${(err as Error).message}`);
        }
      }),
    );
    process.off('SIGUSR2', this.toggleKillSwitch);
    await this.responder?.close();
    const reports = await Promise.all(this.outputs.map((o) => o.close(drainMs)));
    this.reportLeftovers(reports, `not delivered within ${drainMs} ms`);
    await this.health?.close();
    return reports;
  }

  /** Stops the outputs at once (a second SIGTERM): what is queued is spooled or dropped, and said. */
  abortOutputs(): CloseReport[] {
    const reports = this.outputs.map((o) => o.abort());
    this.reportLeftovers(reports, 'not delivered (stopped without waiting)');
    return reports;
  }

  private reportLeftovers(reports: CloseReport[], why: string): void {
    for (const r of reports) {
      if (r.undelivered === 0) continue;
      const lost = r.undelivered - r.spooled;
      if (r.spooled > 0) this.log.warn({ output: r.output, spooled: r.spooled }, `output ${r.output}: ${r.spooled} alerts ${why}; kept in the spool for the next start`);
      if (lost > 0) this.log.error({ output: r.output, dropped: lost }, `output ${r.output}: ${lost} alerts ${why}; dropped`);
    }
  }

  private ruleCounts(rs: RuleSet): Record<string, number> {
    const out: Record<string, number> = {};
    for (const n of SOURCE_NAMES) out[n] = rs.forSource(n)?.rules.length ?? 0;
    return out;
  }

  private recordRules(rs: RuleSet): void {
    for (const [n, count] of Object.entries(this.ruleCounts(rs))) rulesLoaded.labels({ source: n }).set(count);
  }
}

/** The rules settings `opts` asks for (also what `run --dry-run` loads). */
export function rulesOptionsFor(
  opts: Pick<AgentOptions, 'config' | 'rulesPaths' | 'selection' | 'appendOutput'>,
  onEvaluationError?: EvaluationErrorHandler,
): RulesOptions {
  const cfg = opts.config;
  return {
    ...(onEvaluationError ? { onEvaluationError } : {}),
    limits: rulesLimits(cfg),
    // As Falco: rules_files entries of the config that do not exist are skipped (-r ones are not).
    paths: opts.rulesPaths && opts.rulesPaths.length > 0 ? opts.rulesPaths : cfg.rules_files.filter((p) => existsSync(p)),
    hostname: agentHostname(),
    minPriority: minPriority(cfg),
    ruleMatching: cfg.rule_matching,
    isEnabled: ruleSelector(cfg.rules, opts.selection),
    // append_output, then -p (Falco's command line appends to every syscall rule)
    appendOutput: [...cfg.append_output, ...(opts.appendOutput ? [{ source: 'syscall', extraOutput: opts.appendOutput }] : [])],
  };
}

/** The sources to run: enabled in the config and not turned off with --disable-source. */
function enabledSources(opts: AgentOptions): string[] {
  const disabled = new Set(opts.disabledSources ?? []);
  return SOURCE_NAMES.filter((n) => opts.config.sources[n as keyof AgentConfig['sources']].enabled && !disabled.has(n));
}

function alertMetricsOptions(c: AgentConfig) {
  return { podLabels: c.alert_metrics.k8s_pod_labels, maxSeries: c.alert_metrics.max_series };
}

/** Settings that are not the outputs': a change elsewhere leaves the outputs running. */
const NOT_OUTPUT_SETTINGS = new Set(['rules_files', 'priority', 'rule_matching', 'rules', 'log_level', 'watch_config_files', 'config_files', 'alert_metrics', 'webserver', 'sources']);

function outputSettings(c: AgentConfig): string {
  return JSON.stringify(Object.entries(c).filter(([k]) => !NOT_OUTPUT_SETTINGS.has(k)));
}

function makeOutputs(opts: AgentOptions): AlertOutput[] {
  const cfg = opts.config;
  return createOutputs(cfg, { json: opts.json ?? cfg.json_output, log: opts.log, ...(opts.stdout ? { stdout: opts.stdout } : {}) });
}
