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

/** The alert the rule raises for `event` (an exec into a pod, e.g. fx.execDeckhouse()). */
export function alertFor(event: fx.Obj): Alert {
  const loaded = loadRulesFromText([{ name: 'test.yaml', content: RULE }]);
  if (loaded.errors.length) throw new Error(JSON.stringify(loaded.errors));
  const rules = loaded.ruleset.forSource<AuditEvent>('k8s_audit')!;
  const alert = rules.evaluate(new AuditEvent(event as JsonObject))[0];
  if (!alert) throw new Error('the exec rule did not fire');
  return alert;
}

export function makeAlerts(n: number): Alert[] {
  return Array.from({ length: n }, () => alertFor(fx.execDeckhouse()));
}
