// `kestrel fields [--source S] [--json]`: the fields rules can use, per event source.
import type { Command } from 'commander';
import type { FieldDef } from '../fields/types.js';
import { builtinSources } from '../agent/source-list.js';

interface FieldRow {
  source: string;
  name: string;
  type: string;
  list: boolean;
  arg?: { required: boolean; kind: 'index' | 'key'; dotted: boolean };
  outputOnly: boolean;
  desc: string;
}

function row(source: string, f: FieldDef): FieldRow {
  const r: FieldRow = { source, name: f.name, type: f.type, list: f.list ?? false, outputOnly: f.outputOnly ?? false, desc: f.desc };
  if (f.arg) r.arg = { required: f.arg.required, kind: f.arg.kind, dotted: f.arg.dotted ?? false };
  return r;
}

/** `proc.aname[index]`, `ka.uri.param[key]`, `[...]` shown optional when the argument is. */
function usage(r: FieldRow): string {
  if (!r.arg) return r.name;
  const arg = `[${r.arg.kind}]`;
  return r.name + (r.arg.required ? arg : `(${arg})`);
}

export function register(program: Command): void {
  program
    .command('fields')
    .description('print the fields rules can use, per event source: name, type, list, argument, description')
    .option('-s, --source <name>', 'only this event source (e.g. syscall, k8s_audit)')
    .option('--json', 'print a JSON array')
    .action((opts: { source?: string; json?: boolean }) => {
      process.exitCode = printFields(opts);
    });
}

/** Prints the fields (of one source, or all); returns the exit status. Also `run --list [SOURCE]`. */
export function printFields(opts: { source?: string; json?: boolean }): number {
  const sources = builtinSources();
  if (opts.source !== undefined && !sources.has(opts.source)) {
    process.stderr.write(`kestrel: unknown source '${opts.source}' (known: ${[...sources.keys()].join(', ')})\n`);
    return 1;
  }
  const rows: FieldRow[] = [];
  for (const [name, source] of sources) {
    if (opts.source === undefined || opts.source === name) rows.push(...source.fields.all().map((f) => row(name, f)));
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  // Most names fit in 34 columns; a longer one pushes its line's type and description.
  const width = Math.min(34, Math.max(0, ...rows.map((r) => usage(r).length)) + 2);
  let current: string | undefined;
  for (const r of rows) {
    if (r.source !== current) {
      process.stdout.write(`${current === undefined ? '' : '\n'}Source ${r.source}:\n`);
      current = r.source;
    }
    const type = r.type + (r.list ? ' (list)' : '') + (r.outputOnly ? ' (output only)' : '');
    process.stdout.write(`  ${usage(r).padEnd(width - 1)} ${type.padEnd(24)} ${r.desc}\n`);
  }
  return 0;
}
