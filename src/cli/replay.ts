// `kestrel replay [FALCO FLAGS] FILE...`: evaluates the rules over recorded events and prints the
// alerts. Each input format is a ReplayReader; the file's first bytes pick the reader. Bad
// records are reported on stderr as file:line and skipped; the exit status is non-zero only when
// the rules do not load or a file cannot be read. Falco's flags as for `run` (falco-options.ts):
// the config gives rules_files, priority, rule_matching, `rules:` and json_output. A rule that
// throws on an event is skipped for that event (the other rules still run), reported on stderr
// with the event (the first few per rule) and counted in the closing summary; any such error
// also makes the exit status non-zero.
import type { Command } from 'commander';
import { minPriority } from '../agent/config.js';
import { rulesOptionsFor } from '../agent/agent.js';
import { addFalcoOptions, cliSelection, listRules, packageVersion, prepareCli, printFormat, supportInfo, type FalcoCliOptions } from './falco-options.js';
import { defaultConfigPath } from './run.js';
import { formatAlert, type AlertFormat } from '../outputs/alert-output.js';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { builtinSources } from '../agent/source-list.js';
import { loadRules } from '../rules/load.js';
import type { EvaluationErrorHandler, RuleSet } from '../engine/ruleset.js';
import { readerFor, replayReaders, type BadRecordHandler, type ReplayReader } from '../agent/replay-readers.js';

export { replayReaders, type ReplayReader };

export function register(program: Command): void {
  const cmd = program
    .command('replay')
    .description('evaluate the rules over recorded events (kube-apiserver audit logs, kestrel captures) and print the alerts')
    .argument('[file...]', 'recorded events');
  addFalcoOptions(cmd, "configuration file (Kestrel's or Falco's falco.yaml): rules_files, priority, rule_matching, rules, json_output", defaultConfigPath()).action(
    async (files: string[], opts: FalcoCliOptions & { config: string }) => {
      process.exitCode = await replayCommand(files, opts);
    },
  );
}

function fail(message: string, status = 2): number {
  process.stderr.write(`kestrel replay: ${message}\n`);
  return status;
}

async function replayCommand(files: string[], opts: FalcoCliOptions & { config: string }): Promise<number> {
  const prepared = await prepareCli(opts, opts.config, fail);
  if ('status' in prepared) return prepared.status;
  const loaded = prepared.loaded;
  const config = loaded.config;
  for (const w of loaded.warnings) process.stderr.write(`kestrel replay: warning: ${w}\n`);
  const agentOpts = {
    config,
    rulesPaths: opts.rules,
    selection: cliSelection(opts),
    ...(opts.print !== undefined ? { appendOutput: printFormat(opts.print) } : {}),
  };
  const rules = rulesOptionsFor(agentOpts);
  if (opts.support) {
    process.stdout.write(JSON.stringify(await supportInfo(packageVersion(), loaded, rules.paths), null, 2) + '\n');
    return 0;
  }
  if (opts.L) return listRules(rules.paths, config.rules, opts);
  if (files.length === 0) return fail('no recorded events given (FILE...)');
  if (rules.paths.length === 0) return fail('no rules files: set rules_files in the config or pass -r', 1);
  const format = (opts.json ?? config.json_output) ? 'json' : 'text';
  const deadline = opts.M !== undefined ? Date.now() + Number(opts.M) * 1000 : undefined;
  if (opts.dryRun) {
    const loadedRules = await loadRules(rules.paths, { sources: builtinSources(), minPriority: minPriority(config) });
    for (const e of loadedRules.errors) process.stderr.write(formatDiagnostic(e) + '\n');
    return loadedRules.errors.length > 0 ? 1 : 0;
  }
  return replay(files, rules, format, deadline);
}

function write(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

type ReplayRules = ReturnType<typeof rulesOptionsFor>;

/** Evaluation errors shown per rule; the rest are only counted. */
const SHOWN_PER_RULE = 3;

export async function replay(files: string[], rules: ReplayRules, format: AlertFormat, deadline?: number): Promise<number> {
  let file = '';
  const evaluationErrors = new Map<string, number>();
  const onEvaluationError: EvaluationErrorHandler = (rule, error, event) => {
    const n = (evaluationErrors.get(rule.name) ?? 0) + 1;
    evaluationErrors.set(rule.name, n);
    if (n > SHOWN_PER_RULE) return;
    let identity: string;
    try {
      identity = JSON.stringify(rule.source.identify?.(event) ?? {});
    } catch {
      identity = '(unidentifiable)';
    }
    const more = n === SHOWN_PER_RULE ? ' (further errors of this rule are only counted)' : '';
    process.stderr.write(`${file}: rule ${JSON.stringify(rule.name)} failed on event ${identity}: ${(error as Error)?.message ?? String(error)}${more}\n`);
  };
  const { paths, ...ruleOptions } = rules;
  const loaded = await loadRules(paths, { sources: builtinSources(), ...ruleOptions, onEvaluationError });
  for (const d of [...loaded.errors, ...loaded.warnings]) {
    if (d.severity === 'error') process.stderr.write(formatDiagnostic(d) + '\n');
  }
  if (loaded.errors.length > 0) {
    process.stderr.write(`kestrel replay: rules did not load (${loaded.errors.length} error(s))\n`);
    return 1;
  }
  const ruleset: RuleSet = loaded.ruleset;
  let status = 0;
  let events = 0;
  let alerts = 0;
  let bad = 0;
  const onBad: BadRecordHandler = (b) => {
    bad++;
    process.stderr.write(`${b.file}:${b.line}${b.column ? `:${b.column}` : ''}: skipped: ${b.message}\n`);
  };
  for (file of files) {
    if (deadline !== undefined && Date.now() > deadline) break;
    let reader: ReplayReader;
    try {
      reader = await readerFor(file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      process.stderr.write(`kestrel replay: ${e.code ? `cannot read ${file}: ` : ''}${e.message}\n`);
      status = 1;
      continue;
    }
    const rules = ruleset.forSource(reader.source);
    const input = reader.read(file, onBad);
    try {
      for await (const event of input) {
        if (deadline !== undefined && Date.now() > deadline) {
          process.stderr.write('kestrel replay: -M: time is up\n');
          break;
        }
        events++;
        if (!rules) continue;
        for (const a of rules.evaluate(event)) {
          alerts++;
          const wait = write(formatAlert(a, format) + '\n');
          if (wait) await wait;
        }
      }
    } catch (err) {
      process.stderr.write(`kestrel replay: cannot read ${file}: ${(err as Error).message}\n`);
      status = 1;
    } finally {
      if (input.summary) process.stderr.write(`kestrel replay: ${file}: ${input.summary()}\n`);
    }
  }
  let failed = 0;
  for (const n of evaluationErrors.values()) failed += n;
  process.stderr.write(`kestrel replay: ${events} event(s) from ${files.length} file(s), ${alerts} alert(s), ${bad} record(s) skipped, ${failed} evaluation error(s)\n`);
  for (const [rule, n] of evaluationErrors) process.stderr.write(`kestrel replay: rule ${JSON.stringify(rule)}: ${n} evaluation error(s)\n`);
  return failed > 0 ? 1 : status;
}
