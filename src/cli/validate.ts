// `kestrel validate [-r PATH]... [--responses FILE]... [--json]`: load and compile rules (and
// check responses files against them), print every error and warning; exit status 1 when there is
// any error.
import type { Command } from 'commander';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { defaultRulesPath } from '../rules/defaults.js';
import { builtinSources } from '../agent/source-list.js';
import { loadRules } from '../rules/load.js';
import { responsesDiagnostics } from './validate-responses.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('validate')
    .description('load and compile rules files, print every error and warning (exit status 1 on any error)')
    .option('-r, --rules <path>', 'rules file or directory (*.yaml, *.yml in name order); repeatable; default: the bundled rules/', collect, [])
    .option('--responses <file>', 'also check this automatic-responses file (as responses_file), against the rules; repeatable', collect, [])
    .option('--json', 'print the diagnostics as a JSON array')
    .action(async (opts: { rules: string[]; responses: string[]; json?: boolean }) => {
      const paths = opts.rules.length > 0 ? opts.rules : [defaultRulesPath()];
      const result = await loadRules(paths, { sources: builtinSources() });
      const names = result.rules.map((r) => r.name);
      const responses = (await Promise.all(opts.responses.map((f) => responsesDiagnostics(f, names)))).flat();
      const errors = [...result.errors, ...responses.filter((d) => d.severity === 'error')];
      const warnings = [...result.warnings, ...responses.filter((d) => d.severity !== 'error')];
      const diagnostics = [...errors, ...warnings];
      if (opts.json) {
        process.stdout.write(JSON.stringify(diagnostics, null, 2) + '\n');
      } else {
        for (const d of diagnostics) process.stdout.write(formatDiagnostic(d) + '\n');
        const enabled = result.rules.filter((r) => r.enabled).length;
        process.stdout.write(
          `${result.files.length} file(s), ${result.rules.length} rule(s) compiled (${enabled} enabled)` +
            `${opts.responses.length > 0 ? `, ${opts.responses.length} responses file(s)` : ''}: ` +
            `${errors.length} error(s), ${warnings.length} warning(s)\n`,
        );
      }
      process.exitCode = errors.length > 0 ? 1 : 0;
    });
}
