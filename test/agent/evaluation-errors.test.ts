// Rules that throw on an event (issue 14, defect 3): through the agent and the real k8s_audit
// webhook, a rule whose condition or alert throws is counted in
// kestrel_evaluation_errors_total{rule,source}, logged with the rule and the event's audit ID, and
// skipped for that event only: the rules after it still run, so the event's real alert comes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { configFrom } from '../../src/agent/config.js';
import { sourceRunners } from '../../src/agent/source-list.js';
import { defaultRulesPath } from '../../src/rules/defaults.js';
import type { K8sAuditRunner } from '../../src/sources/k8saudit/runner.js';
import { registry } from '../../src/telemetry/metrics.js';
import * as fx from '../sources/k8saudit/fixtures.js';

// Both render the whole event (json.obj), which a 5,000-level value cannot be rendered into.
const THROWING_RULES = `
- rule: Pod body in the condition
  desc: t
  condition: ka.target.resource = pods and json.obj contains "never-there"
  output: never
  priority: NOTICE
  source: k8s_audit
- rule: Pod body in the output
  desc: t
  condition: ka.target.resource = pods and ka.verb = create
  output: "body=%json.obj"
  priority: NOTICE
  source: k8s_audit
`;

// deeper than the 5,000 of the report, so that JSON.stringify overflows whatever the stack size
const DEPTH = 20_000;
const MARK = '__deep_value__';

/** A privileged pod created with a second entry in spec.containers nested DEPTH levels deep. */
function privilegedPodWithDeepSibling(): { text: string; auditID: string } {
  const e = fx.podCreate({ privileged: true, extraContainers: [MARK as never] });
  // as text: JSON.stringify could not serialise the deep value; the request body holds it twice
  const text = JSON.stringify(e).replaceAll(`"${MARK}"`, '['.repeat(DEPTH) + '"x"' + ']'.repeat(DEPTH));
  return { text, auditID: e.auditID as string };
}

async function errorsCounted(rule: string): Promise<number> {
  const m = await registry.getSingleMetric('kestrel_evaluation_errors_total')?.get();
  return m?.values.find((v) => v.labels.rule === rule && v.labels.source === 'k8s_audit')?.value ?? 0;
}

describe('agent: a rule that throws on an event', () => {
  it('is counted and logged with the event, and the privileged-pod alert still comes for that event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-evalerr-'));
    const first = join(dir, 'first.yaml');
    writeFileSync(first, THROWING_RULES);
    let out = '';
    const stdout = new Writable({ write: (c, _e, cb) => ((out += c), cb()) });
    const logs: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
    // rule_matching first (Falco's default): the throwing rules come first and must not stop the rest
    const config = configFrom({ rules_files: [first, defaultRulesPath()], webserver: { enabled: false }, rule_matching: 'first' }, dir);
    config.sources.k8s_audit = { ...config.sources.k8s_audit, address: '127.0.0.1', port: 0, plain_http: true, allow_unauthenticated: true };
    config.sources.syscall.enabled = false;
    const before = [await errorsCounted('Pod body in the condition'), await errorsCounted('Pod body in the output')];

    const agent = await Agent.start({ config, log, stdout, json: true, runners: { k8s_audit: sourceRunners().k8s_audit! } });
    const port = (agent.runner('k8s_audit') as K8sAuditRunner).address()!.port;
    const pod = privilegedPodWithDeepSibling();
    const res = await fetch(`http://127.0.0.1:${port}/k8s-audit`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: pod.text });
    expect(res.status, await res.text()).toBe(200);
    await agent.stop();

    const alerts = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rule: string });
    expect(alerts.map((a) => a.rule)).toEqual(['Create Privileged Pod']);
    expect(await errorsCounted('Pod body in the condition')).toBe(before[0]! + 1);
    expect(await errorsCounted('Pod body in the output')).toBe(before[1]! + 1);
    const failures = logs.filter((l) => l.includes('rule evaluation failed')).map((l) => JSON.parse(l));
    expect(failures.map((f) => f.rule).sort()).toEqual(['Pod body in the condition', 'Pod body in the output']);
    for (const f of failures) {
      expect(f).toMatchObject({ source: 'k8s_audit', event: { auditID: pod.auditID, verb: 'create' } });
      expect(f.error).toMatch(/call stack/);
    }
  });
});
