// The agent configuration file (YAML): Falco-like top-level settings plus one section per
// source (`sources.<name>`, whose defaults and checks the source's module brings). Whatever the
// file leaves out takes the built-in default; unknown keys and values of the wrong type are
// errors naming the key, so a typo cannot silently disable something.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { PRIORITIES, type Priority } from '../engine/rule.js';
import type { HttpOutputConfig } from '../outputs/http.js';
import type { ProgramOutputConfig } from '../outputs/program.js';
import { sourceConfig, sourceModules as MODULES, type SourcesConfig } from './source-list.js';
import type { RuleCaptureSettings } from '../sources/source-module.js';

export interface AgentConfig {
  /** Rules files or directories, loaded in order. */
  rules_files: string[];
  json_output: boolean;
  /** Minimum priority of the rules evaluated (Falco's `priority`). */
  priority: string;
  /** 'first': only the first matching rule alerts (Falco's default); 'all': every matching rule. */
  rule_matching: 'first' | 'all';
  log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Alerts each output may hold while it catches up; beyond that they are dropped and counted. */
  outputs_queue_capacity: number;
  stdout_output: { enabled: boolean };
  file_output: { enabled: boolean; filename: string };
  http_output: { enabled: boolean } & HttpOutputConfig;
  program_output: { enabled: boolean } & ProgramOutputConfig;
  /** The metrics and health server. */
  webserver: { enabled: boolean; listen_address: string; listen_port: number };
  /** Rule-triggered captures (Falco's `capture` section). */
  capture: RuleCaptureSettings;
  /** One section per source, by source name. */
  sources: SourcesConfig;
}


export const AGENT_DEFAULTS: AgentConfig = {
  rules_files: [],
  json_output: false,
  priority: 'debug',
  rule_matching: 'first',
  log_level: 'info',
  outputs_queue_capacity: 10_000,
  stdout_output: { enabled: true },
  file_output: { enabled: false, filename: '' },
  http_output: { enabled: false, url: '', user_agent: 'kestrel', insecure: false, ca_cert: '', timeout_ms: 5000, max_attempts: 3 },
  program_output: { enabled: false, program: '', keep_alive: false },
  webserver: { enabled: true, listen_address: '127.0.0.1', listen_port: 8765 },
  capture: { enabled: false, path_prefix: '/tmp/falco', mode: 'rules', default_duration: 5000, max_file_size_mb: 0, scope: 'process', max_active: 4 },
  sources: Object.fromEntries(MODULES.map((m) => [m.name, m.config.defaults])) as SourcesConfig,
};

export class ConfigError extends Error {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
}

/** Defaults overlaid with `user`, checked against the defaults' shape. */
function merge(defaults: unknown, user: unknown, path: string, errors: string[]): unknown {
  if (user === undefined || user === null) return defaults;
  if (isPlainObject(defaults)) {
    if (!isPlainObject(user)) {
      errors.push(`${path || 'the file'} must be a mapping, not a ${typeName(user)}`);
      return defaults;
    }
    const out: Record<string, unknown> = { ...defaults };
    for (const [k, v] of Object.entries(user)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in defaults)) {
        errors.push(`unknown setting ${p}`);
        continue;
      }
      out[k] = merge(defaults[k], v, p, errors);
    }
    return out;
  }
  if (Array.isArray(defaults)) {
    const list = typeof user === 'string' ? [user] : user;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      errors.push(`${path} must be a list of strings`);
      return defaults;
    }
    return list;
  }
  if (typeof defaults === 'number') {
    if (typeof user !== 'number' || !Number.isFinite(user) || user < 0) errors.push(`${path} must be a non-negative number, not ${JSON.stringify(user)}`);
    return user;
  }
  if (typeof user !== typeof defaults) {
    errors.push(`${path} must be a ${typeof defaults}, not a ${typeName(user)} (${JSON.stringify(user)})`);
    return defaults;
  }
  return user;
}

function checkValues(c: AgentConfig, errors: string[]): void {
  const prio = PRIORITIES.find((p) => p.toLowerCase() === c.priority.toLowerCase()) ?? (c.priority.toLowerCase() === 'info' ? 'Informational' : undefined);
  if (!prio) errors.push(`priority ${JSON.stringify(c.priority)} is not one of ${PRIORITIES.join(', ')}`);
  if (!['first', 'all'].includes(c.rule_matching)) errors.push(`rule_matching must be "first" or "all"`);
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(c.log_level)) errors.push(`log_level ${JSON.stringify(c.log_level)} is not a pino level`);
  if (c.file_output.enabled && !c.file_output.filename) errors.push('file_output.filename is required when file_output is enabled');
  if (c.http_output.enabled && !/^https?:\/\//.test(c.http_output.url)) errors.push('http_output.url must be an http:// or https:// URL');
  if (c.program_output.enabled && !c.program_output.program) errors.push('program_output.program is required when program_output is enabled');
  const port = c.webserver.listen_port;
  if (!Number.isInteger(port) || port > 65535) errors.push('webserver.listen_port must be a port number (0-65535)');
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
  c.file_output.filename = abs(c.file_output.filename);
  c.capture.path_prefix = abs(c.capture.path_prefix);
  c.http_output.ca_cert = abs(c.http_output.ca_cert ?? '');
  for (const m of MODULES) m.config.resolvePaths?.(sourceConfig(c, m), base);
}

/** Builds a config from parsed YAML (`base` resolves relative paths). Throws ConfigError listing every problem. */
export function configFrom(user: unknown, base: string, where = 'config'): AgentConfig {
  const errors: string[] = [];
  const c = structuredClone(merge(AGENT_DEFAULTS, user, '', errors)) as AgentConfig;
  if (errors.length === 0) checkValues(c, errors);
  if (errors.length > 0) throw new ConfigError(errors.map((e) => `${where}: ${e}`).join('\n'));
  resolvePaths(c, base);
  return c;
}

export async function loadConfig(file: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`);
  }
  return configFrom(doc.toJS(), dirname(resolve(file)), file);
}
