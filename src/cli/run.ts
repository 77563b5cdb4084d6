// `kestrel run [-c CONFIG] [-r RULES]... [--json] [--disable-source NAME]...`: the agent.
// SIGHUP reloads the rules (a bad reload keeps the old ones); SIGTERM/SIGINT stop gracefully:
// sources deliver what they accepted, outputs flush, then the process exits 0.
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import pino from 'pino';
import { Agent, RulesLoadError } from '../agent/agent.js';
import { ConfigError, loadConfig } from '../agent/config.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function defaultConfigPath(): string {
  return fileURLToPath(new URL('../../config/kestrel.yaml', import.meta.url));
}

interface RunOptions {
  config: string;
  rules: string[];
  json?: boolean;
  disableSource: string[];
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run the agent: live sources -> rules -> alerts on the configured outputs')
    .option('-c, --config <file>', 'configuration file', defaultConfigPath())
    .option('-r, --rules <path>', "rules file or directory, repeatable (replaces the config's rules_files)", collect, [])
    .option('--json', 'print alerts as JSON lines (Falco json_output)')
    .option('--disable-source <name>', 'do not start this source (syscall, k8s_audit); repeatable', collect, [])
    .action(async (opts: RunOptions) => {
      process.exitCode = await run(opts);
    });
}

async function run(opts: RunOptions): Promise<number> {
  let config;
  try {
    config = await loadConfig(opts.config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`kestrel run: ${err.message}\n`);
    return 2;
  }
  for (const s of opts.disableSource) {
    if (s !== 'syscall' && s !== 'k8s_audit') {
      process.stderr.write(`kestrel run: unknown source ${JSON.stringify(s)} (syscall, k8s_audit)\n`);
      return 2;
    }
  }
  // Alerts own stdout; logs go to stderr.
  const log = pino({ level: config.log_level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  log.info({ config: opts.config }, 'kestrel starting');

  let agent: Agent;
  try {
    agent = await Agent.start({
      config,
      rulesPaths: opts.rules,
      ...(opts.json !== undefined ? { json: opts.json } : {}),
      disabledSources: opts.disableSource,
      log,
    });
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

  return new Promise<number>((resolve) => {
    let stopping = false;
    process.on('SIGHUP', () => {
      void agent.reload();
    });
    const stop = (signal: string) => {
      if (stopping) {
        log.warn(`${signal} again: exiting without waiting`);
        agent.abortOutputs();
        process.exit(130);
      }
      stopping = true;
      log.info(`${signal}: stopping (draining sources, flushing outputs)`);
      agent.stop().then(
        () => {
          log.info('kestrel stopped');
          resolve(0);
          // Nothing of ours is left to run; do not wait for stray handles.
          setImmediate(() => process.exit(0));
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
  });
}
