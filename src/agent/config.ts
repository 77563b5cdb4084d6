// The agent configuration file (YAML): Falco-like top-level settings plus one section per
// source (`sources.<name>`, whose defaults and checks the source's module brings). Whatever the
// file leaves out takes the built-in default; unknown keys and values of the wrong type are
// errors naming the key, so a typo cannot silently disable something.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { PRIORITIES, type Priority } from '../engine/rule.js';
import { checkOutputs, OUTPUT_DEFAULTS, resolveOutputPaths, type OutputsConfig } from '../outputs/config.js';
import { readOutputExtras } from '../outputs/config-extras.js';
import { sourceConfig, sourceModules as MODULES, type SourcesConfig } from './source-list.js';

/** The output settings (outputs_*, json_include_*, *_output, ...) are the outputs' (outputs/config.ts). */
export interface AgentConfig extends OutputsConfig {
  /** Rules files or directories, loaded in order. */
  rules_files: string[];
  json_output: boolean;
  /** Minimum priority of the rules evaluated (Falco's `priority`). */
  priority: string;
  /** 'first': only the first matching rule alerts (Falco's default); 'all': every matching rule. */
  rule_matching: 'first' | 'all';
  log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** The metrics and health server. */
  webserver: { enabled: boolean; listen_address: string; listen_port: number };
  /** One section per source, by source name. */
  sources: SourcesConfig;
}


export const AGENT_DEFAULTS: AgentConfig = {
  rules_files: [],
  json_output: false,
  priority: 'debug',
  rule_matching: 'first',
  log_level: 'info',
  ...OUTPUT_DEFAULTS,
  webserver: { enabled: true, listen_address: '127.0.0.1', listen_port: 8765 },
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
  checkOutputs(c, errors);
  const port = c.webserver.listen_port;
  if (!Number.isInteger(port) || port > 65535) errors.push('webserver.listen_port must be a port number (0-65535)');
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
  for (const m of MODULES) m.config.resolvePaths?.(sourceConfig(c, m), base);
}

/** Builds a config from parsed YAML (`base` resolves relative paths). Throws ConfigError listing every problem. */
export function configFrom(user: unknown, base: string, where = 'config'): AgentConfig {
  const errors: string[] = [];
  // The output settings the generic merge cannot read (append_output, a custom_headers mapping).
  const pre = isPlainObject(user) ? readOutputExtras(user, errors) : { rest: user, appendOutput: [] };
  const c = structuredClone(merge(AGENT_DEFAULTS, pre.rest, '', errors)) as AgentConfig;
  c.append_output = pre.appendOutput;
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
