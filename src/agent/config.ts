// The agent configuration file (YAML): Falco's falco.yaml keys plus one section per source
// (`sources.<name>`, whose defaults and checks the source's module brings). Whatever the file
// leaves out takes the built-in default; unknown keys and values of the wrong type are errors
// naming the key and where it was set, so a typo cannot silently disable something. Falco keys
// Kestrel has no use for are accepted with one warning each (falco-keys.ts); includes,
// overrides and ${VAR} are read as Falco reads them (config-source.ts).
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigReadError, locate, readConfigSource, type ConfigFileRead, type ReadOptions } from './config-source.js';
import { hasNoEffectKeysBelow, noEffectReason, renameFalcoKeys } from './falco-keys.js';
import { PRIORITIES, type Priority } from '../engine/rule.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from '../rules/limits.js';
import { checkOutputs, OUTPUT_DEFAULTS, resolveOutputPaths, type OutputsConfig } from '../outputs/config.js';
import { headerList, parseAppendOutput } from '../outputs/config-extras.js';
import { sourceConfig, sourceModules as MODULES, type SourcesConfig } from './source-list.js';
import type { RuleCaptureSettings } from '../sources/source-module.js';

/** The output settings (outputs_*, json_include_*, *_output, ...) are the outputs' (outputs/config.ts). */
export interface AgentConfig extends OutputsConfig {
  /** Rules files or directories, loaded in order. */
  rules_files: string[];
  json_output: boolean;
  /** Minimum priority of the rules evaluated (Falco's `priority`). */
  priority: string;
  /** 'first': only the first matching rule alerts (Falco's default); 'all': every matching rule. */
  rule_matching: 'first' | 'all';
  /** Bounds on the rules input (rules/limits.ts); a rule or file over one is refused at its place. */
  rules_limits: RulesLimitsConfig;
  /** pino's names or Falco's (syslog) names: emergency, alert, critical, error, warning, notice, info, debug. */
  log_level: string;
  /** Reload when the config files or rules files change (SIGHUP always reloads). */
  watch_config_files: boolean;
  /** Falco's includes (read by config-source.ts; kept to print the effective config). */
  config_files: Array<string | { path: string; strategy?: string }>;
  /** Falco's rule selection, applied after loading: enable/disable by rule name (wildcards) or tag. */
  rules: RuleSelection[];
  /** Labels of falco_events (falco-exporter's metric). */
  alert_metrics: { k8s_pod_labels: boolean; max_series: number };
  /** The metrics and health server. */
  webserver: {
    enabled: boolean;
    listen_address: string;
    listen_port: number;
    k8s_healthz_endpoint: string;
    prometheus_metrics_enabled: boolean;
    ssl_enabled: boolean;
    /** PEM file holding the certificate and its key (Falco's combined falco.pem). */
    ssl_certificate: string;
  };
  /** Rule-triggered captures (Falco's `capture` section). */
  capture: RuleCaptureSettings;
  /** One section per source, by source name. */
  sources: SourcesConfig;
  /** The automatic responses file (src/respond/config.ts); empty: no responses. */
  responses_file: string;
}


export const AGENT_DEFAULTS: AgentConfig = {
  rules_files: [],
  json_output: false,
  priority: 'debug',
  rule_matching: 'first',
  rules_limits: {
    max_file_bytes: DEFAULT_RULES_LIMITS.maxFileBytes,
    max_condition_bytes: DEFAULT_RULES_LIMITS.maxConditionBytes,
    max_list_items: DEFAULT_RULES_LIMITS.maxListItems,
    max_condition_depth: DEFAULT_RULES_LIMITS.maxConditionDepth,
    max_condition_nodes: DEFAULT_RULES_LIMITS.maxConditionNodes,
  },
  log_level: 'info',
  watch_config_files: true,
  config_files: [],
  rules: [],
  alert_metrics: { k8s_pod_labels: true, max_series: 10_000 },
  ...OUTPUT_DEFAULTS,
  webserver: {
    enabled: true,
    listen_address: '127.0.0.1',
    listen_port: 8765,
    k8s_healthz_endpoint: '/healthz',
    prometheus_metrics_enabled: true,
    ssl_enabled: false,
    ssl_certificate: '',
  },
  capture: { enabled: false, path_prefix: '/tmp/falco', mode: 'rules', default_duration: 5000, max_file_size_mb: 0, scope: 'process', max_active: 4 },
  sources: Object.fromEntries(MODULES.map((m) => [m.name, m.config.defaults])) as SourcesConfig,
  responses_file: '',
};

export class ConfigError extends Error {}

export interface RulesLimitsConfig {
  max_file_bytes: number;
  max_condition_bytes: number;
  max_list_items: number;
  max_condition_depth: number;
  max_condition_nodes: number;
}

/** The loader's limits named by the `rules_limits` section. */
export function rulesLimits(c: AgentConfig): RulesLimits {
  const l = c.rules_limits;
  return {
    maxFileBytes: l.max_file_bytes,
    maxConditionBytes: l.max_condition_bytes,
    maxListItems: l.max_list_items,
    maxConditionDepth: l.max_condition_depth,
    maxConditionNodes: l.max_condition_nodes,
  };
}

/** One entry of Falco's `rules:` setting. */
export interface RuleSelection {
  enable?: { rule?: string; tag?: string };
  disable?: { rule?: string; tag?: string };
}

/** Falco's log levels (syslog names) as pino's. */
const SYSLOG_LEVELS: Record<string, string> = {
  emergency: 'fatal',
  alert: 'fatal',
  critical: 'fatal',
  error: 'error',
  warning: 'warn',
  notice: 'info',
  info: 'info',
  informational: 'info',
  debug: 'debug',
};
const PINO_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** The pino level of `log_level` (pino's own names, or Falco's). */
export function pinoLevel(c: Pick<AgentConfig, 'log_level'>): string {
  const l = c.log_level.toLowerCase();
  return PINO_LEVELS.includes(l) ? l : (SYSLOG_LEVELS[l] ?? 'info');
}

interface MergeContext {
  errors: string[];
  warnings: string[];
  at(path: string): string;
}

/** Settings whose values are not plain scalars or lists of strings: checked by their own function. */
const CUSTOM: Record<string, (v: unknown, path: string, ctx: MergeContext) => unknown> = {
  config_files: (v, path, ctx) => {
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === 'string' || (isPlainObject(x) && typeof x.path === 'string'))) ctx.errors.push(`${ctx.at(path)}: ${path} items must be paths or {path, strategy}`);
    return list;
  },
  rules: (v, path, ctx) => {
    if (!Array.isArray(v)) {
      ctx.errors.push(`${ctx.at(path)}: ${path} must be a list of {enable: {rule|tag}} / {disable: {rule|tag}}`);
      return [];
    }
    v.forEach((item, i) => {
      const p = `${path}[${i}]`;
      const keys = isPlainObject(item) ? Object.keys(item) : [];
      const sel = isPlainObject(item) ? (item.enable ?? item.disable) : undefined;
      const ok = keys.length === 1 && (keys[0] === 'enable' || keys[0] === 'disable') && isPlainObject(sel) &&
        Object.keys(sel).length > 0 && Object.entries(sel).every(([k, x]) => (k === 'rule' || k === 'tag') && typeof x === 'string');
      if (!ok) ctx.errors.push(`${ctx.at(p)}: ${p} must be {enable: {rule: NAME}} , {enable: {tag: TAG}} or the same with disable`);
    });
    return v;
  },
  // The outputs' settings that are lists of mappings or free mappings (outputs/config-extras.ts).
  append_output: (v, path, ctx) => withErrors(ctx, path, (errors) => parseAppendOutput(v, errors)),
  'http_output.custom_headers': (v, path, ctx) => withErrors(ctx, path, (errors) => headerList(v, errors)),
};

/** Runs a reader whose messages name their key, placing each at where `path` was set. */
function withErrors<T>(ctx: MergeContext, path: string, read: (errors: string[]) => T): T {
  const errors: string[] = [];
  const value = read(errors);
  for (const e of errors) ctx.errors.push(`${ctx.at(path)}: ${e}`);
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
}

const BOOL_TEXT: Record<string, boolean> = { true: true, yes: true, y: true, on: true, false: false, no: false, n: false, off: false };

/** Text from `-o key=value` or `${VAR}` read as the type the default has (as yaml-cpp's as<T>() does). */
function coerce(defaults: unknown, user: unknown): unknown {
  if (typeof user !== 'string') return user;
  if (typeof defaults === 'number' && /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(user.trim())) return Number(user);
  if (typeof defaults === 'boolean' && user.toLowerCase() in BOOL_TEXT) return BOOL_TEXT[user.toLowerCase()];
  return user;
}

/** A key Kestrel's config does not have: a Falco key without effect (warned once), or an error. */
function unknownKey(path: string, value: unknown, ctx: MergeContext): void {
  const reason = noEffectReason(path);
  if (reason) {
    ctx.warnings.push(`${ctx.at(path)}: ${path} has no effect here: ${reason}`);
  } else if (isPlainObject(value) && hasNoEffectKeysBelow(path)) {
    // A Falco section partly renamed (falco_libs): each remaining key on its own.
    for (const [k, v] of Object.entries(value)) unknownKey(`${path}.${k}`, v, ctx);
  } else {
    ctx.errors.push(`${ctx.at(path)}: unknown setting ${path}`);
  }
}

/** Defaults overlaid with `user`, checked against the defaults' shape. */
function merge(defaults: unknown, user: unknown, path: string, ctx: MergeContext): unknown {
  if (user === undefined || user === null) return defaults;
  const custom = CUSTOM[path];
  if (custom) return custom(user, path, ctx);
  if (isPlainObject(defaults)) {
    if (!isPlainObject(user)) {
      ctx.errors.push(`${ctx.at(path)}: ${path || 'the file'} must be a mapping, not a ${typeName(user)}`);
      return defaults;
    }
    const out: Record<string, unknown> = { ...defaults };
    for (const [k, v] of Object.entries(user)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in defaults)) {
        unknownKey(p, v, ctx);
        continue;
      }
      out[k] = merge(defaults[k], v, p, ctx);
    }
    return out;
  }
  if (Array.isArray(defaults)) {
    const list = typeof user === 'string' ? [user] : user;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      ctx.errors.push(`${ctx.at(path)}: ${path} must be a list of strings`);
      return defaults;
    }
    return list;
  }
  const value = coerce(defaults, user);
  if (typeof defaults === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) ctx.errors.push(`${ctx.at(path)}: ${path} must be a non-negative number, not ${JSON.stringify(user)}`);
    return value;
  }
  if (typeof value !== typeof defaults) {
    ctx.errors.push(`${ctx.at(path)}: ${path} must be a ${typeof defaults}, not a ${typeName(user)} (${JSON.stringify(user)})`);
    return defaults;
  }
  return value;
}

function checkValues(c: AgentConfig, errors: string[]): void {
  const prio = PRIORITIES.find((p) => p.toLowerCase() === c.priority.toLowerCase()) ?? (c.priority.toLowerCase() === 'info' ? 'Informational' : undefined);
  if (!prio) errors.push(`priority ${JSON.stringify(c.priority)} is not one of ${PRIORITIES.join(', ')}`);
  if (!['first', 'all'].includes(c.rule_matching)) errors.push(`rule_matching must be "first" or "all"`);
  const level = c.log_level.toLowerCase();
  if (!PINO_LEVELS.includes(level) && !(level in SYSLOG_LEVELS)) {
    errors.push(`log_level ${JSON.stringify(c.log_level)} is not one of emergency, alert, critical, error, warning, notice, info, debug (or trace, fatal, warn)`);
  }
  checkOutputs(c, errors);
  for (const [k, v] of Object.entries(c.rules_limits)) if (!Number.isInteger(v) || v < 1) errors.push(`rules_limits.${k} must be a positive integer`);
  const port = c.webserver.listen_port;
  if (!Number.isInteger(port) || port > 65535) errors.push('webserver.listen_port must be a port number (0-65535)');
  if (!c.webserver.k8s_healthz_endpoint.startsWith('/')) errors.push('webserver.k8s_healthz_endpoint must be a path starting with /');
  if (c.webserver.enabled && c.webserver.ssl_enabled && !c.webserver.ssl_certificate) errors.push('webserver.ssl_certificate is required when webserver.ssl_enabled is set');
  if (!Number.isInteger(c.alert_metrics.max_series)) errors.push('alert_metrics.max_series must be an integer');
  if (!['rules', 'all_rules'].includes(c.capture.mode)) errors.push(`capture.mode must be "rules" or "all_rules", not ${JSON.stringify(c.capture.mode)}`);
  if (!['process', 'all'].includes(c.capture.scope)) errors.push(`capture.scope must be "process" or "all", not ${JSON.stringify(c.capture.scope)}`);
  if (c.capture.enabled && !c.capture.path_prefix) errors.push('capture.path_prefix is required when capture is enabled');
  if (!Number.isInteger(c.capture.max_active) || c.capture.max_active < 1) errors.push('capture.max_active must be a whole number of at least 1');
  for (const m of MODULES) errors.push(...(m.config.check?.(sourceConfig(c, m), `sources.${m.name}`) ?? []));
}

/** The Falco priority named by the `priority` setting. */
export function minPriority(c: AgentConfig): Priority {
  const p = c.priority.toLowerCase();
  if (p === 'info') return 'Informational';
  return PRIORITIES.find((x) => x.toLowerCase() === p) ?? 'Debug';
}

function resolvePaths(c: AgentConfig, base: string): void {
  const abs = (p: string) => (p && !isAbsolute(p) ? resolve(base, p) : p);
  c.rules_files = c.rules_files.map(abs);
  resolveOutputPaths(c, abs);
  c.capture.path_prefix = abs(c.capture.path_prefix);
  c.webserver.ssl_certificate = abs(c.webserver.ssl_certificate);
  c.responses_file = abs(c.responses_file);
  for (const m of MODULES) m.config.resolvePaths?.(sourceConfig(c, m), base);
}

/** A config and what reading it noted. */
export interface LoadedConfig {
  config: AgentConfig;
  /** Falco keys without effect here, unset ${VAR}s, renamed keys set twice: one line each. */
  warnings: string[];
  /** The files read (main first, then includes), with their sha256. */
  files: ConfigFileRead[];
  /** Directories included through config_files (watched for new files). */
  directories: string[];
}

function build(user: unknown, base: string, where: string, locations: ReadonlyMap<string, string>): { config: AgentConfig; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const at = (path: string) => locate(locations, path) ?? where;
  const c = structuredClone(merge(AGENT_DEFAULTS, user, '', { errors, warnings, at })) as AgentConfig;
  if (errors.length === 0) {
    const userSources = isPlainObject(user) && isPlainObject(user.sources) ? user.sources : {};
    for (const m of MODULES) {
      const section = userSources[m.name];
      m.config.complete?.(sourceConfig(c, m), isPlainObject(section) ? section : {});
    }
    const valueErrors: string[] = [];
    checkValues(c, valueErrors);
    // Messages start with the key they are about: point at where it was set.
    for (const e of valueErrors) errors.push(`${at(e.split(' ')[0]!)}: ${e}`);
  }
  if (errors.length > 0) throw new ConfigError(errors.join('\n'));
  resolvePaths(c, base);
  return { config: c, warnings };
}

/** Builds a config from parsed YAML (`base` resolves relative paths). Throws ConfigError listing every problem. */
export function configFrom(user: unknown, base: string, where = 'config'): AgentConfig {
  return build(user, base, where, new Map()).config;
}

/** Reads `file` as Falco reads falco.yaml (includes, `-o` overrides, ${VAR}) and checks it. */
export function readAgentConfig(file: string, opts: ReadOptions = {}): LoadedConfig {
  let source;
  try {
    source = readConfigSource(file, opts);
  } catch (err) {
    if (err instanceof ConfigReadError) throw new ConfigError(err.message);
    throw err;
  }
  const notes = renameFalcoKeys(source.raw, source.locations);
  const { config, warnings } = build(source.raw, dirname(resolve(file)), file, source.locations);
  return { config, warnings: [...source.warnings, ...notes, ...warnings], files: source.files, directories: source.directories };
}

export async function loadConfig(file: string, opts: ReadOptions = {}): Promise<AgentConfig> {
  return readAgentConfig(file, opts).config;
}
