// Real alerts for output tests: a k8s_audit rule compiled by the engine, fired by an audit event.
import type { Alert } from '../../src/engine/alert.js';
import { loadRulesFromText } from '../../src/index.js';
import { AuditEvent, type JsonObject } from '../../src/sources/k8saudit/event.js';
import * as fx from '../sources/k8saudit/fixtures.js';

const RULE = `
- rule: Exec into pod
  desc: test
  condition: ka.target.subresource = exec
  output: exec by %ka.user.name into %ka.target.namespace/%ka.target.name (command=%ka.uri.param[command])
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, test]
`;

export function makeAlerts(n: number): Alert[] {
  const loaded = loadRulesFromText([{ name: 'test.yaml', content: RULE }]);
  if (loaded.errors.length) throw new Error(JSON.stringify(loaded.errors));
  const rules = loaded.ruleset.forSource<AuditEvent>('k8s_audit')!;
  return Array.from({ length: n }, () => rules.evaluate(new AuditEvent(fx.execDeckhouse() as JsonObject))[0]!);
}
