// Reading the agent configuration as Falco reads falco.yaml (userspace/falco/configuration.cpp,
// yaml_helper.h): the main file, then the `config_files` it includes (files or directories, in
// name order, each merged with its strategy: append, override or add-only), then the `-o
// key=value` overrides (dotted paths, list indices `a.b[1]`, `{...}` values read as YAML), and
// `${VAR}` in string values replaced from the environment (`$${VAR}` keeps the text). Every key
// remembers where it was set (file:line:col or the -o option) so that errors can point there.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, parse as parseYaml, type Node } from 'yaml';

export type Raw = Record<string, unknown>;

/** A config file read (main or included), with its digest (for --support and reload checks). */
export interface ConfigFileRead {
  path: string;
  sha256: string;
}

export interface ConfigSource {
  /** The merged settings, before defaults and checks. */
  raw: Raw;
  /** Where each dotted key path was last set: `file:line:col` or `-o key=value`. */
  locations: Map<string, string>;
  /** Files read, in order (main first). */
  files: ConfigFileRead[];
  /** Directories named in config_files (watched for new files). */
  directories: string[];
  warnings: string[];
}

export class ConfigReadError extends Error {}

export type MergeStrategy = 'append' | 'override' | 'add-only';

export interface ReadOptions {
  /** `-o key=value`, in order. */
  overrides?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

function isRecord(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses one YAML file into a mapping, recording each key's position. */
function readYamlFile(file: string, locations: Map<string, string>): { data: Raw; sha256: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigReadError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigReadError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS() as unknown;
  if (data !== null && data !== undefined && !isRecord(data)) {
    throw new ConfigReadError(`${file}: the file must be a mapping of settings, not a ${Array.isArray(data) ? 'list' : typeof data}`);
  }
  recordPositions(doc.contents, '', file, lines, locations);
  return { data: (data as Raw | null) ?? {}, sha256: createHash('sha256').update(text).digest('hex') };
}

function recordPositions(node: Node | null, path: string, file: string, lines: LineCounter, out: Map<string, string>): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const p = path ? `${path}.${key}` : key;
      const at = lines.linePos(pair.key.range?.[0] ?? 0);
      out.set(p, `${file}:${at.line}:${at.col}`);
      recordPositions(pair.value as Node | null, p, file, lines, out);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const p = `${path}[${i}]`;
      const at = lines.linePos((item as Node).range?.[0] ?? 0);
      out.set(p, `${file}:${at.line}:${at.col}`);
      recordPositions(item as Node, p, file, lines, out);
    });
  }
}

/** Falco's include strategies, applied per top-level key (yaml_helper::include_config_file). */
export function mergeTopLevel(into: Raw, from: Raw, strategy: MergeStrategy): void {
  for (const [key, value] of Object.entries(from)) {
    const existing = into[key];
    if (strategy === 'add-only' && existing !== undefined) continue;
    if (strategy === 'append' && Array.isArray(existing) && Array.isArray(value)) into[key] = [...existing, ...value];
    else into[key] = value;
  }
}

interface Include {
  path: string;
  strategy: MergeStrategy;
  at: string;
}

function includesOf(raw: Raw, base: string, locations: Map<string, string>, where: string): Include[] {
  const list = raw.config_files;
  if (list === undefined || list === null) return [];
  const items = Array.isArray(list) ? list : [list];
  return items.map((item, i) => {
    const at = locations.get(`config_files[${i}]`) ?? locations.get('config_files') ?? where;
    const entry = typeof item === 'string' ? { path: item } : isRecord(item) ? item : undefined;
    if (!entry || typeof entry.path !== 'string') throw new ConfigReadError(`${at}: config_files items are paths or {path, strategy} mappings`);
    const strategy = (entry.strategy ?? 'append') as MergeStrategy;
    if (!['append', 'override', 'add-only'].includes(strategy)) {
      throw new ConfigReadError(`${at}: config_files strategy ${JSON.stringify(entry.strategy)} is not one of append, override, add-only`);
    }
    const p = expandEnvText(entry.path, process.env, []);
    return { path: isAbsolute(p) ? p : resolve(base, p), strategy, at };
  });
}

/** Files an include names: the file itself, or a directory's regular files in name order. */
function includedFiles(path: string): { files: string[]; directory?: string } {
  let st;
  try {
    st = statSync(path);
  } catch {
    return { files: [] }; // as Falco (and rules_files): a missing include is skipped
  }
  if (st.isFile()) return { files: [path] };
  if (!st.isDirectory()) return { files: [] };
  const files = readdirSync(path)
    .map((n) => join(path, n))
    .filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    })
    .sort();
  return { files, directory: path };
}

const SEGMENT = /^([^.[\]]+)((?:\[\d+\])*)$/;

/** `a.b[1].c` -> ['a', 'b', 1, 'c']; throws on a malformed path. */
export function parseKeyPath(key: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of key.split('.')) {
    const m = SEGMENT.exec(part);
    if (!m) throw new ConfigReadError(`-o ${key}: "${part}" is not a key (keys are dotted names with optional [index])`);
    out.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function pathText(parts: ReadonlyArray<string | number>): string {
  return parts.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The value of `-o key=value`: `{...}` (and `[...]`) read as YAML, anything else kept as text. */
function overrideValue(text: string, spec: string): unknown {
  const t = text.trim();
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return parseYaml(t) as unknown;
    } catch (err) {
      throw new ConfigReadError(`-o ${spec}: the value is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return text;
}

/** Applies one `-o key=value` (split at the first '=', as Falco does). */
export function applyOverride(raw: Raw, spec: string, locations: Map<string, string>): void {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new ConfigReadError(`-o ${spec}: must be of the form key=value (key.subkey=value, key[1]=value)`);
  const parts = parseKeyPath(spec.slice(0, eq));
  const value = overrideValue(spec.slice(eq + 1), spec);
  let node: unknown = raw;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    const next = parts[i + 1];
    const here = pathText(parts.slice(0, i + 1));
    if (typeof part === 'number') {
      if (!Array.isArray(node)) throw new ConfigReadError(`-o ${spec}: ${pathText(parts.slice(0, i))} is not a list`);
      if (part > node.length) throw new ConfigReadError(`-o ${spec}: index ${part} is past the end of ${pathText(parts.slice(0, i))} (${node.length} item(s))`);
      if (last) node[part] = value;
      else if (node[part] === undefined || node[part] === null) node[part] = typeof next === 'number' ? [] : {};
      else if (typeof node[part] !== 'object') throw new ConfigReadError(`-o ${spec}: ${here} is not a ${typeof next === 'number' ? 'list' : 'mapping'}`);
      node = node[part];
    } else {
      if (!isRecord(node)) throw new ConfigReadError(`-o ${spec}: ${pathText(parts.slice(0, i))} is not a mapping`);
      if (last) node[part] = value;
      else if (node[part] === undefined || node[part] === null) node[part] = typeof next === 'number' ? [] : {};
      else if (typeof node[part] !== 'object') throw new ConfigReadError(`-o ${spec}: ${here} is not a ${typeof next === 'number' ? 'list' : 'mapping'}`);
      node = node[part];
    }
    if (last) {
      for (const k of [...locations.keys()]) if (k === here || k.startsWith(here + '.') || k.startsWith(here + '[')) locations.delete(k);
      locations.set(here, `-o ${spec}`);
    }
  }
}

/** `${VAR}` replaced by the variable's value ('' when unset, noted in `unset`); `$${VAR}` kept as `${VAR}`. */
export function expandEnvText(text: string, env: NodeJS.ProcessEnv, unset: string[]): string {
  if (!text.includes('${')) return text;
  return text.replace(/\$?\$\{([^}]*)\}/g, (whole, name: string) => {
    if (whole.startsWith('$$')) return whole.slice(1);
    const v = env[name];
    if (v === undefined) unset.push(name);
    return v ?? '';
  });
}

function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string, locations: Map<string, string>, warnings: string[]): unknown {
  if (typeof value === 'string') {
    const unset: string[] = [];
    const out = expandEnvText(value, env, unset);
    for (const name of unset) warnings.push(`${locations.get(path) ?? path}: environment variable ${name} is not set (${path} uses \${${name}}); it reads as ""`);
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`, locations, warnings));
  if (isRecord(value)) {
    const out: Raw = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, path ? `${path}.${k}` : k, locations, warnings);
    return out;
  }
  return value;
}

/**
 * Reads `file` with its includes and overrides, in Falco's order: `-o config_files=...` first,
 * then the includes merged, then every other `-o`, then `${VAR}` expansion.
 */
export function readConfigSource(file: string, opts: ReadOptions = {}): ConfigSource {
  const locations = new Map<string, string>();
  const warnings: string[] = [];
  const main = readYamlFile(file, locations);
  const files: ConfigFileRead[] = [{ path: resolve(file), sha256: main.sha256 }];
  const directories: string[] = [];
  const raw = main.data;
  const overrides = opts.overrides ?? [];
  for (const o of overrides) if (o.startsWith('config_files')) applyOverride(raw, o, locations);
  const base = dirname(resolve(file));
  for (const inc of includesOf(raw, base, locations, file)) {
    if (inc.path === resolve(file)) throw new ConfigReadError(`${inc.at}: config_files includes the main config file ${file}`);
    const { files: found, directory } = includedFiles(inc.path);
    if (directory) directories.push(directory);
    for (const f of found) {
      const incLocations = new Map<string, string>();
      const part = readYamlFile(f, incLocations);
      if (part.data.config_files !== undefined) throw new ConfigReadError(`${incLocations.get('config_files') ?? f}: an included config file cannot include others (config_files)`);
      const before = { ...raw };
      mergeTopLevel(raw, part.data, inc.strategy);
      for (const [k, at] of incLocations) {
        const top = k.split(/[.[]/)[0]!;
        if (raw[top] !== before[top] || before[top] === undefined) locations.set(k, at);
      }
      files.push({ path: f, sha256: part.sha256 });
    }
  }
  for (const o of overrides) if (!o.startsWith('config_files')) applyOverride(raw, o, locations);
  const expanded = expandEnv(raw, opts.env ?? process.env, '', locations, warnings) as Raw;
  return { raw: expanded, locations, files, directories, warnings };
}

/** The location recorded for `path` or its nearest parent. */
export function locate(locations: ReadonlyMap<string, string>, path: string): string | undefined {
  let p = path;
  for (;;) {
    const at = locations.get(p);
    if (at) return at;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
}
