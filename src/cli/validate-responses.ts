// `kestrel validate --responses FILE`: a responses file checked as the agent would load it
// (src/respond/config.ts: keys, types, actions, file:line:col), and against the rules loaded
// with it: a response rule whose rule-name patterns match none of them can never act (a typo in
// a rule name would otherwise be found only when the attack it was meant for happens).
import type { Diagnostic } from '../rules/diagnostics.js';
import { loadResponses, ResponsesConfigError } from '../respond/config.js';
import { ruleNameTest } from '../respond/match.js';

function location(at: string): Pick<Diagnostic, 'file' | 'line' | 'column'> {
  const m = /^(.*):(\d+):(\d+)$/.exec(at);
  return m ? { file: m[1]!, line: Number(m[2]), column: Number(m[3]) } : { file: at };
}

export async function responsesDiagnostics(file: string, ruleNames: readonly string[]): Promise<Diagnostic[]> {
  let config;
  try {
    config = await loadResponses(file);
  } catch (err) {
    if (!(err instanceof ResponsesConfigError)) throw err;
    return err.problems.map((p) => ({ severity: 'error', code: 'responses-invalid', message: p.message, file: p.file, line: p.line, column: p.column }));
  }
  const out: Diagnostic[] = [];
  for (const rule of config.rules) {
    for (const pattern of rule.match.rules) {
      const matches = ruleNameTest([pattern]);
      if (ruleNames.some((n) => matches(n))) continue;
      out.push({
        severity: 'warning',
        code: 'responses-rule-unmatched',
        message: `response rule ${JSON.stringify(rule.name)}: ${JSON.stringify(pattern)} matches none of the rules loaded`,
        ...location(rule.at),
      });
    }
  }
  return out;
}
