// The README's Learning mode walk-through ends with a responses file acting on learned-rule
// alerts: it must load as a responses file and its matches must select the rule names that
// `kestrel learn` writes (src/learn/emit-rules.ts), and nothing else.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseResponses } from '../../src/respond/config.js';
import { compileMatch } from '../../src/respond/match.js';
import type { Alert } from '../../src/engine/alert.js';

const README = new URL('../../README.md', import.meta.url).pathname;

function learningModeResponses(): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Learning mode'), text.indexOf('\n## ', text.indexOf('## Learning mode') + 3));
  const block = /```yaml\n(rules:[\s\S]*?)```/.exec(section);
  if (!block) throw new Error('no responses example in the Learning mode section of README.md');
  return block[1]!;
}

function alert(rule: string, source: string): Alert {
  return { hostname: 'h', output: '', output_fields: {}, priority: 'Notice', rule, source, tags: [], time: '' };
}

describe("the README's Learning mode responses example", () => {
  it('loads as a responses file and selects the learned rules it names, not other rules', () => {
    const cfg = parseResponses(learningModeResponses(), 'README.md');
    expect(cfg.rules.map((r) => r.actions.map((a) => a.action))).toEqual([['capture', 'kill_process'], ['isolate_pod']]);
    const [killer, isolator] = cfg.rules.map(compileMatch);
    const none = () => undefined;
    expect(killer!(alert('Unexpected process in k8s:prod/deployment/web', 'syscall'), none)).toBe(true);
    expect(killer!(alert('Terminal shell in container', 'syscall'), none)).toBe(false);
    expect(isolator!(alert('Unexpected outbound connection from k8s:prod/deployment/web', 'syscall'), none)).toBe(true);
    expect(isolator!(alert('Unexpected file write in k8s:prod/deployment/web', 'syscall'), none)).toBe(false);
  });
});
