// `kestrel test [PATH]...`: runs rule unit tests (YAML, see README "Rule tests"): one line per
// case, a diff under each failure, then `N passed, M failed`; exit status 1 on any failure.
import type { Command } from 'commander';
import { defaultRulesPath } from '../rules/defaults.js';
import { runRuleTests } from '../ruletest/run.js';
import { join } from 'node:path';

export function register(program: Command): void {
  program
    .command('test')
    .description('run rule unit tests: YAML files of events and the alerts they must (or must not) raise')
    .argument('[path...]', 'test files or directories (*.yaml, *.yml in name order); default: the bundled rules/tests/')
    .action(async (paths: string[]) => {
      const summary = await runRuleTests(paths.length > 0 ? paths : [join(defaultRulesPath(), 'tests')], (l) => process.stdout.write(l + '\n'));
      process.exitCode = summary.failed > 0 ? 1 : 0;
    });
}
