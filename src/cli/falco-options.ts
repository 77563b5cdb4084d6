// Falco's command-line habits (userspace/falco/app/options.cpp), shared by `kestrel run` and
// `kestrel replay`: -c, -r, -o, rule selection (-t/-T/-D), -A, -p, -V/--validate, -L, --list,
// -M, --dry-run, --support, -U. The actions that print and exit (--list, -V, --support, -L) are
// here too.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { arch, release, type as osType, version as osVersion } from 'node:os';
import type { Command } from 'commander';
import { ConfigError, readAgentConfig, type LoadedConfig } from '../agent/config.js';
import { redact } from '../agent/redact.js';
import { builtinSources } from '../agent/source-list.js';
import { agentHostname } from '../engine/hostname.js';
import { compileOutput } from '../engine/output-template.js';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { loadRules } from '../rules/load.js';
import { readRulesPaths } from '../rules/read.js';
import { DiagnosticSink } from '../rules/diagnostics.js';
import { selectionConflict, ruleSelector, type CommandLineSelection, type SelectionEntry } from '../rules/selection.js';
import { ENGINE_VERSION } from '../rules/versions.js';
import { printFields } from './fields.js';

export interface FalcoCliOptions {
  config?: string;
  rules: string[];
  option: string[];
  /** -t, -T, -D */
  t: string[];
  T: string[];
  D: string[];
  A?: boolean;
  print?: string;
  validate: string[];
  L?: boolean;
  list?: string | boolean;
  M?: string;
  dryRun?: boolean;
  support?: boolean;
  unbuffered?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function addFalcoOptions(cmd: Command, configHelp: string, defaultConfig?: string): Command {
  return cmd
    .option('-c, --config <file>', configHelp, defaultConfig)
    .option('-r, --rules <path>', "rules file or directory, repeatable (replaces the config's rules_files)", collect, [])
    .option('-o, --option <key=value>', 'set a config key (dotted path, list items as key[1], {..} values as YAML); repeatable, later ones win', collect, [])
    .option('-t <tag>', 'only run rules with this tag; repeatable; not with -T/-D', collect, [])
    .option('-T <tag>', 'disable rules with this tag; repeatable', collect, [])
    .option('-D <substring>', 'disable rules whose name contains this; repeatable', collect, [])
    .option('-A', "monitor all events, including high-volume I/O ones (no effect: Falco's skipped set holds none of the syscalls Kestrel covers)")
    .option('-p, --print <format>', 'append to the output of every syscall rule: c|container, k|kubernetes, or a format of %fields')
    .option('-V, --validate <file>', 'validate these rules files (repeatable, loaded together in order) and exit: status 1 on any error', collect, [])
    .option('-L', 'list the loaded rules (name and description; all details with --json) and exit')
    .option('--list [source]', 'list the fields (of one source) and exit')
    .option('-M <seconds>', 'stop after this many seconds')
    .option('--dry-run', 'load the configuration and rules, check everything, start nothing')
    .option('--support', 'print support information (versions, effective config, rules files with sha256, kernel, BTF) as JSON and exit')
    .option('-U, --unbuffered', 'write every alert as soon as it is raised (buffered_outputs: false)')
    .option('--json', 'print alerts as JSON lines (json_output)');
}

export function cliSelection(o: FalcoCliOptions): CommandLineSelection {
  return { onlyTags: o.t, disableTags: o.T, disableNames: o.D };
}

/** Falco's -pc / -pk shorthands, or the format as given. */
export function printFormat(p: string): string {
  if (p === 'c' || p === 'container') return 'container=%container.name (id=%container.id)';
  if (p === 'k' || p === 'kubernetes') return 'k8s.ns=%k8s.ns.name k8s.pod=%k8s.pod.name container=%container.id';
  return p;
}

/** Problems with the flags themselves (before anything is read), or undefined. */
export function flagProblem(o: FalcoCliOptions): string | undefined {
  const conflict = selectionConflict(cliSelection(o));
  if (conflict) return conflict;
  if (o.M !== undefined && !(Number(o.M) > 0)) return `-M takes a number of seconds, not ${JSON.stringify(o.M)}`;
  if (o.print !== undefined) {
    try {
      compileOutput(printFormat(o.print), builtinSources().get('syscall')!);
    } catch (err) {
      return `-p ${JSON.stringify(o.print)}: ${(err as Error).message}`;
    }
  }
  return undefined;
}

/** The config with -o applied; -U is `-o buffered_outputs=false` after them (as Falco's -U wins). */
export function readCliConfig(o: FalcoCliOptions, file: string): LoadedConfig {
  const overrides = o.unbuffered ? [...o.option, 'buffered_outputs=false'] : [...o.option];
  return readAgentConfig(file, { overrides });
}

/** --list [SOURCE] and -V FILE...: print and return the exit status; undefined when neither is asked. */
export async function earlyAction(o: FalcoCliOptions): Promise<number | undefined> {
  if (o.list !== undefined) return printFields({ ...(typeof o.list === 'string' ? { source: o.list } : {}), ...(o.json ? { json: true } : {}) });
  if (o.validate.length > 0) {
    const result = await loadRules(o.validate, { sources: builtinSources() });
    const diagnostics = [...result.errors, ...result.warnings];
    if (o.json) process.stdout.write(JSON.stringify(diagnostics, null, 2) + '\n');
    else {
      for (const d of diagnostics) process.stdout.write(formatDiagnostic(d) + '\n');
      process.stdout.write(`${o.validate.join(', ')}: ${result.errors.length === 0 ? 'Ok' : 'Invalid'} (${result.errors.length} error(s), ${result.warnings.length} warning(s))\n`);
    }
    return result.errors.length > 0 ? 1 : 0;
  }
  return undefined;
}

/**
 * What both commands do first: check the flags, run --list / -V, read the config with -o.
 * Returns the exit status when the command is over, else the config.
 */
export async function prepareCli(o: FalcoCliOptions, file: string, fail: (message: string) => number): Promise<{ status: number } | { loaded: LoadedConfig }> {
  const problem = flagProblem(o);
  if (problem) return { status: fail(problem) };
  const early = await earlyAction(o);
  if (early !== undefined) return { status: early };
  try {
    return { loaded: readCliConfig(o, file) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { status: fail(err.message) };
  }
}

/** -L: every loaded rule (name, description), as Falco prints them; JSON details with --json. */
export async function listRules(paths: string[], entries: readonly SelectionEntry[], o: FalcoCliOptions): Promise<number> {
  const result = await loadRules(paths, { sources: builtinSources() });
  for (const e of result.errors) process.stderr.write(formatDiagnostic(e) + '\n');
  if (result.errors.length > 0) return 1;
  const on = ruleSelector(entries, cliSelection(o)) ?? ((s) => s.enabled);
  if (o.json) {
    const rules = result.rules.map((r) => ({ name: r.name, desc: r.desc, source: r.source, priority: r.priority, tags: r.tags, enabled: on(r) }));
    process.stdout.write(JSON.stringify({ rules }, null, 2) + '\n');
    return 0;
  }
  const width = Math.max(4, ...result.rules.map((r) => r.name.length)) + 2;
  process.stdout.write(`${'Rule'.padEnd(width)}Description\n${'----'.padEnd(width)}-----------\n`);
  for (const r of result.rules) process.stdout.write(`${r.name.padEnd(width)}${r.desc.replace(/\s+/g, ' ').trim()}${on(r) ? '' : ' (disabled)'}\n`);
  return 0;
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** --support: what a bug report needs, as JSON (Falco's print_support). */
export async function supportInfo(version: string, loaded: LoadedConfig, rulesPaths: string[]): Promise<Record<string, unknown>> {
  const texts = await readRulesPaths(rulesPaths, new DiagnosticSink());
  const btf = '/sys/kernel/btf/vmlinux';
  return {
    version,
    engine_info: { engine_version: ENGINE_VERSION },
    node: process.version,
    hostname: agentHostname(),
    system_info: { sysname: osType(), release: release(), version: osVersion(), machine: arch() },
    kernel: { release: release(), btf: existsSync(btf), btf_path: btf },
    cmdline: process.argv.slice(2).join(' '),
    config_files: loaded.files.map((f) => ({ name: f.path, sha256: f.sha256 })),
    config: redact(loaded.config),
    config_warnings: loaded.warnings,
    rules_files: texts.map((t) => ({ name: t.name, sha256: sha256(t.content), bytes: Buffer.byteLength(t.content) })),
  };
}

/** The package version (package.json next to dist/). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
