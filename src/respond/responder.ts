// Automatic responses: each alert is matched against the response rules (synchronously, while the
// event is still readable), then each matched rule's actions run in order, each through the
// guards (kill switch, dry run, namespace scope, rate limit, cooldown, idempotence). Every action
// is counted, timed, logged (alert id -> action -> result) and published on the outputs as an
// event. What Falco Talon does behind falcosidekick, in the agent's own process.
import type { Logger } from 'pino';
import type { Alert } from '../engine/alert.js';
import type { FieldRegistry } from '../fields/registry.js';
import { BurstLog } from '../telemetry/burst-log.js';
import { ACTIONS, ResponsesConfigError, type ActionSpec, type ResponseRule, type ResponsesConfig } from './config.js';
import type { ConfigProblem } from './yaml-reader.js';
import { auditFacts, FieldReader, syscallFacts, type AlertFacts } from './facts.js';
import { compileMatch, type AlertTest } from './match.js';
import { responseActions, responseDuration, responseNotifyFailures } from './metrics.js';
import { ActionGate, namespaceDenied } from './safety.js';
import { denied, failed, ok, settled, type Outcome, type Result } from './outcome.js';
import { outcomeEvent, Webhook, type ActionReport } from './notify.js';
import { killContainer, killProcess, killProcessGroup, type SignalOptions } from './node/signal.js';
import { pauseContainer, stopContainer, type RuntimeOptions } from './node/runtime.js';
import { ownContainerIds } from './node/procs.js';
import { startCapture, type CaptureFn } from './node/capture.js';
import { kubeClientFor, type KubeClient } from './kube/client.js';
import { cordonNode, deleteObject, isolatePod, labelPod, objectPath, terminatePod } from './kube/actions.js';

export interface ResponderOptions {
  config: ResponsesConfig;
  log: Logger;
  /** Where the outcome events go (the agent's outputs). */
  publish(alert: Alert): void;
  /** The sources alerts come from (to check the fields and sources response rules name). */
  sources: readonly string[];
  /** The field registry of a source, to read the event behind an alert. */
  fields(source: string): FieldRegistry | undefined;
  /** The API client (default: from config.kubernetes, or in-cluster). */
  kube?: KubeClient;
  /** Records a capture for the event behind an alert (the syscall source's, handed in by the agent). */
  capture?: CaptureFn;
}

interface CompiledRule {
  rule: ResponseRule;
  test: AlertTest;
}

/** One action ready to run: its target named, and what it does when allowed. */
interface Planned {
  target: string;
  namespace?: string;
  /** Why it cannot run at all (no such target in this alert, a protected object). */
  refusal?: Outcome;
  /** Done again on the same target after the cooldown (a capture), unlike a kill or a delete. */
  repeatable?: boolean;
  run(): Promise<Outcome> | Outcome;
}

const result = (r: Result, detail: string): Outcome => ({ result: r, detail });

/**
 * Results an alert storm yields by the thousand: counted in the metric like every result, but
 * logged once per burst (with how many more) and not published on the outputs one by one.
 */
const QUIET = new Set<Result>(['rate_limited', 'cooldown', 'duplicate', 'kill_switch']);

/** What a responses file compiles to (replaced whole on reload). */
interface Setup {
  config: ResponsesConfig;
  rules: CompiledRule[];
  webhook: Webhook | undefined;
  kube: KubeClient | undefined;
  kubeProblem: string | undefined;
  signalOpts: SignalOptions;
  runtimeOpts: RuntimeOptions;
}

export class Responder {
  private setup: Setup;
  private gate: ActionGate;
  private readonly readers = new Map<string, FieldReader>();
  private readonly pending = new Set<Promise<void>>();
  private readonly quietLogs = new Map<Result, BurstLog>();
  private killSwitch: boolean;

  constructor(private readonly opts: ResponderOptions) {
    this.setup = this.build(opts.config);
    this.gate = new ActionGate(opts.config);
    this.killSwitch = opts.config.kill_switch;
  }

  /** Sources and fields the response rules name must exist: a typo would never match. */
  private check(cfg: ResponsesConfig): void {
    const problems: ConfigProblem[] = [];
    for (const rule of cfg.rules) {
      const where = (line: number, column: number, message: string) => problems.push({ file: rule.file, line, column, message: `response rule ${JSON.stringify(rule.name)}: ${message}` });
      const [line, column] = rule.at.split(':').slice(-2).map(Number) as [number, number];
      const source = rule.match.source;
      if (source && !this.opts.sources.includes(source)) where(line, column, `unknown source ${JSON.stringify(source)} (${this.opts.sources.join(', ')})`);
      for (const f of rule.match.fields) {
        const name = f.field.split('[')[0]!;
        const sources = source ? [source] : this.opts.sources;
        if (!sources.some((s) => this.opts.fields(s)?.get(name))) {
          const at = rule.fieldAt[f.field] ?? { line, column };
          where(at.line, at.column, `match.fields: no ${source ? `${source} ` : ''}field ${JSON.stringify(f.field)}`);
        }
      }
    }
    if (problems.length > 0) throw new ResponsesConfigError(problems);
  }

  private build(cfg: ResponsesConfig): Setup {
    this.check(cfg);
    const log = this.opts.log;
    let kube = this.opts.kube;
    let kubeProblem: string | undefined;
    if (!kube && cfg.rules.some((r) => r.actions.some((a) => ACTIONS[a.action] === 'kubernetes'))) {
      try {
        kube = kubeClientFor(cfg.kubernetes);
        if (!kube) kubeProblem = 'no Kubernetes API access: not in a pod with a service account token, and no kubernetes.kubeconfig given';
      } catch (err) {
        kubeProblem = (err as Error).message;
      }
      if (kubeProblem) log.warn(`responses: Kubernetes actions will fail: ${kubeProblem}`);
    }
    const rules = cfg.rules.map((rule) => ({ rule, test: compileMatch(rule) }));
    log.info({ rules: rules.length, dry_run: cfg.dry_run, kill_switch: cfg.kill_switch }, `responses loaded (${rules.length} rule(s)${cfg.dry_run ? ', dry run' : ''})`);
    return {
      config: cfg,
      rules,
      webhook: cfg.webhook.url ? new Webhook(cfg.webhook) : undefined,
      kube,
      kubeProblem,
      signalOpts: { procRoot: cfg.proc_root, protectedNames: cfg.protected_processes, ownContainers: ownContainerIds(cfg.proc_root) },
      runtimeOpts: { podmanPath: cfg.podman.path, criSocket: cfg.cri.socket, criTimeoutMs: cfg.cri.timeout_ms },
    };
  }

  /**
   * Applies a reloaded responses file. Actions under way finish with the settings they started
   * with; what was done stays done (idempotence survives reloads) unless the rate limit or the
   * cooldown changed. The kill switch follows the file only when the file's setting changed, so a
   * SIGUSR2 is not undone by an unrelated reload.
   */
  reconfigure(cfg: ResponsesConfig): void {
    const old = this.setup;
    this.setup = this.build(cfg);
    if (JSON.stringify([cfg.rate_limit, cfg.cooldown_seconds]) !== JSON.stringify([old.config.rate_limit, old.config.cooldown_seconds])) this.gate = new ActionGate(cfg);
    if (cfg.kill_switch !== old.config.kill_switch) this.setKillSwitch(cfg.kill_switch);
    if (old.kube && old.kube !== this.setup.kube && old.kube !== this.opts.kube) {
      const stale = old.kube;
      void this.idle().then(() => stale.close());
    }
  }

  get killSwitchEngaged(): boolean {
    return this.killSwitch;
  }

  setKillSwitch(engaged: boolean): void {
    this.killSwitch = engaged;
    this.opts.log.warn({ kill_switch: engaged }, engaged ? 'responses: kill switch engaged, no action will run' : 'responses: kill switch released');
  }

  private quietLog(r: Result): BurstLog {
    let b = this.quietLogs.get(r);
    if (!b) this.quietLogs.set(r, (b = new BurstLog(this.opts.log, `response actions not taken (${r})`)));
    return b;
  }

  private reader(source: string): FieldReader {
    let r = this.readers.get(source);
    if (!r) this.readers.set(source, (r = new FieldReader(this.opts.fields(source))));
    return r;
  }

  /** Called for every alert with the event it came from (which must not be kept). */
  onAlert(alert: Alert, event: unknown): void {
    const setup = this.setup;
    if (setup.rules.length === 0 || alert.source === 'kestrel_response') return;
    const started = process.hrtime.bigint();
    const reader = this.reader(alert.source);
    const field = (name: string) => {
      const v = alert.output_fields[name];
      if (v !== undefined && v !== null) return String(v);
      return reader.text(event, name);
    };
    let facts: AlertFacts | undefined;
    for (const { rule, test } of setup.rules) {
      if (!test(alert, field)) continue;
      facts ??= alert.source === 'k8s_audit' ? auditFacts(alert, event, reader) : syscallFacts(alert, event, reader);
      this.track(
        this.runRule(setup, rule, facts, started, event).catch((err: unknown) => {
          this.opts.log.error({ alert_id: facts?.id, response_rule: rule.name, err }, `response rule ${rule.name} failed: ${(err as Error).message}`);
        }),
      );
      if (!rule.continue) break;
    }
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves when every action started so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.idle();
    for (const b of this.quietLogs.values()) b.flush();
    this.setup.kube?.close();
  }

  private async runRule(setup: Setup, rule: ResponseRule, facts: AlertFacts, started: bigint, event: unknown): Promise<void> {
    const reports: ActionReport[] = [];
    const dryRun = setup.config.dry_run || rule.dry_run === true;
    // Captures start now, before the first await, whatever their place in the list: the source
    // records the alert's own event right after its alerts are handed out, and no later. Their
    // reports still come in list order.
    const captures = new Map<ActionSpec, Promise<ActionReport>>();
    for (const spec of rule.actions) if (spec.action === 'capture') captures.set(spec, this.runAction(setup, spec, facts, dryRun, rule.name, event));
    for (const spec of rule.actions) {
      const report = spec.action === 'notify' ? await this.notify(setup, rule, facts, reports, dryRun) : await (captures.get(spec) ?? this.runAction(setup, spec, facts, dryRun, rule.name));
      reports.push(report);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (['ok', 'gone', 'failed'].includes(report.outcome.result)) responseDuration.labels({ action: spec.action }).observe(seconds);
      responseActions.labels({ action: spec.action, result: report.outcome.result }).inc();
      const line = { alert_id: facts.id, alert_rule: facts.alert.rule, response_rule: rule.name, action: spec.action, target: report.target, result: report.outcome.result, detail: report.outcome.detail, dry_run: report.dry_run, duration_ms: Math.round(seconds * 1e6) / 1e3, ...(report.outcome.status ? { status: report.outcome.status } : {}), ...(report.outcome.file ? { file: report.outcome.file } : {}) };
      if (QUIET.has(report.outcome.result)) {
        // what an alert storm produces by the thousand: counted, logged once per burst
        this.quietLog(report.outcome.result).note(line);
        continue;
      }
      if (report.outcome.result === 'failed') this.opts.log.error(line, 'response action failed');
      else this.opts.log.info(line, 'response action');
      this.opts.publish(outcomeEvent(facts.id, rule.name, facts.alert, report));
    }
  }

  /** `event`: only for a capture, and only while the alert is being handed out (see runRule). */
  private async runAction(setup: Setup, spec: ActionSpec, facts: AlertFacts, dryRun: boolean, responseRule: string, event?: unknown): Promise<ActionReport> {
    const plan = this.plan(setup, spec, facts, responseRule, event);
    const cfg = setup.config;
    const report = (outcome: Outcome): ActionReport => ({ action: spec.action, target: plan.target, dry_run: dryRun, outcome });
    if (this.killSwitch) return report(result('kill_switch', 'the kill switch is engaged'));
    if (plan.refusal) return report(plan.refusal);
    const nsDenied = namespaceDenied(plan.namespace, cfg);
    if (nsDenied) return report(denied(nsDenied));
    const admission = this.gate.admit(spec.action, plan.target);
    if (admission === 'duplicate') return report(result('duplicate', `${spec.action} on ${plan.target} is done or under way already`));
    if (admission === 'cooldown') return report(result('cooldown', `${spec.action} on ${plan.target} was tried less than ${cfg.cooldown_seconds}s ago`));
    if (admission === 'rate_limited') return report(result('rate_limited', `${spec.action}: rate limit (${cfg.rate_limit.per_minute}/min, burst ${cfg.rate_limit.burst}) reached`));
    if (dryRun) {
      this.gate.finish(spec.action, plan.target, !plan.repeatable);
      return report(result('dry_run', `would ${spec.action} ${plan.target}`));
    }
    let outcome: Outcome;
    try {
      outcome = await plan.run();
    } catch (err) {
      outcome = failed(`${spec.action} ${plan.target}: ${(err as Error).message}`);
    }
    this.gate.finish(spec.action, plan.target, !plan.repeatable && settled(outcome));
    return report(outcome);
  }

  private async notify(setup: Setup, rule: ResponseRule, facts: AlertFacts, reports: ActionReport[], dryRun: boolean): Promise<ActionReport> {
    const target = setup.config.webhook.url;
    const report = (outcome: Outcome): ActionReport => ({ action: 'notify', target, dry_run: dryRun, outcome });
    if (this.killSwitch) return report(result('kill_switch', 'the kill switch is engaged'));
    // A notification acts on nothing: it is sent in dry runs too (saying what would have been done).
    const admission = this.gate.admit('notify', facts.id + rule.name);
    if (admission !== 'go') return report(result(admission, `notify: ${admission.replace('_', ' ')}`));
    const r = await setup.webhook!.send({ alert_id: facts.id, response_rule: rule.name, alert: facts.alert, actions: reports, time: new Date().toISOString() });
    this.gate.finish('notify', facts.id + rule.name, true);
    if ('status' in r && r.status >= 200 && r.status < 300) return report(ok(`webhook answered ${r.status}`, r.status));
    const why = 'status' in r ? `status ${r.status}` : r.error;
    responseNotifyFailures.labels({ reason: 'status' in r ? 'status' : 'network' }).inc();
    return report(failed(`webhook ${target}: ${why}`, 'status' in r ? r.status : undefined));
  }

  private plan(setup: Setup, spec: ActionSpec, f: AlertFacts, responseRule: string, event: unknown): Planned {
    const none = (what: string): Planned => ({ target: '-', refusal: failed(`${spec.action}: the alert names no ${what}`), run: () => failed('') });
    const podNs = f.pod?.namespace;
    const cfg = setup.config;
    const { kube, kubeProblem, signalOpts, runtimeOpts } = setup;
    const k8s = (target: string, namespace: string | undefined, run: (k: KubeClient) => Promise<Outcome>): Planned => ({
      target,
      ...(namespace ? { namespace } : {}),
      run: () => (kube ? run(kube) : failed(kubeProblem ?? 'no Kubernetes API client')),
    });
    switch (spec.action) {
      case 'kill_process':
      case 'kill_process_group': {
        const p = f.process;
        if (!p) return none('process');
        const kill = spec.action === 'kill_process' ? killProcess : killProcessGroup;
        return { target: `pid ${p.pid}${p.name ? ` (${p.name})` : ''}`, ...(podNs ? { namespace: podNs } : {}), run: () => kill(signalOpts, p.pid, p.startNs, spec.signal) };
      }
      case 'kill_container':
      case 'stop_container':
      case 'pause_container': {
        const c = f.container;
        if (!c) return none('container (the process runs on the host)');
        const target = `container ${c.id.slice(0, 12)}${c.name ? ` (${c.name})` : ''}`;
        const own = signalOpts.ownContainers.includes(c.id) ? denied("the container is Kestrel's own") : undefined;
        const run = spec.action === 'kill_container' ? () => killContainer(signalOpts, c.id, spec.signal) : spec.action === 'stop_container' ? () => stopContainer(runtimeOpts, c.id, c.type, spec.timeout_seconds) : () => pauseContainer(runtimeOpts, c.id, c.type);
        return { target, ...(podNs ? { namespace: podNs } : {}), ...(own ? { refusal: own } : {}), run };
      }
      case 'capture': {
        const p = f.process;
        if (f.alert.source !== 'syscall' || !p) return none('process (capture is for syscall alerts)');
        const c = f.container;
        const target = c ? `container ${c.id.slice(0, 12)}${c.name ? ` (${c.name})` : ''}` : `pid ${p.pid}${p.name ? ` (${p.name})` : ''} and its descendants`;
        const own = c && signalOpts.ownContainers.includes(c.id) ? denied("the container is Kestrel's own") : undefined;
        // run() is called before runAction's first await, so still within the alert's hand-out
        return { target, repeatable: true, ...(podNs ? { namespace: podNs } : {}), ...(own ? { refusal: own } : {}), run: () => startCapture(this.opts.capture, event, spec, responseRule) };
      }
      case 'terminate_pod':
      case 'label_pod':
      case 'isolate_pod': {
        const pod = f.pod;
        if (!pod) return none('pod');
        const target = `pod ${pod.namespace}/${pod.name}`;
        if (spec.action === 'terminate_pod') return k8s(target, pod.namespace, (k) => terminatePod(k, pod, spec.grace_period_seconds));
        if (spec.action === 'label_pod') return k8s(target, pod.namespace, (k) => labelPod(k, pod, spec.labels, spec.annotations));
        return k8s(target, pod.namespace, (k) => isolatePod(k, pod, f.alert.rule));
      }
      case 'delete_object': {
        const o = f.object;
        if (!o) return none('Kubernetes object (delete_object is for audit alerts)');
        const planned = k8s(objectPath(o), o.namespace, (k) => deleteObject(k, o, spec.grace_period_seconds));
        if (o.name.startsWith('system:')) planned.refusal = denied(`${o.resource} ${o.name} is a system object`);
        if (o.resource === 'namespaces') {
          const nsDenied = namespaceDenied(o.name, cfg);
          if (nsDenied) planned.refusal = denied(nsDenied);
        }
        return planned;
      }
      case 'cordon_node': {
        if (!cfg.node_name) return { target: 'node ?', refusal: failed('cordon_node: node_name is not set (set NODE_NAME from the downward API)'), run: () => failed('') };
        return k8s(`node ${cfg.node_name}`, undefined, (k) => cordonNode(k, cfg.node_name));
      }
      case 'notify':
        return { target: cfg.webhook.url, run: () => ok('') };
    }
  }
}
