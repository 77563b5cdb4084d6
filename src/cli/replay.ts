// `kestrel replay [-r PATH]... [--json] FILE...`: evaluates the rules over recorded events and
// prints the alerts. Each input format is a ReplayReader; the file's first bytes pick the reader.
// Bad records are reported on stderr as file:line and skipped; the exit status is non-zero only
// when the rules do not load or a file cannot be read.
import type { Command } from 'commander';
import { formatAlert, type AlertFormat } from '../outputs/alert-output.js';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { defaultRulesPath } from '../rules/defaults.js';
import { builtinSources } from '../agent/source-list.js';
import { loadRules } from '../rules/load.js';
import type { RuleSet } from '../engine/ruleset.js';
import { readerFor, replayReaders, type BadRecordHandler, type ReplayReader } from '../agent/replay-readers.js';

export { replayReaders, type ReplayReader };

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('replay')
    .description('evaluate the rules over recorded events (kube-apiserver audit logs, ...) and print the alerts')
    .argument('<file...>', 'recorded events')
    .option('-r, --rules <path>', 'rules file or directory; repeatable; default: the bundled rules/', collect, [])
    .option('--json', 'print alerts as JSON lines (Falco json_output)')
    .action(async (files: string[], opts: { rules: string[]; json?: boolean }) => {
      process.exitCode = await replay(files, opts.rules.length > 0 ? opts.rules : [defaultRulesPath()], opts.json ? 'json' : 'text');
    });
}

function write(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

export async function replay(files: string[], rulesPaths: string[], format: AlertFormat): Promise<number> {
  const loaded = await loadRules(rulesPaths, { sources: builtinSources() });
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
  for (const file of files) {
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
    try {
      for await (const event of reader.read(file, onBad)) {
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
    }
  }
  process.stderr.write(`kestrel replay: ${events} event(s) from ${files.length} file(s), ${alerts} alert(s), ${bad} record(s) skipped\n`);
  return status;
}
