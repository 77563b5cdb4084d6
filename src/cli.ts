#!/usr/bin/env node
// The `kestrel` command line. Each command is a module src/cli/<name>.ts exporting
// `register(program)`; adding a command is adding its name to COMMANDS.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

const COMMANDS = ['validate', 'fields', 'run', 'replay', 'capture', 'learn'];

// `kestrel fields | head`: a closed pipe ends the output quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('kestrel')
  .description('Runtime security event engine for Kubernetes: Falco-compatible rules over syscall and audit events')
  .version(pkg.version);

for (const name of COMMANDS) {
  const mod = (await import(`./cli/${name}.js`)) as { register(program: Command): void };
  mod.register(program);
}

await program.parseAsync(process.argv);
