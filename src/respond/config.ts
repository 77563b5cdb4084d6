// The responses file: global safety settings and an ordered list of response rules (which alerts,
// which actions). It lives apart from the rules so Falco rules files stay unchanged. Every problem
// is reported as file:line:col; a file with problems is refused as a whole (nothing half-applies).
// Modelled on Falco Talon's rules (match on rule names, priority, tags, output fields; ordered
// actions; `continue`) with Kestrel's own action names.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, type Node } from 'yaml';
import { PRIORITIES, type Priority } from '../engine/rule.js';
import { YamlReader, type ConfigProblem } from './yaml-reader.js';

export const ACTIONS = {
  kill_process: 'node',
  kill_process_group: 'node',
  kill_container: 'node',
  stop_container: 'node',
  pause_container: 'node',
  capture: 'node',
  terminate_pod: 'kubernetes',
  label_pod: 'kubernetes',
  isolate_pod: 'kubernetes',
  delete_object: 'kubernetes',
  cordon_node: 'kubernetes',
  notify: 'notify',
} as const;
export type ActionName = keyof typeof ACTIONS;

export const SIGNALS = { SIGKILL: 9, SIGTERM: 15 } as const;
export type SignalName = keyof typeof SIGNALS;

export interface ActionSpec {
  action: ActionName;
  /** kill_*: the signal sent through the pidfd. */
  signal: SignalName;
  /** stop_container: seconds between SIGTERM and SIGKILL. */
  timeout_seconds: number;
  /** capture: how long after the alert the container (or host process tree) is recorded. */
  duration_seconds: number;
  /** capture: files are `<path_prefix>_<event time ns>_<evt.num>.kcap` (absolute; relative ones are resolved against the responses file). */
  path_prefix: string;
  /** capture: cap on the file, MiB (the agent's capture.max_file_size_mb, when set, caps it further). */
  max_size_mb: number;
  /** terminate_pod, delete_object: DeleteOptions.gracePeriodSeconds (absent: the object's default). */
  grace_period_seconds?: number;
  /** label_pod (isolate_pod adds its own selector label too). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface FieldMatch {
  field: string;
  equals?: string;
  in?: string[];
  not_in?: string[];
  prefix?: string;
}

export interface ResponseRule {
  name: string;
  /** Where the rule starts in its file (for log lines). */
  at: string;
  match: {
    /** Rule names, exact or glob (`*`, `?`). Empty: any rule. */
    rules: string[];
    /** Minimum priority (alerts at least this severe). */
    priority?: Priority;
    /** Every tag listed must be on the alert. */
    tags: string[];
    source?: string;
    fields: FieldMatch[];
  };
  actions: ActionSpec[];
  /** Whether later response rules still apply after this one matched. */
  continue: boolean;
  /** Where each match.fields entry is (its field name is checked against the sources' fields later). */
  fieldAt: Record<string, { line: number; column: number }>;
  /** The file the rule is in. */
  file: string;
  /** Overrides the global dry_run for this rule's actions (a global dry_run: true always wins). */
  dry_run?: boolean;
}

export interface ResponsesConfig {
  enabled: boolean;
  /** Decide and log, act on nothing. */
  dry_run: boolean;
  /** Engaged: no action at all (SIGUSR2 toggles it at run time). */
  kill_switch: boolean;
  namespaces: { allow: string[]; deny: string[] };
  /** Kestrel's own namespace: denied unless allowed explicitly. */
  own_namespace: string;
  /** This node's name (cordon_node for syscall alerts). */
  node_name: string;
  /** The host's /proc (pids in alerts are host pids: the node agent runs with hostPID). */
  proc_root: string;
  /** Process names never signalled, beyond the built-in kubelet/runtime list. */
  protected_processes: string[];
  /** Per action: tokens refilled per minute and the burst allowed. */
  rate_limit: { per_minute: number; burst: number };
  /** The same action on the same target is not repeated within this many seconds. */
  cooldown_seconds: number;
  kubernetes: { kubeconfig: string; context: string; timeout_ms: number };
  podman: { path: string };
  cri: { socket: string; timeout_ms: number };
  webhook: { url: string; ca_cert: string; timeout_ms: number; headers: Record<string, string> };
  rules: ResponseRule[];
}

export const RESPONSE_DEFAULTS: Omit<ResponsesConfig, 'rules'> = {
  enabled: true,
  dry_run: true,
  kill_switch: false,
  namespaces: { allow: [], deny: [] },
  own_namespace: process.env.POD_NAMESPACE ?? 'kestrel',
  node_name: process.env.NODE_NAME ?? '',
  proc_root: '/proc',
  protected_processes: [],
  rate_limit: { per_minute: 60, burst: 20 },
  cooldown_seconds: 60,
  kubernetes: { kubeconfig: '', context: '', timeout_ms: 5000 },
  podman: { path: 'podman' },
  cri: { socket: '', timeout_ms: 5000 },
  webhook: { url: '', ca_cert: '', timeout_ms: 5000, headers: {} },
};

export class ResponsesConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
  }
}

const TOP_KEYS = ['enabled', 'dry_run', 'kill_switch', 'namespaces', 'own_namespace', 'node_name', 'proc_root', 'protected_processes', 'rate_limit', 'cooldown_seconds', 'kubernetes', 'podman', 'cri', 'webhook', 'rules'];
const RULE_KEYS = ['name', 'match', 'actions', 'continue', 'dry_run'];
const MATCH_KEYS = ['rules', 'priority', 'tags', 'source', 'fields'];
const ACTION_KEYS = ['action', 'parameters'];
const PARAM_KEYS: Record<ActionName, string[]> = {
  kill_process: ['signal'],
  kill_process_group: ['signal'],
  kill_container: ['signal'],
  stop_container: ['timeout_seconds'],
  pause_container: [],
  capture: ['duration_seconds', 'path_prefix', 'max_size_mb'],
  terminate_pod: ['grace_period_seconds'],
  label_pod: ['labels', 'annotations'],
  isolate_pod: [],
  delete_object: ['grace_period_seconds'],
  cordon_node: [],
  notify: [],
};

// Kubernetes label keys ([prefix/]name) and values: what the API server would refuse otherwise.
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function labelKeyOk(k: string): boolean {
  const slash = k.lastIndexOf('/');
  const name = slash < 0 ? k : k.slice(slash + 1);
  return LABEL_NAME.test(name) && (slash < 0 || DNS_SUBDOMAIN.test(k.slice(0, slash)));
}

function priorityOf(text: string): Priority | undefined {
  const t = text.toLowerCase();
  if (t === 'info') return 'Informational';
  return PRIORITIES.find((p) => p.toLowerCase() === t);
}

/** Where response captures go unless a rule says otherwise. */
export const DEFAULT_CAPTURE_PREFIX = '/tmp/kestrel_response';

function readAction(r: YamlReader, node: Node, where: string, abs: (p: string) => string): ActionSpec | undefined {
  const e = r.entries(node, where, ACTION_KEYS);
  const name = r.string(e.get('action'), `${where}.action`, '');
  if (!(name in ACTIONS)) {
    r.problem(e.get('action') ?? node, `${where}: unknown action ${JSON.stringify(name)} (one of ${Object.keys(ACTIONS).join(', ')})`);
    return undefined;
  }
  const action = name as ActionName;
  const p = r.entries(e.get('parameters'), `${where}.parameters (${action})`, PARAM_KEYS[action]);
  const signal = r.string(p.get('signal'), `${where}.parameters.signal`, 'SIGKILL');
  if (!(signal in SIGNALS)) r.problem(p.get('signal'), `${where}.parameters.signal must be one of ${Object.keys(SIGNALS).join(', ')}`);
  const spec: ActionSpec = {
    action,
    signal: (signal in SIGNALS ? signal : 'SIGKILL') as SignalName,
    timeout_seconds: r.number(p.get('timeout_seconds'), `${where}.parameters.timeout_seconds`, 10, 0, 3600),
    labels: r.stringMap(p.get('labels'), `${where}.parameters.labels`),
    annotations: r.stringMap(p.get('annotations'), `${where}.parameters.annotations`),
    duration_seconds: r.number(p.get('duration_seconds'), `${where}.parameters.duration_seconds`, 10, 1, 3600),
    path_prefix: abs(r.string(p.get('path_prefix'), `${where}.parameters.path_prefix`, DEFAULT_CAPTURE_PREFIX)),
    max_size_mb: r.number(p.get('max_size_mb'), `${where}.parameters.max_size_mb`, 100, 1, 102_400),
  };
  if (action === 'capture') checkCapturePrefix(r, p.get('path_prefix') ?? node, `${where}.parameters.path_prefix`, spec.path_prefix);
  if (p.has('grace_period_seconds')) spec.grace_period_seconds = r.number(p.get('grace_period_seconds'), `${where}.parameters.grace_period_seconds`, 0, 0, 86_400);
  const labelKeys = r.keyNodes(p.get('labels'));
  for (const [k, v] of Object.entries(spec.labels)) {
    if (!labelKeyOk(k)) r.problem(labelKeys.get(k), `${where}.parameters.labels: ${JSON.stringify(k)} is not a valid label key`);
    if (v !== '' && !LABEL_NAME.test(v)) r.problem(labelKeys.get(k), `${where}.parameters.labels: ${JSON.stringify(v)} is not a valid label value`);
  }
  const annotationKeys = r.keyNodes(p.get('annotations'));
  for (const k of Object.keys(spec.annotations)) if (!labelKeyOk(k)) r.problem(annotationKeys.get(k), `${where}.parameters.annotations: ${JSON.stringify(k)} is not a valid annotation key`);
  if (action === 'label_pod' && Object.keys(spec.labels).length + Object.keys(spec.annotations).length === 0) {
    r.problem(node, `${where}: label_pod needs parameters.labels or parameters.annotations`);
  }
  return spec;
}

/** The prefix names a file to create: it must have a name part, in a directory that exists. */
function checkCapturePrefix(r: YamlReader, node: Node, where: string, prefix: string): void {
  if (!prefix || prefix.endsWith('/')) {
    r.problem(node, `${where} ${JSON.stringify(prefix)} must end in a file name prefix (e.g. /var/lib/kestrel/captures/response)`);
    return;
  }
  const dir = dirname(prefix);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) r.problem(node, `${where}: directory ${dir} does not exist`);
}

function readFieldMatch(r: YamlReader, field: string, node: Node | null, where: string): FieldMatch {
  // `field: value` is equality; a mapping says which test (one of them).
  if (node && isSeq(node)) return { field, in: r.strings(node, where) };
  if (!node || !isMap(node)) return { field, equals: r.string(node, where, '') };
  const e = r.entries(node, where, ['equals', 'in', 'not_in', 'prefix']);
  if (e.size !== 1) r.problem(node, `${where} needs exactly one of equals, in, not_in, prefix`);
  const m: FieldMatch = { field };
  if (e.has('equals')) m.equals = r.string(e.get('equals'), `${where}.equals`, '');
  if (e.has('in')) m.in = r.strings(e.get('in'), `${where}.in`);
  if (e.has('not_in')) m.not_in = r.strings(e.get('not_in'), `${where}.not_in`);
  if (e.has('prefix')) m.prefix = r.string(e.get('prefix'), `${where}.prefix`, '');
  return m;
}

function readRule(r: YamlReader, node: Node, index: number, abs: (p: string) => string): ResponseRule | undefined {
  const e = r.entries(node, `rules[${index}]`, RULE_KEYS);
  const name = r.string(e.get('name'), `rules[${index}].name`, '');
  if (!name) r.problem(node, `rules[${index}]: name is required`);
  const where = `response rule ${JSON.stringify(name || index)}`;
  if (!e.has('match')) r.problem(node, `${where}: match is required (use match: {rules: ["*"]} to match every alert)`);
  const m = r.entries(e.get('match'), `${where}.match`, MATCH_KEYS);
  const prioText = r.string(m.get('priority'), `${where}.match.priority`, '');
  const priority = prioText ? priorityOf(prioText) : undefined;
  if (prioText && !priority) r.problem(m.get('priority'), `${where}.match.priority ${JSON.stringify(prioText)} is not one of ${PRIORITIES.join(', ')}`);
  const fields: FieldMatch[] = [];
  const fieldAt: ResponseRule['fieldAt'] = {};
  const fieldKeys = r.keyNodes(m.get('fields'));
  for (const [f, v] of r.entries(m.get('fields'), `${where}.match.fields`)) {
    fields.push(readFieldMatch(r, f, v, `${where}.match.fields.${f}`));
    fieldAt[f] = r.where(fieldKeys.get(f) ?? v);
  }
  const source = r.string(m.get('source'), `${where}.match.source`, '');
  const actionNodes = r.items(e.get('actions'), `${where}.actions`);
  if (actionNodes.length === 0) r.problem(e.get('actions') ?? node, `${where}: actions must list at least one action`);
  const actions = actionNodes.map((a, i) => readAction(r, a, `${where}.actions[${i}]`, abs)).filter((a): a is ActionSpec => a !== undefined);
  const { line, column } = r.where(node);
  const rule: ResponseRule = {
    name,
    at: `${r.file}:${line}:${column}`,
    match: { rules: r.strings(m.get('rules'), `${where}.match.rules`), tags: r.strings(m.get('tags'), `${where}.match.tags`), fields, ...(priority ? { priority } : {}), ...(source ? { source } : {}) },
    actions,
    continue: r.boolean(e.get('continue'), `${where}.continue`, false),
    fieldAt,
    file: r.file,
  };
  if (e.has('dry_run')) rule.dry_run = r.boolean(e.get('dry_run'), `${where}.dry_run`, true);
  return rule;
}

/** Parses a responses file's text; throws ResponsesConfigError listing every problem with its position. */
export function parseResponses(text: string, file: string, base = dirname(resolve(file))): ResponsesConfig {
  const r = new YamlReader(file, text);
  const d = RESPONSE_DEFAULTS;
  const top = r.entries(r.root, 'the responses file', TOP_KEYS);
  const sub = (key: string, keys: string[]) => r.entries(top.get(key), key, keys);
  const ns = sub('namespaces', ['allow', 'deny']);
  const rl = sub('rate_limit', ['per_minute', 'burst']);
  const k8s = sub('kubernetes', ['kubeconfig', 'context', 'timeout_ms']);
  const pm = sub('podman', ['path']);
  const cri = sub('cri', ['socket', 'timeout_ms']);
  const wh = sub('webhook', ['url', 'ca_cert', 'timeout_ms', 'headers']);
  const abs = (p: string) => (p && !isAbsolute(p) ? resolve(base, p) : p);
  const cfg: ResponsesConfig = {
    enabled: r.boolean(top.get('enabled'), 'enabled', d.enabled),
    dry_run: r.boolean(top.get('dry_run'), 'dry_run', d.dry_run),
    kill_switch: r.boolean(top.get('kill_switch'), 'kill_switch', d.kill_switch),
    namespaces: { allow: r.strings(ns.get('allow'), 'namespaces.allow'), deny: r.strings(ns.get('deny'), 'namespaces.deny') },
    own_namespace: r.string(top.get('own_namespace'), 'own_namespace', d.own_namespace),
    node_name: r.string(top.get('node_name'), 'node_name', d.node_name),
    proc_root: abs(r.string(top.get('proc_root'), 'proc_root', d.proc_root)),
    protected_processes: r.strings(top.get('protected_processes'), 'protected_processes'),
    rate_limit: { per_minute: r.number(rl.get('per_minute'), 'rate_limit.per_minute', d.rate_limit.per_minute, 0), burst: r.number(rl.get('burst'), 'rate_limit.burst', d.rate_limit.burst, 1) },
    cooldown_seconds: r.number(top.get('cooldown_seconds'), 'cooldown_seconds', d.cooldown_seconds),
    kubernetes: { kubeconfig: abs(r.string(k8s.get('kubeconfig'), 'kubernetes.kubeconfig', '')), context: r.string(k8s.get('context'), 'kubernetes.context', ''), timeout_ms: r.number(k8s.get('timeout_ms'), 'kubernetes.timeout_ms', d.kubernetes.timeout_ms, 1) },
    podman: { path: r.string(pm.get('path'), 'podman.path', d.podman.path) },
    cri: { socket: abs(r.string(cri.get('socket'), 'cri.socket', '')), timeout_ms: r.number(cri.get('timeout_ms'), 'cri.timeout_ms', d.cri.timeout_ms, 1) },
    webhook: { url: r.string(wh.get('url'), 'webhook.url', ''), ca_cert: abs(r.string(wh.get('ca_cert'), 'webhook.ca_cert', '')), timeout_ms: r.number(wh.get('timeout_ms'), 'webhook.timeout_ms', d.webhook.timeout_ms, 1), headers: r.stringMap(wh.get('headers'), 'webhook.headers') },
    rules: [],
  };
  if (cfg.webhook.url && !/^https?:\/\//.test(cfg.webhook.url)) r.problem(wh.get('url'), 'webhook.url must be an http:// or https:// URL');
  const ruleNodes = r.items(top.get('rules'), 'rules');
  cfg.rules = ruleNodes.map((n, i) => readRule(r, n, i, abs)).filter((x): x is ResponseRule => x !== undefined);
  for (const rule of cfg.rules) {
    if (!cfg.webhook.url && rule.actions.some((a) => a.action === 'notify')) r.problemAt(0, `response rule ${JSON.stringify(rule.name)} (${rule.at}) uses notify but webhook.url is not set`);
  }
  if (r.problems.length > 0) throw new ResponsesConfigError(r.problems);
  return cfg;
}

export async function loadResponses(file: string): Promise<ResponsesConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ResponsesConfigError([{ file, line: 0, column: 0, message: `cannot read the responses file: ${(err as Error).message}` }]);
  }
  return parseResponses(text, file);
}
