// `kestrel replay [-r PATH]... [--json] FILE...`: evaluates the rules over recorded events and
// prints the alerts. Each input format is a ReplayReader; the file's first bytes pick the reader.
// Bad records are reported on stderr as file:line and skipped. A rule that throws on an event
// is skipped for that event (the other rules still run), reported on stderr with the event (the
// first few per rule) and counted in the closing summary. The exit status is non-zero when the
// rules do not load, a file cannot be read, or any rule failed on an event.
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatAlert, type AlertFormat } from '../outputs/alert-output.js';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { defaultRulesPath } from '../rules/defaults.js';
import { builtinSources } from '../agent/source-list.js';
import { loadRules } from '../rules/load.js';
import type { EvaluationErrorHandler, RuleSet } from '../engine/ruleset.js';
import { looksLikeAuditJson, readAuditLog, type BadRecordHandler } from '../sources/k8saudit/audit-log.js';
import { looksLikeCapture } from '../sources/syscall/capture/format.js';
import { readCapture } from '../sources/syscall/capture/reader.js';

export interface ReplayReader {
  /** The event source the records belong to (rules with this `source:` are evaluated). */
  source: string;
  /** What the reader reads, for messages. */
  describe: string;
  /** Whether the file, by its first bytes, is this reader's format. */
  detect(head: Buffer): boolean;
  /** The events of the file, in order; reports bad records through onBad. Throws if unreadable. */
  read(file: string, onBad: BadRecordHandler): AsyncIterable<unknown>;
}

/** Input formats, tried in order. */
export const replayReaders: ReplayReader[] = [
  { source: 'syscall', describe: 'Kestrel syscall captures (kestrel capture)', detect: looksLikeCapture, read: (file) => readCapture(file).events() },
  { source: 'k8s_audit', describe: 'Kubernetes audit events (JSON lines or EventList)', detect: looksLikeAuditJson, read: readAuditLog },
];

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

/** The reader for a recording, by its first bytes; or the message (a line) saying why there is none. */
export async function readerFor(file: string, command: string): Promise<ReplayReader | string> {
  let h: Buffer;
  try {
    h = await head(file);
  } catch (err) {
    return `kestrel ${command}: cannot read ${file}: ${(err as Error).message}\n`;
  }
  return replayReaders.find((r) => r.detect(h)) ?? `kestrel ${command}: ${file}: not a format ${command} reads (${replayReaders.map((r) => r.describe).join('; ')})\n`;
}

async function head(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function write(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}

/** Evaluation errors shown per rule; the rest are only counted. */
const SHOWN_PER_RULE = 3;

export async function replay(files: string[], rulesPaths: string[], format: AlertFormat): Promise<number> {
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
  const loaded = await loadRules(rulesPaths, { sources: builtinSources(), onEvaluationError });
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
    const reader = await readerFor(file, 'replay');
    if (typeof reader === 'string') {
      process.stderr.write(reader);
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
  let failed = 0;
  for (const n of evaluationErrors.values()) failed += n;
  process.stderr.write(`kestrel replay: ${events} event(s) from ${files.length} file(s), ${alerts} alert(s), ${bad} record(s) skipped, ${failed} evaluation error(s)\n`);
  for (const [rule, n] of evaluationErrors) process.stderr.write(`kestrel replay: rule ${JSON.stringify(rule)}: ${n} evaluation error(s)\n`);
  return failed > 0 ? 1 : status;
}
