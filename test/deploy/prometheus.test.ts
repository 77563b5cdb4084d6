// deploy/prometheus: valid prometheus-operator objects, PromQL that parses, and alerts that can
// fire: every metric they name is one the agent registers, every label they match or group by
// exists on that metric (or is a target label the ServiceMonitor sets), and every label value
// they compare with is one the agent or the manifests produce.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/telemetry/metrics.js';
import { exportCollectorMetrics } from '../../src/sources/syscall/collector/metrics.js';
import { builtinSources } from '../../src/agent/source-list.js';
// The agent and what it runs (sources, outputs) declare their metrics when their modules load.
import '../../src/agent/agent.js';
import { DEPLOY, ROOT, find, kubectlSkipReason, kustomize, schemaErrors, typeErrors, type K8sObject } from './k8s.js';

const skip = kubectlSkipReason();
if (skip) console.warn(`test/deploy: skipped: ${skip}`);

// The syscall source registers its collector metrics when it starts; register them as it does.
exportCollectorMetrics(() => undefined);

interface Exposed {
  /** Series name -> the metric's label names. */
  series: Map<string, string[]>;
}

function exposedMetrics(): Exposed {
  const series = new Map<string, string[]>();
  for (const m of registry.getMetricsAsArray()) {
    const { name, labelNames = [], constructor } = m as unknown as { name: string; labelNames?: string[]; constructor: { name: string } };
    const suffixes = constructor.name === 'Histogram' ? ['_bucket', '_sum', '_count'] : constructor.name === 'Summary' ? ['', '_sum', '_count'] : [''];
    for (const s of suffixes) series.set(name + s, [...labelNames, ...(s === '_bucket' ? ['le'] : constructor.name === 'Summary' && s === '' ? ['quantile'] : [])]);
  }
  return { series };
}

/** Labels Prometheus and the Prometheus Operator put on every series of a ServiceMonitor target. */
const OPERATOR_TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'service', 'endpoint', 'container'];

interface Selector {
  metric: string;
  matchers: Array<{ label: string; op: string; value: string }>;
}

interface Parsed {
  errors: string[];
  selectors: Selector[];
  /** Label lists of every `by (...)`. */
  groupings: string[][];
}

function parsePromQL(expr: string): Parsed {
  const tree = parser.parse(expr);
  const out: Parsed = { errors: [], selectors: [], groupings: [] };
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  const cursor = tree.cursor();
  do {
    const n = cursor.node;
    if (n.type.isError) out.errors.push(`syntax error at ${n.from}: ${JSON.stringify(expr.slice(Math.max(0, n.from - 10), n.to + 10))}`);
    if (n.name === 'VectorSelector') {
      const id = n.getChild('Identifier');
      const sel: Selector = { metric: id ? text(id) : '', matchers: [] };
      for (const m of n.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        sel.matchers.push({ label: text(m.getChild('LabelName')!), op: text(m.getChild('MatchOp')!), value: JSON.parse(text(m.getChild('StringLiteral')!)) });
      }
      out.selectors.push(sel);
    }
    if (n.name === 'AggregateModifier' && n.getChild('By')) out.groupings.push(n.getChild('GroupingLabels')!.getChildren('LabelName').map(text));
    if (n.name === 'AggregateModifier' && n.getChild('Without')) out.errors.push('`without` hides which labels an alert carries: use `by`');
  } while (cursor.next());
  return out;
}

function srcText(dir: string): string {
  let all = '';
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) all += srcText(p);
    else if (e.name.endsWith('.ts')) all += readFileSync(p, 'utf8');
  }
  return all;
}

describe('PromQL checks', () => {
  it('find syntax errors, unknown metrics and labels (so the checks below can fail)', () => {
    expect(parsePromQL('sum by (pod (rate(kestrel_events_total[5m]))').errors.length).toBeGreaterThan(0);
    const p = parsePromQL('sum by (pod) (rate(kestrel_event_total{sorce="syscall"}[5m])) > 0');
    expect(p.errors).toEqual([]);
    expect(p.selectors).toEqual([{ metric: 'kestrel_event_total', matchers: [{ label: 'sorce', op: '=', value: 'syscall' }] }]);
    expect(exposedMetrics().series.has('kestrel_event_total')).toBe(false);
    expect(exposedMetrics().series.get('kestrel_events_total')).toEqual(['source']);
  });
});

describe.skipIf(skip)('deploy/prometheus', () => {
  let objects: K8sObject[];
  let base: K8sObject[];
  let rules: Array<{ alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }>;
  let exposed: Exposed;
  let targetLabels: string[];
  beforeAll(() => {
    objects = kustomize(join(DEPLOY, 'prometheus'));
    base = kustomize(join(DEPLOY, 'base'));
    rules = find(objects, 'PrometheusRule', 'kestrel').spec.groups.flatMap((g: { rules: unknown[] }) => g.rules);
    exposed = exposedMetrics();
    const relabeled = find(objects, 'ServiceMonitor', 'kestrel').spec.endpoints.flatMap((e: { relabelings?: Array<{ targetLabel: string }> }) => (e.relabelings ?? []).map((r) => r.targetLabel));
    targetLabels = [...OPERATOR_TARGET_LABELS, ...relabeled];
  });

  it('renders valid prometheus-operator objects', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['PrometheusRule/kestrel', 'ServiceMonitor/kestrel']);
    expect(schemaErrors(objects)).toEqual([]);
    expect(typeErrors(objects)).toEqual([]);
  });

  it('scrapes the metrics Service of deploy/base, labelling series with the pod component and node', () => {
    const sm = find(objects, 'ServiceMonitor', 'kestrel');
    const services = base.filter((o) => o.kind === 'Service' && Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
    expect(services.map((s) => s.metadata.name)).toEqual(['kestrel-metrics']);
    expect(sm.spec.namespaceSelector.matchNames).toContain(services[0]!.metadata.namespace);
    expect(services[0]!.spec.ports.map((p: { name: string }) => p.name)).toContain(sm.spec.endpoints[0].port);
    const daemonSets = base.filter((o) => o.kind === 'DaemonSet');
    for (const r of sm.spec.endpoints[0].relabelings) {
      const m = /^__meta_kubernetes_pod_label_(.+)$/.exec(r.sourceLabels[0]);
      if (!m) continue;
      for (const ds of daemonSets) {
        const keys = Object.keys(ds.spec.template.metadata.labels).map((k) => k.replace(/[^a-zA-Z0-9_]/g, '_'));
        expect(keys, `${ds.metadata.name} has the pod label ${r.sourceLabels[0]} reads`).toContain(m[1]);
      }
    }
  });

  it('alerts only on metrics the agent registers, by labels they carry', () => {
    const problems: string[] = [];
    for (const r of rules) {
      const p = parsePromQL(r.expr);
      problems.push(...p.errors.map((e) => `${r.alert}: ${e}`));
      for (const s of p.selectors) {
        const own = s.metric === 'up' ? [] : exposed.series.get(s.metric);
        if (!own) {
          problems.push(`${r.alert}: ${s.metric} is not a metric Kestrel exposes`);
          continue;
        }
        for (const m of s.matchers) if (![...own, ...targetLabels].includes(m.label)) problems.push(`${r.alert}: ${s.metric} has no label ${m.label}`);
      }
      const known = new Set([...targetLabels, ...p.selectors.flatMap((s) => exposed.series.get(s.metric) ?? [])]);
      for (const g of p.groupings) for (const l of g) if (!known.has(l)) problems.push(`${r.alert}: groups by ${l}, which none of its metrics has`);
    }
    expect(problems).toEqual([]);
    // The loss, readiness and audit signals the deployment promises are all watched.
    const watched = new Set(rules.flatMap((r) => parsePromQL(r.expr).selectors.map((s) => s.metric)));
    for (const m of ['kestrel_events_dropped_total', 'kestrel_output_dropped_total', 'kestrel_audit_events_rejected_total', 'kestrel_source_ready', 'kestrel_events_total', 'kestrel_rules_reloads_total', 'kestrel_audit_requests_total', 'up']) {
      expect(watched.has(m), m).toBe(true);
    }
  });

  it('compares labels only with values the agent and the manifests produce', () => {
    const src = srcText(join(ROOT, 'src'));
    const audit = srcText(join(ROOT, 'src', 'sources', 'k8saudit'));
    const components = base.filter((o) => o.kind === 'DaemonSet').map((d) => d.spec.template.metadata.labels['app.kubernetes.io/component']);
    const sm = find(objects, 'ServiceMonitor', 'kestrel');
    const jobs = base.filter((o) => o.kind === 'Service' && Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v)).map((s) => s.metadata.name);
    const sources = [...builtinSources().keys()];
    const problems: string[] = [];
    for (const r of rules) {
      for (const s of parsePromQL(r.expr).selectors) {
        for (const m of s.matchers) {
          const values = m.op === '=' ? [m.value] : m.op === '=~' ? m.value.split('|') : [];
          for (const v of values) {
            const ok =
              m.label === 'component' ? components.includes(v)
              : m.label === 'source' ? sources.includes(v)
              : m.label === 'job' ? jobs.includes(v)
              : m.label === 'namespace' ? sm.spec.namespaceSelector.matchNames.includes(v)
              : m.label === 'code' ? /^\d{3}$/.test(v) && new RegExp(`\\b${v}\\b`).test(audit)
              : src.includes(`'${v}'`) || src.includes(`"${v}"`);
            if (!ok) problems.push(`${r.alert}: ${s.metric}{${m.label}${m.op}"${m.value}"}: no ${m.label} is ever ${JSON.stringify(v)}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every alert a severity and a description that only uses labels the alert has', () => {
    const problems: string[] = [];
    for (const r of rules) {
      if (!['critical', 'warning', 'info'].includes(r.labels?.severity ?? '')) problems.push(`${r.alert}: severity ${r.labels?.severity}`);
      if (!r.annotations?.summary || !r.annotations?.description) problems.push(`${r.alert}: summary and description are required`);
      if (r.for !== undefined && !/^\d+[smh]$/.test(r.for)) problems.push(`${r.alert}: for ${r.for}`);
      const p = parsePromQL(r.expr);
      const available = p.groupings.length > 0
        ? p.groupings.reduce((a, g) => a.filter((l) => g.includes(l)))
        : [...targetLabels, ...p.selectors.flatMap((s) => exposed.series.get(s.metric) ?? [])];
      for (const [k, text] of Object.entries(r.annotations ?? {})) {
        for (const m of text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)) {
          if (!available.includes(m[1]!)) problems.push(`${r.alert}: ${k} uses $labels.${m[1]}, which the alert does not carry`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
