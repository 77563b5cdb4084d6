// falco_events and falcosecurity_falco_rules_matches_total: label values as falco-exporter and
// Falco write them, pod labels from the alert's k8s.* output fields, and the series bound.
import { describe, expect, it } from 'vitest';
import { AlertMetrics, falcoEvents, falcoRulesMatches, seriesOverflow } from '../../src/agent/alert-metrics.js';
import type { Alert } from '../../src/engine/alert.js';
import { registry } from '../../src/telemetry/metrics.js';
import { ruleSelector } from '../../src/rules/selection.js';
import type { RuleSpec } from '../../src/engine/rule.js';

function alert(rule: string, pod?: string): Alert {
  return {
    hostname: 'node-1',
    output: 'x',
    output_fields: pod ? { 'k8s.ns.name': 'prod', 'k8s.pod.name': pod } : { 'proc.name': 'sh' },
    priority: 'Warning',
    rule,
    source: 'syscall',
    tags: ['T1059', 'container', 'shell'],
    time: '2026-01-01T00:00:00.000000000Z',
  };
}

async function series(name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.filter((v) => v.value > 0) as Array<{ labels: Record<string, string | number>; value: number }>;
}

describe('alert metrics', () => {
  it("counts falco_events with falco-exporter's values and Falco's native metric with Falco's", async () => {
    falcoEvents.reset();
    falcoRulesMatches.reset();
    const m = new AlertMetrics({ podLabels: true, maxSeries: 100 });
    m.count(alert('Shell A', 'web-1'));
    m.count(alert('Shell A', 'web-1'));
    m.count(alert('Shell A'));
    expect(await series('falco_events')).toEqual([
      { labels: { rule: 'Shell A', priority: '4', hostname: 'node-1', source: 'syscall', k8s_ns_name: 'prod', k8s_pod_name: 'web-1', tags: ',T1059,container,shell,' }, value: 2 },
      { labels: { rule: 'Shell A', priority: '4', hostname: 'node-1', source: 'syscall', k8s_ns_name: '', k8s_pod_name: '', tags: ',T1059,container,shell,' }, value: 1 },
    ]);
    expect(await series('falcosecurity_falco_rules_matches_total')).toEqual([
      { labels: { rule_name: 'Shell A', priority: '4', source: 'syscall', tags: 'T1059, container, shell' }, value: 3 },
    ]);
  });

  it('past max_series a new pod is counted without pod labels (and the overflow counted); pod labels can be off', async () => {
    falcoEvents.reset();
    seriesOverflow.reset();
    const m = new AlertMetrics({ podLabels: true, maxSeries: 2 });
    for (const pod of ['a', 'b', 'c', 'd']) m.count(alert('R', pod));
    m.count(alert('R', 'a'));
    const s = await series('falco_events');
    expect(s.map((x) => [x.labels.k8s_pod_name, x.value])).toEqual([
      ['a', 2],
      ['b', 1],
      ['', 2],
    ]);
    expect((await series('kestrel_alert_metric_series_overflow_total'))[0]!.value).toBe(2);

    falcoEvents.reset();
    const off = new AlertMetrics({ podLabels: false, maxSeries: 2 });
    for (const pod of ['a', 'b', 'c']) off.count(alert('R', pod));
    expect((await series('falco_events')).map((x) => [x.labels.k8s_ns_name, x.labels.k8s_pod_name, x.value])).toEqual([['', '', 3]]);
  });
});

describe("rule selection (Falco's rules: and -t/-T/-D)", () => {
  const spec = (name: string, tags: string[], enabled = true) => ({ name, tags, enabled }) as unknown as RuleSpec;
  const rules = [spec('Shell in container', ['shell', 'container']), spec('Read shadow', ['filesystem']), spec('Netcat', ['network'], false)];
  const on = (f: ((s: RuleSpec) => boolean) | undefined) => rules.filter((r) => (f ? f(r) : r.enabled)).map((r) => r.name);

  it("applies the config's entries in order (wildcards, tags; enabling a rule its file disabled), then -D, -T, -t", () => {
    expect(ruleSelector([])).toBeUndefined();
    expect(on(ruleSelector([{ disable: { rule: '*' } }, { enable: { rule: 'Net*' } }]))).toEqual(['Netcat']);
    expect(on(ruleSelector([{ disable: { tag: 'shell' } }]))).toEqual(['Read shadow']);
    expect(on(ruleSelector([], { disableNames: ['shadow'] }))).toEqual(['Shell in container']);
    expect(on(ruleSelector([], { disableTags: ['container'] }))).toEqual(['Read shadow']);
    expect(on(ruleSelector([{ enable: { rule: 'Netcat' } }], { onlyTags: ['network', 'filesystem'] }))).toEqual(['Read shadow', 'Netcat']);
  });
});
