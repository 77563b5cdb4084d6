// Alerts as the Prometheus series Falco users already query:
// - falco_events{rule, priority, hostname, source, k8s_ns_name, k8s_pod_name, tags}: the metric
//   of falco-exporter (pkg/exporter/exporter.go), which PrometheusRules and the public Grafana
//   dashboards use: priority is the number of Falco's gRPC Priority enum (Emergency=0 ..
//   Debug=7), tags are ",a,b," (the rule's tags joined with commas and wrapped in them),
//   k8s_ns_name/k8s_pod_name come from the alert's output fields k8s.ns.name/k8s.pod.name ("" when
//   the rule's output has none).
// - falcosecurity_falco_rules_matches_total{rule_name, priority, source, tags}: Falco's native
//   metric (metrics.rules_counters_enabled with webserver.prometheus_metrics_enabled): priority
//   is the same number as text, tags the sorted tags joined with ", ".
// Cardinality: rules x sources bound both series except falco_events' pod labels, which follow
// the workloads. alert_metrics.k8s_pod_labels: false leaves them empty; past
// alert_metrics.max_series distinct falco_events series a new pod's alerts are counted with empty
// pod labels (and in kestrel_alert_metric_series_overflow_total), so the metric stays bounded.
import type { Alert } from '../engine/alert.js';
import { PRIORITIES } from '../engine/rule.js';
import { counter, tally, type Tally } from '../telemetry/metrics.js';

export const falcoEvents = counter('falco_events', 'Falco alerts (falco-exporter compatible), by rule, priority (0 emergency .. 7 debug), hostname, source, pod and tags.', [
  'rule',
  'priority',
  'hostname',
  'source',
  'k8s_ns_name',
  'k8s_pod_name',
  'tags',
]);
export const falcoRulesMatches = counter('falcosecurity_falco_rules_matches_total', "Rule matches (Falco's native metric), by rule_name, priority (0 emergency .. 7 debug), source and tags.", [
  'rule_name',
  'priority',
  'source',
  'tags',
]);
export const seriesOverflow = counter(
  'kestrel_alert_metric_series_overflow_total',
  'Alerts counted in falco_events without their pod labels because alert_metrics.max_series was reached.',
);

export interface AlertMetricsOptions {
  /** Fill k8s_ns_name/k8s_pod_name (else ""). */
  podLabels: boolean;
  /** Distinct falco_events series before new pods lose their labels. */
  maxSeries: number;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

/** Counts each alert in both Falco metrics; tallies are made once per label set. */
export class AlertMetrics {
  private readonly events = new Map<string, Tally>();
  private readonly matches = new Map<string, Tally>();
  private readonly overflow = tally(seriesOverflow, {});

  constructor(private opts: AlertMetricsOptions) {}

  configure(opts: AlertMetricsOptions): void {
    this.opts = opts;
  }

  count(a: Alert): void {
    const priority = String(PRIORITIES.indexOf(a.priority));
    const mk = `${a.source}\u0000${a.rule}\u0000${priority}`;
    let m = this.matches.get(mk);
    if (!m) this.matches.set(mk, (m = tally(falcoRulesMatches, { rule_name: a.rule, priority, source: a.source, tags: a.tags.join(', ') })));
    m.inc();

    let ns = '';
    let pod = '';
    if (this.opts.podLabels) {
      ns = text(a.output_fields['k8s.ns.name']);
      pod = text(a.output_fields['k8s.pod.name']);
    }
    let key = `${mk}\u0000${a.hostname}\u0000${ns}\u0000${pod}`;
    let e = this.events.get(key);
    if (!e && (ns || pod) && this.events.size >= this.opts.maxSeries) {
      this.overflow.inc();
      ns = pod = '';
      key = `${mk}\u0000${a.hostname}\u0000\u0000`;
      e = this.events.get(key);
    }
    if (!e) {
      e = tally(falcoEvents, { rule: a.rule, priority, hostname: a.hostname, source: a.source, k8s_ns_name: ns, k8s_pod_name: pod, tags: `,${a.tags.join(',')},` });
      this.events.set(key, e);
    }
    e.inc();
  }
}
