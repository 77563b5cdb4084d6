// The agent: rules + live sources + outputs + the metrics/health server, with rules reload
// (atomic swap; a bad reload keeps the old rules) and graceful shutdown (sources drain what they
// accepted, outputs flush).
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Writable } from 'node:stream';
import { reportReadiness, rulesLoaded, rulesReloads } from './metrics.js';
import { startHealthServer, type SourceStatus } from './http-server.js';
import type { RuleSet } from '../engine/ruleset.js';
import type { AlertOutput, CloseReport } from '../outputs/alert-output.js';
import { createOutputs } from '../outputs/create.js';
import { minPriority, type AgentConfig } from './config.js';
import { Pipeline } from './pipeline.js';
import { describeDiagnostic, loadAgentRules, logDiagnostics, type LoadedRules } from './agent-rules.js';
import type { SourceRunner } from '../sources/source-module.js';
import { SOURCE_MODULES, sourceRunners, type RunnerFactory } from './source-list.js';

export interface AgentOptions {
  config: AgentConfig;
  /** -r: rules files/directories replacing the config's rules_files. */
  rulesPaths?: string[];
  /** --json: overrides json_output. */
  json?: boolean;
  /** --disable-source NAME... */
  disabledSources?: string[];
  log: Logger;
  /** Where the stdout output writes (tests pass their own stream). */
  stdout?: Writable;
  /** Source runners by name (defaults to every built-in one). */
  runners?: Record<string, RunnerFactory>;
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
  private stopped = false;

  private constructor(
    private readonly opts: AgentOptions,
    private readonly pipeline: Pipeline,
    private readonly outputs: AlertOutput[],
    private readonly log: Logger,
  ) {}

  static async start(opts: AgentOptions): Promise<Agent> {
    const log = opts.log;
    const cfg = opts.config;
    const loaded = await loadAgentRules(rulesOptions(opts));
    if (!loaded.ruleset) {
      logDiagnostics(log, loaded);
      throw new RulesLoadError(loaded);
    }
    logDiagnostics(log, loaded);
    const outputs = createOutputs(cfg, { json: opts.json ?? cfg.json_output, log, ...(opts.stdout ? { stdout: opts.stdout } : {}) });
    const agent = new Agent(opts, new Pipeline(loaded.ruleset, outputs, log), outputs, log);
    agent.recordRules(loaded.ruleset);
    log.info({ rules: agent.ruleCounts(loaded.ruleset), files: rulesOptions(opts).paths }, 'rules loaded');

    if (cfg.webserver.enabled) {
      agent.health = await startHealthServer({
        address: cfg.webserver.listen_address,
        port: cfg.webserver.listen_port,
        sources: () => agent.sourceStatus(),
      });
      log.info(`metrics and health on http://${cfg.webserver.listen_address}:${agent.healthPort()} (/metrics /healthz /readyz)`);
    }
    await agent.startSources();
    // kestrel_source_ready is read from the runners at each scrape: it follows a source that
    // detaches later, and is set in this one place.
    reportReadiness(() => (agent.stopped ? [] : agent.sourceStatus()), SOURCE_NAMES);
    return agent;
  }

  private async startSources(): Promise<void> {
    const cfg = this.opts.config;
    const disabled = new Set(this.opts.disabledSources ?? []);
    const factories = this.opts.runners ?? sourceRunners();
    const enabled = SOURCE_NAMES.filter((n) => cfg.sources[n].enabled && !disabled.has(n));
    await Promise.all(
      enabled.map(async (name) => {
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
   * Loads the rules again and swaps them in; on any error the old rules stay. Reloads requested
   * while one runs are folded into one more.
   */
  reload(): Promise<boolean> {
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
    this.log.info('reloading rules');
    let loaded: LoadedRules;
    try {
      loaded = await loadAgentRules(rulesOptions(this.opts));
    } catch (err) {
      loaded = { errors: [{ severity: 'error', code: 'load-failed', message: (err as Error).message }], warnings: [] };
    }
    if (!loaded.ruleset) {
      logDiagnostics(this.log, loaded);
      rulesReloads.labels({ result: 'error' }).inc();
      this.log.error({ errors: loaded.errors.length }, 'rules reload failed; keeping the previous rules');
      return false;
    }
    logDiagnostics(this.log, loaded);
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

function rulesOptions(opts: AgentOptions) {
  const cfg = opts.config;
  return {
    paths: opts.rulesPaths && opts.rulesPaths.length > 0 ? opts.rulesPaths : cfg.rules_files,
    minPriority: minPriority(cfg),
    ruleMatching: cfg.rule_matching,
    appendOutput: cfg.append_output,
  };
}
