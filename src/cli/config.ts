// `kestrel config [-c FILE] [-o key=value]... [--json]`: the effective configuration — the file,
// its config_files includes, -o overrides, ${VAR} values and every default — as YAML (or JSON),
// with secrets redacted (agent/redact.ts). What has no effect here is listed on stderr.
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { ConfigError, readAgentConfig } from '../agent/config.js';
import { redact } from '../agent/redact.js';
import { defaultConfigPath } from './run.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration (includes, -o overrides, ${VAR} and defaults applied; secrets redacted)')
    .option('-c, --config <file>', "configuration file (Kestrel's or Falco's falco.yaml)", defaultConfigPath())
    .option('-o, --option <key=value>', 'set a config key, as `run -o`; repeatable', collect, [])
    .option('--json', 'print JSON instead of YAML')
    .action((opts: { config: string; option: string[]; json?: boolean }) => {
      let loaded;
      try {
        loaded = readAgentConfig(opts.config, { overrides: opts.option });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`kestrel config: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
      const shown = redact(loaded.config);
      process.stdout.write(opts.json ? JSON.stringify(shown, null, 2) + '\n' : stringify(shown));
    });
}
