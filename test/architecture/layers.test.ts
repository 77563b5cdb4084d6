// src/ is layered: a top-level folder imports only from itself and from folders on a lower layer
// (see LAYERS in ./layers.ts). These tests fail on a new upward or sideways import, naming each one.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLayers, formatViolations, LAYERS, moduleSpecifiers } from './layers.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

describe('src/ layers', () => {
  const report = checkLayers(SRC);

  it('reads the source tree (the checker is looking at src/)', () => {
    expect(report.files).toBeGreaterThan(50);
    expect(report.imports).toBeGreaterThan(100);
  });

  it('has every top-level folder of src/ assigned to a layer, and no top file but index.ts and cli.ts', () => {
    expect(
      report.unassigned,
      `place these in LAYERS (test/architecture/layers.ts) deliberately, or move them: ${report.unassigned.join(', ')}`,
    ).toEqual([]);
  });

  it('has no folder importing from a folder on its own or a higher layer', () => {
    const message =
      `${report.violations.length} import(s) break the layering ` +
      `(lowest first: ${LAYERS.map((l) => l.join(' + ')).join(' < ')}):\n${formatViolations(report.violations, 'src/')}`;
    expect(report.violations.map((v) => `src/${v.file} -> src/${v.target}`), message).toEqual([]);
  });
});

describe('the layer checker', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'kestrel-layers-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** Writes a fixture tree under a fresh folder and returns its src/. */
  let n = 0;
  const tree = (files: Record<string, string>): string => {
    const src = path.join(root, `t${n++}`, 'src');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
      writeFileSync(path.join(src, name), text);
    }
    return src;
  };

  it('flags an import from a lower folder into a higher one, naming file, line and target', () => {
    const src = tree({
      'engine/ruleset.ts': "import { x } from '../fields/registry.js';\nimport { run } from '../agent/agent.js';\n",
      'fields/registry.ts': 'export const x = 1;\n',
      'agent/agent.ts': 'export const run = 1;\n',
    });
    const { violations } = checkLayers(src);
    expect(violations.map((v) => [v.file, v.line, v.target, v.fromFolder, v.toFolder])).toEqual([
      ['engine/ruleset.ts', 2, 'agent/agent.js', 'engine', 'agent'],
    ]);
    expect(formatViolations(violations)).toContain('engine/ruleset.ts:2 -> agent/agent.js');
  });

  it('flags imports between folders on the same layer (rules, sources, outputs)', () => {
    const src = tree({
      'rules/load.ts': "import '../sources/syscall/source.js';\n",
      'outputs/http.ts': "export * from '../rules/load.js';\n",
      'sources/syscall/source.ts': "import type { Rule } from '../../engine/rule.js';\n",
      'engine/rule.ts': 'export type Rule = {};\n',
    });
    const found = checkLayers(src).violations.map((v) => `${v.file} -> ${v.target}`);
    expect(found).toEqual(['outputs/http.ts -> rules/load.js', 'rules/load.ts -> sources/syscall/source.js']);
  });

  it('flags a folder importing the top files, which sit above every layer', () => {
    const src = tree({ 'index.ts': "export * from './cli/run.js';\n", 'cli/run.ts': "import '../index.js';\n" });
    expect(checkLayers(src).violations.map((v) => `${v.file} -> ${v.target}`)).toEqual(['cli/run.ts -> index.js']);
  });

  it('sees dynamic import(), require(), export-from and import("...") types', () => {
    const src = tree({
      'condition/parse.ts': [
        "const m = await import('../engine/a.js');",
        "const r = require('../engine/b.js');",
        "export { y } from '../engine/c.js';",
        "let t: import('../engine/d.js').T;",
        "import e = require('../engine/e.js');",
      ].join('\n'),
    });
    expect(checkLayers(src).violations.map((v) => `${v.line}:${v.target}`)).toEqual([
      '1:engine/a.js',
      '2:engine/b.js',
      '3:engine/c.js',
      '4:engine/d.js',
      '5:engine/e.js',
    ]);
  });

  it('allows imports within a folder, into lower layers, of packages, and anything from the top files', () => {
    const src = tree({
      'index.ts': "export * from './agent/agent.js';\nexport * from './generated/parser.js';\n",
      'cli.ts': "import './cli/run.js';\n",
      'cli/run.ts': "import '../agent/agent.js';\nimport '../generated/parser.js';\nimport 'node:fs';\n",
      'agent/agent.ts': "import './pipeline.js';\nimport '../rules/load.js';\nimport '../sources/s.js';\nimport '../outputs/o.js';\n",
      'rules/load.ts': "import '../engine/e.js';\nimport '../condition/c.js';\nimport 'yaml';\n",
      'engine/e.ts': "import '../fields/f.js';\nimport '../telemetry/t.js';\n",
      'fields/f.ts': "import '../condition/c.js';\n",
      'condition/c.ts': "import '../generated/parser.js';\n",
      'generated/parser.js': 'export const parse = 1;\n',
    });
    const report = checkLayers(src);
    expect(report.violations).toEqual([]);
    expect(report.unassigned).toEqual([]);
    expect(report.imports).toBe(12); // the top files are not checked, so their 3 imports are not counted
  });

  it('reports a top-level folder or top file that no layer names', () => {
    const src = tree({
      'server/health.ts': "import '../engine/e.js';\n",
      'server/README.md': 'notes\n',
      'helpers.ts': 'export {};\n',
      'engine/e.ts': "import '../server/health.js';\n",
    });
    const report = checkLayers(src);
    expect(report.unassigned).toEqual(['helpers.ts', 'server/']);
    expect(report.violations.map((v) => v.reason)).toEqual(['server/ is assigned no layer']);
  });

  it('reads specifiers with their lines from TypeScript and JavaScript files alike', () => {
    expect(moduleSpecifiers('a.js', "\n\nimport x from './x.js';\nexport * from \"y\";\n")).toEqual([
      { specifier: './x.js', line: 3 },
      { specifier: 'y', line: 4 },
    ]);
  });
});
