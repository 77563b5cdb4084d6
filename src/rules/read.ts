// Read stage: rules paths -> texts -> YAML documents -> the items of each document.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';
import { offsetLocation } from './mapped-text.js';
import { deref, isNullNode, type FileCtx } from './yaml-values.js';
import { DEFAULT_RULES_LIMITS, LIMIT_KEYS, type RulesLimits } from './limits.js';

/** A rules file's name (as shown in diagnostics) and content. */
export interface RulesText {
  name: string;
  content: string;
}

const RULES_FILE = /\.ya?ml$/i;

function tooLarge(bytes: number, limits: RulesLimits): string {
  return `rules file is ${bytes} bytes, more than ${limits.maxFileBytes} (${LIMIT_KEYS.maxFileBytes}); not loaded`;
}

/** Files first-to-last: a directory contributes its *.yaml/*.yml files in name order (not recursive). */
export async function readRulesPaths(paths: readonly string[], sink: DiagnosticSink, limits: RulesLimits = DEFAULT_RULES_LIMITS): Promise<RulesText[]> {
  const out: RulesText[] = [];
  for (const path of paths) {
    let files: string[];
    try {
      const st = await stat(path);
      if (st.isDirectory()) {
        const names = (await readdir(path, { withFileTypes: true }))
          .filter((d) => (d.isFile() || d.isSymbolicLink()) && RULES_FILE.test(d.name))
          .map((d) => d.name)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        if (names.length === 0) sink.warn('no-rules-files', `No *.yaml or *.yml rules files in directory ${path}`, { file: path, line: 0, column: 0 });
        files = names.map((n) => join(path, n));
      } else files = [path];
    } catch (e) {
      sink.error('file-read', `Cannot read rules path: ${(e as Error).message}`, { file: path, line: 0, column: 0 });
      continue;
    }
    for (const file of files) {
      try {
        // a file over the limit is not even read into memory
        const { size } = await stat(file);
        if (size > limits.maxFileBytes) {
          sink.error('file-too-large', tooLarge(size, limits), { file, line: 1, column: 1 }, { type: 'file', name: file });
          continue;
        }
        out.push({ name: file, content: await readFile(file, 'utf8') });
      } catch (e) {
        sink.error('file-read', `Cannot read rules file: ${(e as Error).message}`, { file, line: 0, column: 0 });
      }
    }
  }
  return out;
}

export interface ParsedItems {
  ctx: FileCtx;
  items: readonly Node[];
}

/**
 * The last parse of each rules file, by name, with the text it was made from. YAML parsing is
 * most of a load (bench/load.js), and a reload reads files that mostly did not change: the
 * parse of a file is reused only for exactly the same name and text, and only when parsing it
 * reported nothing (a file with errors or warnings is parsed again, so they are reported again).
 * The parsed items are read, never changed (frozen), by the stages after this one.
 */
const lastParse = new Map<string, { content: string; parsed: readonly ParsedItems[] }>();
/** Files remembered at most (the upstream syscall rules are three; the parse of one is ~1 MiB of heap). */
const LAST_PARSE_FILES = 32;

/**
 * Parses a rules text: every YAML document in it must be a sequence (null documents are
 * skipped, as Falco does); null entries are skipped. A YAML syntax error rejects the whole
 * file, as Falco's LoadAll does, after reporting every syntax error found.
 */
export function parseRulesText(text: RulesText, sink: DiagnosticSink, limits: RulesLimits = DEFAULT_RULES_LIMITS): readonly ParsedItems[] {
  const bytes = Buffer.byteLength(text.content);
  if (bytes > limits.maxFileBytes) {
    sink.error('file-too-large', tooLarge(bytes, limits), { file: text.name, line: 1, column: 1 }, { type: 'file', name: text.name });
    return [];
  }
  const last = lastParse.get(text.name);
  if (last !== undefined && last.content === text.content) return last.parsed;
  const reported = sink.errors.length + sink.warnings.length;
  const parsed = parseYaml(text, sink);
  if (sink.errors.length + sink.warnings.length === reported) {
    if (lastParse.size >= LAST_PARSE_FILES && !lastParse.has(text.name)) lastParse.clear();
    lastParse.set(text.name, { content: text.content, parsed });
  } else lastParse.delete(text.name);
  return parsed;
}

function parseYaml(text: RulesText, sink: DiagnosticSink): readonly ParsedItems[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text.content, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  let syntaxErrors = 0;
  for (const doc of docs) {
    for (const e of doc.errors) {
      syntaxErrors++;
      sink.error('yaml-parse', `YAML parse error: ${e.message}`, offsetLocation(e.pos[0], lc, text.name), {
        type: 'file',
        name: text.name,
      });
    }
  }
  if (syntaxErrors > 0) return [];
  const out: ParsedItems[] = [];
  for (const doc of docs) {
    const ctx: FileCtx = { file: text.name, src: text.content, lc, doc };
    const root = deref(ctx, doc.contents);
    if (isNullNode(root)) continue;
    const at = offsetLocation(root!.range?.[0] ?? 0, lc, text.name);
    if (!isSeq(root)) {
      if (isMap(root)) sink.error('not-a-list', 'Rules content is not yaml array of objects', at, { type: 'file', name: text.name });
      else sink.error('not-yaml', 'Rules content is not yaml', at, { type: 'file', name: text.name });
      continue;
    }
    const items: Node[] = [];
    for (const raw of root.items) {
      const item = deref(ctx, raw);
      if (!isNullNode(item)) items.push(item!);
    }
    out.push(Object.freeze({ ctx: Object.freeze(ctx), items: Object.freeze(items) }));
  }
  return Object.freeze(out);
}
