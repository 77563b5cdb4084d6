// Typed reads from a YAML node tree that keep where each value came from, so every problem in a
// responses file is reported as file:line:col (as the rules loader reports rules files).
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';

export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

/** A parsed YAML file and the problems found reading it. */
export class YamlReader {
  readonly problems: ConfigProblem[] = [];
  readonly root: Node | null;
  private readonly lc = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    const doc = parseDocument(text, { lineCounter: this.lc, prettyErrors: false, uniqueKeys: true });
    for (const e of doc.errors) this.problemAt(e.pos[0], e.message.split('\n')[0]!);
    this.root = doc.errors.length > 0 ? null : (doc.contents as Node | null);
  }

  problemAt(offset: number, message: string): void {
    const { line, col } = this.lc.linePos(offset);
    this.problems.push({ file: this.file, line, column: col, message });
  }

  /** Reports a problem at `node` (or at the file's start when the node is absent). */
  problem(node: Node | null | undefined, message: string): void {
    this.problemAt(node?.range?.[0] ?? 0, message);
  }

  /** Line:col of a node, for naming a rule in later messages. */
  where(node: Node | null | undefined): { line: number; column: number } {
    const { line, col } = this.lc.linePos(node?.range?.[0] ?? 0);
    return { line, column: col };
  }

  /** The entries of a mapping, each key checked against `known` (unknown keys are problems). */
  entries(node: Node | null | undefined, what: string, known?: readonly string[]): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    if (!node) return out;
    if (!isMap(node)) {
      this.problem(node, `${what} must be a mapping`);
      return out;
    }
    for (const pair of (node as YAMLMap<Node, Node | null>).items) {
      const key = pair.key;
      if (!isScalar(key) || typeof key.value !== 'string') {
        this.problem(key, `${what}: keys must be strings`);
        continue;
      }
      if (known && !known.includes(key.value)) {
        this.problem(key, `${what}: unknown key ${JSON.stringify(key.value)} (known: ${known.join(', ')})`);
        continue;
      }
      out.set(key.value, pair.value ?? null);
    }
    return out;
  }

  string(node: Node | null | undefined, what: string, fallback: string): string {
    if (!node || (isScalar(node) && node.value === null)) return fallback;
    if (isScalar(node) && (typeof node.value === 'string' || typeof node.value === 'number')) return String(node.value);
    this.problem(node, `${what} must be a string`);
    return fallback;
  }

  boolean(node: Node | null | undefined, what: string, fallback: boolean): boolean {
    if (!node || (isScalar(node) && node.value === null)) return fallback;
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    this.problem(node, `${what} must be true or false`);
    return fallback;
  }

  number(node: Node | null | undefined, what: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (!node || (isScalar(node) && node.value === null)) return fallback;
    if (isScalar(node) && typeof node.value === 'number' && Number.isFinite(node.value) && node.value >= min && node.value <= max) return node.value;
    this.problem(node, `${what} must be a number from ${min} to ${max}`);
    return fallback;
  }

  /** A list of strings; a single string is a list of one. */
  strings(node: Node | null | undefined, what: string): string[] {
    if (!node || (isScalar(node) && node.value === null)) return [];
    if (isScalar(node)) return [this.string(node, what, '')];
    if (!isSeq(node)) {
      this.problem(node, `${what} must be a list of strings`);
      return [];
    }
    return node.items.map((n) => this.string(n as Node, `${what} item`, ''));
  }

  /** The key nodes of a mapping by key text (to report a problem at the key itself). */
  keyNodes(node: Node | null | undefined): Map<string, Node> {
    const out = new Map<string, Node>();
    if (node && isMap(node)) for (const pair of (node as YAMLMap<Node, unknown>).items) if (isScalar(pair.key)) out.set(String(pair.key.value), pair.key);
    return out;
  }

  /** A mapping of string to string (labels, annotations, headers). */
  stringMap(node: Node | null | undefined, what: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries(node, what)) out[k] = this.string(v, `${what}.${k}`, '');
    return out;
  }

  /** The items of a sequence. */
  items(node: Node | null | undefined, what: string): Node[] {
    if (!node || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.problem(node, `${what} must be a list`);
      return [];
    }
    return node.items as Node[];
  }
}
