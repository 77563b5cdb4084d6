#!/usr/bin/env node
// The `kestrel` command line. Each command is a module src/cli/<name>.ts exporting
// `register(program)`; adding a command is adding its name to COMMANDS.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

const COMMANDS = [
  'validate',
  'fields',
  'run',
  'replay',
  'capture',
  'config',
  'test',
  'learn',
  'convert',
];

// `kestrel fields | head`: a closed pipe ends the output quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

// Falco's habits: -V/--validate FILE validates rules (a CI step "kestrel -V rules.yaml" must fail
// on a broken file); --version alone prints the version.
const program = new Command('kestrel')
  .description('Runtime security event engine for Kubernetes: Falco-compatible rules over syscall and audit events')
  .version(pkg.version, '--version', 'print the version')
  // kestrel's own options only before a command: `kestrel run -V x` and `--json` are run's.
  .enablePositionalOptions()
  .option('-V, --validate <file>', 'validate rules files (repeatable, loaded together in order) and exit: status 1 on any error', (v: string, p: string[]) => [...p, v], [])
  .option('--json', 'with -V: print the diagnostics as JSON')
  .action(async (opts: { validate: string[]; json?: boolean }) => {
    if (opts.validate.length === 0) {
      program.help({ error: true });
    }
    const { earlyAction } = await import('./cli/falco-options.js');
    process.exitCode = (await earlyAction({ rules: [], option: [], t: [], T: [], D: [], validate: opts.validate, ...(opts.json ? { json: true } : {}) })) ?? 0;
  });

for (const name of COMMANDS) {
  const mod = (await import(`./cli/${name}.js`)) as { register(program: Command): void };
  mod.register(program);
}

await program.parseAsync(process.argv);
