// `kestrel run`: the agent, with Falco's command line (falco-options.ts): -c CONFIG, -r RULES,
// -o key=value, -t/-T/-D rule selection, -e FILE (events from a recording through the configured
// outputs), -p, -V, -L, --list, -M, --dry-run, --support, -U.
// SIGHUP (and, with watch_config_files, a change to the config or rules files) reloads the
// config and rules: a bad config or rules keep the running ones and the log says why.
// SIGTERM/SIGINT stop gracefully: sources deliver what they accepted, outputs flush, exit 0.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import pino, { type Logger } from 'pino';
import { Agent, RulesLoadError, rulesOptionsFor } from '../agent/agent.js';
import { loadAgentRules, logDiagnostics } from '../agent/agent-rules.js';
import { pinoLevel, type AgentConfig, type LoadedConfig } from '../agent/config.js';
import { configReloads } from '../agent/metrics.js';
import { ConfigWatcher } from '../agent/config-watch.js';
import { FileRunner } from '../agent/file-runner.js';
import { readerFor } from '../agent/replay-readers.js';
import { SOURCE_MODULES } from '../agent/source-list.js';
import { addFalcoOptions, cliSelection, listRules, packageVersion, prepareCli, printFormat, readCliConfig, supportInfo, type FalcoCliOptions } from './falco-options.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function defaultConfigPath(): string {
  return fileURLToPath(new URL('../../config/kestrel.yaml', import.meta.url));
}

interface RunOptions extends FalcoCliOptions {
  config: string;
  disableSource: string[];
  e?: string;
}

export function register(program: Command): void {
  const cmd = program.command('run').description('run the agent: live sources -> rules -> alerts on the configured outputs');
  addFalcoOptions(cmd, 'configuration file (Kestrel\'s or Falco\'s falco.yaml)', defaultConfigPath())
    .option('-e <file>', 'read events from a recording (kestrel capture file, audit log) instead of live sources, through the configured outputs, then exit')
    .option('--disable-source <name>', 'do not start this source (syscall, k8s_audit); repeatable', collect, [])
    .action(async (opts: RunOptions) => {
      process.exitCode = await run(opts);
    });
}

function fail(message: string, status = 2): number {
  process.stderr.write(`kestrel run: ${message}\n`);
  return status;
}

async function run(opts: RunOptions): Promise<number> {
  const names = SOURCE_MODULES.map((m) => m.name as string);
  for (const s of opts.disableSource) if (!names.includes(s)) return fail(`unknown source ${JSON.stringify(s)} (${names.join(', ')})`);
  const prepared = await prepareCli(opts, opts.config, fail);
  if ('status' in prepared) return prepared.status;
  const loaded = prepared.loaded;
  // -e: the recording's source runs whatever the config says, and (as Falco in capture mode) no
  // web server is started next to it.
  const config = replayConfig(loaded.config, opts.e);
  const missing = opts.rules.length > 0 ? [] : config.rules_files.filter((p) => !existsSync(p));
  const rulesPaths = opts.rules.length > 0 ? opts.rules : config.rules_files.filter((p) => existsSync(p));
  if (opts.support) {
    process.stdout.write(JSON.stringify(await supportInfo(packageVersion(), loaded, rulesPaths), null, 2) + '\n');
    return 0;
  }
  if (opts.L) return listRules(rulesPaths, config.rules, opts);
  if (rulesPaths.length === 0) return fail('no rules files: set rules_files in the config or pass -r (config rules_files entries that do not exist are skipped)', 1);

  // Alerts own stdout; logs go to stderr.
  const log = pino({ level: pinoLevel(config), base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  log.info({ config: opts.config, version: packageVersion() }, 'kestrel starting');
  for (const w of loaded.warnings) log.warn(w);
  for (const p of missing) log.warn(`rules_files entry ${p} does not exist: skipped (as Falco does)`);

  let replay: FileRunner | undefined;
  if (opts.e) {
    try {
      replay = new FileRunner(opts.e, await readerFor(opts.e));
    } catch (err) {
      return fail((err as Error).message, 1);
    }
    const source = config.sources[replay.name as keyof AgentConfig['sources']];
    source.enabled = true;
  }
  const disabled = replay ? names.filter((n) => n !== replay.name) : opts.disableSource;
  const agentOptions = {
    rulesPaths: opts.rules,
    ...(opts.json !== undefined ? { json: opts.json } : {}),
    disabledSources: disabled,
    selection: cliSelection(opts),
    ...(opts.print !== undefined ? { appendOutput: printFormat(opts.print) } : {}),
    log,
    ...(replay ? { runners: { [replay.name]: () => replay } } : {}),
  };

  if (opts.dryRun) {
    // Everything checked, nothing started: the rules load as the agent would load them.
    const rules = await loadAgentRules(rulesOptionsFor({ config, ...agentOptions }));
    logDiagnostics(log, rules);
    log.info(rules.ruleset ? 'dry run: configuration and rules are valid' : `dry run: rules did not load (${rules.errors.length} error(s))`);
    return rules.ruleset ? 0 : 1;
  }

  let agent: Agent;
  try {
    agent = await Agent.start({ config, ...agentOptions });
  } catch (err) {
    if (err instanceof RulesLoadError) {
      log.fatal(`rules did not load (${err.loaded.errors.length} error(s)); not starting`);
      return 1;
    }
    log.fatal({ err }, `cannot start: ${(err as Error).message}`);
    return 1;
  }

  const ready = agent.sourceStatus();
  log.info({ sources: ready }, `kestrel running (${ready.filter((s) => s.ready).length}/${ready.length} sources ready)`);
  return supervise(agent, opts, log, replay, loaded);
}

function replayConfig(c: AgentConfig, file: string | undefined): AgentConfig {
  return file ? { ...c, webserver: { ...c.webserver, enabled: false }, sources: structuredClone(c.sources) } : c;
}

/** Signals, -M, config reloads and the end of an -e file, until the agent stops. */
function supervise(agent: Agent, opts: RunOptions, log: Logger, replay: FileRunner | undefined, loaded: LoadedConfig): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const reloadConfig = (why: string) => {
      let next: LoadedConfig;
      try {
        next = readCliConfig(opts, opts.config);
      } catch (err) {
        configReloads.labels({ result: 'error' }).inc();
        log.error(`${why}: configuration not reloaded, keeping the running one: ${(err as Error).message}`);
        return;
      }
      for (const w of next.warnings) log.warn(w);
      if (next.config.watch_config_files && !watcher) watcher = new ConfigWatcher(next, rulesFilesOf(next), (changed) => reloadConfig(`${changed} changed`), log);
      else if (!next.config.watch_config_files && watcher) {
        watcher.close();
        watcher = undefined;
      } else watcher?.update(next, rulesFilesOf(next));
      void agent.reload(next.config).then((ok) => configReloads.labels({ result: ok ? 'ok' : 'error' }).inc());
    };
    const rulesFilesOf = (c: LoadedConfig) => (opts.rules.length > 0 ? opts.rules : c.config.rules_files);
    let watcher: ConfigWatcher | undefined;
    if (agent.config.watch_config_files && !replay) {
      watcher = new ConfigWatcher(loaded, rulesFilesOf(loaded), (changed) => reloadConfig(`${changed} changed`), log);
    }
    process.on('SIGHUP', () => reloadConfig('SIGHUP'));
    const stop = (why: string, status = 0) => {
      if (stopping) {
        log.warn(`${why} again: exiting without waiting`);
        agent.abortOutputs();
        process.exit(130);
      }
      stopping = true;
      watcher?.close();
      log.info(`${why}: stopping (draining sources, flushing outputs)`);
      agent.stop().then(
        () => {
          log.info('kestrel stopped');
          resolve(status);
          // Nothing of ours is left to run; do not wait for stray handles.
          setImmediate(() => process.exit(status));
        },
        (err) => {
          log.error({ err }, 'error while stopping');
          resolve(1);
          setImmediate(() => process.exit(1));
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    if (opts.M !== undefined) setTimeout(() => stop(`-M ${opts.M}: time is up`), Number(opts.M) * 1000).unref();
    replay?.done.then(
      (s) => {
        log.info(s, `${opts.e}: ${s.events} event(s) read, ${s.skipped} record(s) skipped`);
        stop('end of the recording');
      },
      (err: Error) => {
        log.error(err.message);
        stop('the recording could not be read', 1);
      },
    );
  });
}
