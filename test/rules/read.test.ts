// Reading rules files: paths and directories in order, multi-document YAML, empty documents,
// versioning items, anchors; positions of conditions in every YAML scalar style.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/index.js';
import { ENGINE_VERSION } from '../../src/rules/versions.js';
import { errorCodes, k8sRule, load, posOf, warningCodes, where, yaml } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('paths', () => {
  it('loads a directory\'s *.yaml and *.yml files in name order, not other files nor subdirectories', async () => {
    const d = join(dir, 'rules.d');
    mkdirSync(join(d, 'sub'), { recursive: true });
    writeFileSync(join(d, '20-b.yml'), k8sRule('r', 'ka.verb = list'));
    writeFileSync(join(d, '10-a.yaml'), k8sRule('r', 'ka.verb = get') + k8sRule('only-a', 'ka.verb = get'));
    writeFileSync(join(d, 'README.md'), 'not rules');
    writeFileSync(join(d, 'sub', '00.yaml'), 'this: is not loaded');
    const r = await loadRules([d]);
    expect(r.errors).toEqual([]);
    expect(r.files).toEqual([join(d, '10-a.yaml'), join(d, '20-b.yml')]);
    expect(r.rules.map((s) => [s.name, s.conditionText])).toEqual([
      ['r', 'ka.verb = list'],
      ['only-a', 'ka.verb = get'],
    ]);
  });

  it('loads paths in the order given, a later file overriding an earlier one', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, k8sRule('r', 'ka.verb = get'));
    writeFileSync(b, '- rule: r\n  enabled: false\n  override:\n    enabled: replace\n');
    expect((await loadRules([a, b])).rules[0]!.enabled).toBe(false);
    const reversed = await loadRules([b, a]);
    expect(errorCodes(reversed)).toEqual(['no-previous-rule']);
    expect(reversed.errors[0]!.file).toBe(b);
  });

  it('warns about a directory without rules files', async () => {
    const empty = join(dir, 'empty.d');
    mkdirSync(empty);
    const r = await loadRules([empty]);
    expect(r.errors).toEqual([]);
    expect(warningCodes(r)).toEqual(['no-rules-files']);
  });
});

describe('YAML documents', () => {
  it('reads every document of a multi-document file and skips empty ones and null entries', () => {
    const r = load(`---\n${k8sRule('one', 'ka.verb = get')}---\n# only a comment\n---\n-\n${k8sRule('two', 'ka.verb = list')}...\n`);
    expect(r.errors).toEqual([]);
    expect(r.rules.map((s) => s.name)).toEqual(['one', 'two']);
  });

  it('accepts an empty file and a comment-only file', () => {
    const r = load(['', '# nothing here\n']);
    expect(r.errors).toEqual([]);
    expect(r.rules).toEqual([]);
  });

  it('follows YAML anchors and aliases', () => {
    const r = load(yaml`
      - list: admins
        items: &admins [alice, bob]
      - list: copy
        items: *admins
      ${k8sRule('r', 'ka.user.name in (copy)')}
    `);
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual(['List not referred to by any other rule/macro']);
  });

  it('rejects the whole file on a YAML syntax error, reporting it, and goes on with the next file', () => {
    const r = load([`${k8sRule('lost', 'ka.verb = get')}- list: x\n  items: [a\n`, k8sRule('kept', 'ka.verb = get')]);
    expect(errorCodes(r)).toEqual(['yaml-parse']);
    expect(r.errors[0]!.file).toBe('file1.yaml');
    expect(r.rules.map((s) => s.name)).toEqual(['kept']);
  });
});

describe('versioning items', () => {
  it('records required_engine_version (Falco\'s integer form means 0.N.0) and plugin requirements met by built-in plugins', () => {
    const r = load([
      yaml`
        - required_engine_version: 15
        - required_plugin_versions:
            - name: k8saudit
              version: 0.1.0
              alternatives:
                - name: k8saudit-eks
                  version: 0.1.0
            - name: json
              version: 0.7.0
      `,
      `- required_engine_version: 0.50.0\n- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n`,
    ]);
    expect(r.errors).toEqual([]);
    expect(r.engineVersion).toBe(ENGINE_VERSION);
    expect(r.requiredEngineVersion).toBe('0.50.0');
    expect(r.requiredPluginVersions).toEqual([
      [
        { name: 'k8saudit', version: '0.1.0' },
        { name: 'k8saudit-eks', version: '0.1.0' },
      ],
      [{ name: 'json', version: '0.7.0' }],
      [{ name: 'container', version: '0.4.0' }],
    ]);
  });

  it('rejects a plugin version newer than the built-in one, and a different major version', () => {
    const r = load(`- required_plugin_versions:\n    - name: json\n      version: 0.99.0\n    - name: k8saudit\n      version: 1.0.0\n`);
    expect(errorCodes(r)).toEqual(['plugin-requirement', 'plugin-requirement']);
  });
});

describe('condition positions in every YAML scalar style', () => {
  const styles: Array<[string, string]> = [
    ['plain', '  condition: ka.verb = get and ka.nope = 1\n'],
    ['plain, continued on the next line', '  condition: ka.verb = get and\n    ka.nope = 1\n'],
    ['single-quoted', "  condition: 'ka.verb = ''get'' and ka.nope = 1'\n"],
    ['double-quoted with escapes', '  condition: "ka.verb = \\"get\\" and\\tka.nope = 1"\n'],
    ['folded block', '  condition: >\n    ka.verb = get\n    and ka.nope = 1\n'],
    ['literal block', '  condition: |\n    ka.verb = get\n      and ka.nope = 1\n'],
    ['folded block, stripped', '  condition: >-\n\n    ka.verb = get and\n\n    ka.nope = 1\n'],
  ];
  for (const [style, line] of styles) {
    it(`maps an unknown field to its place: ${style}`, () => {
      const text = `- rule: r\n  desc: d\n${line}  output: o\n  priority: INFO\n  source: k8s_audit\n`;
      const r = load(text);
      expect(errorCodes(r)).toEqual(['unknown-field']);
      expect(where(r.errors[0])).toBe(posOf('rules.yaml', text, 'ka.nope'));
    });
  }

  it('maps a position inside a macro to the macro\'s file, and inside a list to the list item', () => {
    const macros = '- macro: m\n  condition: ka.verb = get and ka.nope = 1\n';
    const r = load([macros, k8sRule('r', 'm')]);
    expect(where(r.errors[0])).toBe(posOf('file1.yaml', macros, 'ka.nope'));
    const lists = '- list: l\n  items: [a, "b c", ")"]\n';
    const r2 = load([lists, k8sRule('r', 'ka.verb in (l)')]);
    expect(where(r2.errors[0])).toBe(posOf('file1.yaml', lists, ')"'));
  });
});
