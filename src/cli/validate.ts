// `kestrel validate [-r PATH]... [--json]`: load and compile rules, print every error and
// warning; exit status 1 when there is any error.
import type { Command } from 'commander';
import { formatDiagnostic } from '../rules/diagnostics.js';
import { defaultRulesPath } from '../rules/defaults.js';
import { builtinSources } from '../agent/source-list.js';
import { loadRules } from '../rules/load.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('validate')
    .description('load and compile rules files, print every error and warning (exit status 1 on any error)')
    .option('-r, --rules <path>', 'rules file or directory (*.yaml, *.yml in name order); repeatable; default: the bundled rules/', collect, [])
    .option('--json', 'print the diagnostics as a JSON array')
    .action(async (opts: { rules: string[]; json?: boolean }) => {
      const paths = opts.rules.length > 0 ? opts.rules : [defaultRulesPath()];
      const result = await loadRules(paths, { sources: builtinSources() });
      const diagnostics = [...result.errors, ...result.warnings];
      if (opts.json) {
        process.stdout.write(JSON.stringify(diagnostics, null, 2) + '\n');
      } else {
        for (const d of diagnostics) process.stdout.write(formatDiagnostic(d) + '\n');
        const enabled = result.rules.filter((r) => r.enabled).length;
        process.stdout.write(
          `${result.files.length} file(s), ${result.rules.length} rule(s) compiled (${enabled} enabled): ` +
            `${result.errors.length} error(s), ${result.warnings.length} warning(s)\n`,
        );
      }
      process.exitCode = result.errors.length > 0 ? 1 : 0;
    });
}
