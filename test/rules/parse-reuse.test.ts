// A rules file's YAML parse is reused by the next load only while the file is exactly the same
// (same name, same text) and parsing it reported nothing: any change of the text is parsed and
// loaded anew, diagnostics are reported on every load, and a shared text read under another
// name is located in that file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../src/index.js';
import { parseRulesText } from '../../src/rules/read.js';
import { DiagnosticSink } from '../../src/rules/diagnostics.js';
import { errorCodes, k8sRule } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-parse-reuse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reusing the parse of an unchanged rules file', () => {
  it('gives the same parse for the same name and text, a new one for a one-character change', () => {
    const text = { name: join(dir, 'same.yaml'), content: k8sRule('r', 'ka.verb = get') };
    const first = parseRulesText(text, new DiagnosticSink());
    expect(parseRulesText({ ...text, content: String(text.content) }, new DiagnosticSink())).toBe(first);
    const changed = parseRulesText({ ...text, content: text.content.replace('get', 'gex') }, new DiagnosticSink());
    expect(changed).not.toBe(first);
    expect(String(changed[0]!.items[0]!)).toContain('gex');
    // and the old text, back again, is parsed again (only the last parse of a file is kept)
    expect(parseRulesText(text, new DiagnosticSink())).not.toBe(first);
  });

  it('loads the changed rule after a file changes in place, even to a text of the same length', async () => {
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, k8sRule('r', 'ka.verb = get'));
    const before = await loadRules([file]);
    expect(before.errors).toEqual([]);
    expect(before.rules.map((r) => r.conditionText)).toEqual(['ka.verb = get']);
    writeFileSync(file, k8sRule('r', 'ka.verb = put'));
    const after = await loadRules([file]);
    expect(after.rules.map((r) => r.conditionText)).toEqual(['ka.verb = put']);
    writeFileSync(file, k8sRule('r', 'ka.verb = get') + k8sRule('s', 'ka.verb = list'));
    expect((await loadRules([file])).rules.map((r) => r.name)).toEqual(['r', 's']);
  });

  it('reports a file\'s parse errors again on every load', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, '- rule: r\n  condition: [unclosed\n');
    for (let i = 0; i < 2; i++) expect(errorCodes(await loadRules([broken]))).toContain('yaml-parse');
    const notList = join(dir, 'map.yaml');
    writeFileSync(notList, 'rule: r\n');
    for (let i = 0; i < 2; i++) expect(errorCodes(await loadRules([notList]))).toEqual(['not-a-list']);
  });

  it('names the file a text was read from, when two files hold the same text', async () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    const content = k8sRule('r', 'ka.no_such_field = 1');
    writeFileSync(a, content);
    writeFileSync(b, content);
    const ra = await loadRules([a]);
    const rb = await loadRules([b]);
    expect(ra.errors.map((e) => e.file)).toEqual([a]);
    expect(rb.errors.map((e) => e.file)).toEqual([b]);
  });
});
