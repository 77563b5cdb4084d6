// The layer checker behind layers.test.ts: reads every import, export-from, dynamic import(),
// require() and import-type specifier under a source root with the TypeScript parser, resolves the
// relative ones, and reports each one that reaches from a top-level folder into a folder that is not
// on a lower layer.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * src/'s top-level folders, lowest layer first. A folder may import from itself and from folders on
 * a lower line; folders on the same line must not import each other.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['generated'], // the condition parser made by peggy from grammar/condition.peggy
  ['condition', 'telemetry'],
  ['fields'],
  ['engine'],
  ['rules', 'sources', 'outputs', 'respond'],
  ['learn'], // learning mode: folds evaluated events from the sources into profiles and policies
  ['agent'],
  ['ruletest'], // `kestrel test`: rule unit tests over the built-in sources
  ['cli'],
];

/** Files directly in src/ that may import anything (the package entry and the CLI entry). */
export const TOP_FILES: readonly string[] = ['index.ts', 'cli.ts'];

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

export interface Layering {
  layers: readonly (readonly string[])[];
  topFiles: readonly string[];
}

export interface Violation {
  /** Importing file, relative to the root, with forward slashes. */
  file: string;
  line: number;
  specifier: string;
  /** Imported path, relative to the root (as written, resolved; extension as in the specifier). */
  target: string;
  fromFolder: string;
  /** Top-level folder of the target, or the top file's name. */
  toFolder: string;
  reason: string;
}

export interface LayerReport {
  violations: Violation[];
  /** Top-level folders (holding at least one file) and top files that no layer names. */
  unassigned: string[];
  /** Number of files read. */
  files: number;
  /** Number of relative specifiers resolved to a place under the root. */
  imports: number;
}

const rel = (root: string, p: string): string => path.relative(root, p).split(path.sep).join('/');

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

const isSource = (file: string): boolean => SOURCE_EXTENSIONS.some((ext) => file.endsWith(ext));

function scriptKind(file: string): ts.ScriptKind {
  if (/\.[cm]?tsx?$/.test(file)) return file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return file.endsWith('x') ? ts.ScriptKind.JSX : ts.ScriptKind.JS;
}

/** Every module specifier in a file, with its 1-based line. */
export function moduleSpecifiers(fileName: string, text: string): { specifier: string; line: number }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, scriptKind(fileName));
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node)) {
      found.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isDynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if ((isDynamicImport || isRequire) && node.arguments.length > 0) add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg)) add(arg.literal);
    } else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      add(node.name); // declare module '../x.js' { ... } augments that module
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Top-level folder (or top file) a root-relative path belongs to. */
const topOf = (relPath: string): { name: string; isTopFile: boolean } => {
  const [first, ...rest] = relPath.split('/');
  return { name: first!, isTopFile: rest.length === 0 };
};

/** Checks the tree under `root` (e.g. src/) against the layering. */
export function checkLayers(root: string, layering: Layering = { layers: LAYERS, topFiles: TOP_FILES }): LayerReport {
  const layerOf = new Map<string, number>();
  layering.layers.forEach((line, i) => line.forEach((folder) => layerOf.set(folder, i)));
  const topFiles = new Set(layering.topFiles);

  const allFiles = listFiles(root);
  const unassigned = new Set<string>();
  for (const file of allFiles) {
    const { name, isTopFile } = topOf(rel(root, file));
    if (isTopFile ? isSource(file) && !topFiles.has(name) : !layerOf.has(name)) unassigned.add(isTopFile ? name : `${name}/`);
  }

  const violations: Violation[] = [];
  let imports = 0;
  const sources = allFiles.filter(isSource);
  for (const file of sources) {
    const fileRel = rel(root, file);
    const from = topOf(fileRel);
    if (from.isTopFile) continue; // the entry points may import anything
    const fromLayer = layerOf.get(from.name);
    if (fromLayer === undefined) continue; // reported as unassigned
    for (const { specifier, line } of moduleSpecifiers(file, readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.') && !path.isAbsolute(specifier)) continue; // a package
      const targetRel = rel(root, path.resolve(path.dirname(file), specifier));
      if (targetRel === '' || targetRel.startsWith('..') || path.isAbsolute(targetRel)) continue; // outside the root
      imports++;
      const to = topOf(targetRel);
      if (to.name === from.name && !to.isTopFile) continue;
      let reason: string;
      if (to.isTopFile) {
        reason = `${from.name}/ imports the top file ${to.name}, which sits above every layer`;
      } else {
        const toLayer = layerOf.get(to.name);
        if (toLayer === undefined) reason = `${to.name}/ is assigned no layer`;
        else if (toLayer > fromLayer) reason = `${from.name}/ (layer ${fromLayer}) imports ${to.name}/ on a higher layer (${toLayer})`;
        else if (toLayer === fromLayer) reason = `${from.name}/ and ${to.name}/ share layer ${toLayer} and must not import each other`;
        else continue;
      }
      violations.push({ file: fileRel, line, specifier, target: targetRel, fromFolder: from.name, toFolder: to.name, reason });
    }
  }
  return { violations, unassigned: [...unassigned].sort(), files: sources.length, imports };
}

/** One line per violation, `file:line -> target (reason)`, paths after `prefix`, for a failure message. */
export function formatViolations(violations: readonly Violation[], prefix = ''): string {
  return violations.map((v) => `  ${prefix}${v.file}:${v.line} -> ${prefix}${v.target}  (${v.reason})`).join('\n');
}
