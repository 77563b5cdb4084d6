// append_output (Falco's falco.yaml setting): text appended to the output of the rules an entry
// matches (by source, tags, rule name), extra output_fields (raw: typed; "name: format": text),
// and suggested_output's container/k8s fields for the syscall source.
import { describe, expect, it } from 'vitest';
import { configFrom, ConfigError } from '../../src/agent/config.js';
import { suggestedOutput, type AppendOutput } from '../../src/engine/append-output.js';
import { builtinSources, loadRulesFromText } from '../../src/index.js';
import { AuditEvent, type JsonObject } from '../../src/sources/k8saudit/event.js';
import * as fx from '../sources/k8saudit/fixtures.js';

const RULES = `
- rule: Exec into pod
  desc: test
  condition: ka.target.subresource = exec
  output: exec by %ka.user.name
  priority: NOTICE
  source: k8s_audit
  tags: [k8s, exec]
- rule: Shell
  desc: test
  condition: evt.type = execve and proc.name = bash
  output: shell %proc.name
  priority: WARNING
  tags: [shell]
`;

function load(appendOutput: AppendOutput[]) {
  return loadRulesFromText([{ name: 'rules.yaml', content: RULES }], { appendOutput });
}

function execAlert(appendOutput: AppendOutput[]) {
  const res = load(appendOutput);
  expect(res.errors.map((e) => e.message)).toEqual([]);
  return res.ruleset.forSource<AuditEvent>('k8s_audit')!.evaluate(new AuditEvent(fx.execDeckhouse() as JsonObject))[0]!;
}

const templateOf = (appendOutput: AppendOutput[], rule: string) => load(appendOutput).compiled.find((c) => c.name === rule)!.formatter.template;

describe('append_output', () => {
  it('appends extra_output to the rules whose source, tags and name all match', () => {
    expect(templateOf([{ source: 'k8s_audit', extraOutput: 'ns=%ka.target.namespace' }], 'Exec into pod')).toBe('exec by %ka.user.name ns=%ka.target.namespace');
    expect(templateOf([{ source: 'k8s_audit', extraOutput: 'x' }], 'Shell')).toBe('shell %proc.name');
    expect(templateOf([{ tags: ['k8s', 'exec'], extraOutput: 'a' }, { tags: ['k8s', 'other'], extraOutput: 'b' }], 'Exec into pod')).toBe('exec by %ka.user.name a');
    expect(templateOf([{ rule: 'Shell', extraOutput: 'c' }, { extraOutput: 'd' }], 'Shell')).toBe('shell %proc.name c d');
    const a = execAlert([{ source: 'k8s_audit', extraOutput: 'ns=%ka.target.namespace' }]);
    expect(a.output).toMatch(/Notice exec by admin@example.com ns=d8-system$/);
    expect(a.output_fields['ka.target.namespace']).toBe('d8-system');
  });

  it('extra_fields go to output_fields only: a field alone keeps its type, "name: format" is rendered text', () => {
    const a = execAlert([{ source: 'k8s_audit', extraFields: [{ name: 'ka.user.groups', format: 'ka.user.groups', raw: true }, { name: 'where', format: '%ka.target.namespace/%ka.target.name', raw: false }] }]);
    expect(a.output).toMatch(/Notice exec by admin@example.com$/);
    expect(a.output_fields.where).toBe('d8-system/deckhouse-77f868d554-8zpt4');
    expect(Array.isArray(a.output_fields['ka.user.groups'])).toBe(true); // a list field stays a list
    expect(Object.keys(a.output_fields)).toEqual([...Object.keys(a.output_fields)].sort());
  });

  it("suggested_output appends the container plugin's suggested fields to syscall rules (foo_bar=%foo.bar)", () => {
    const suggested = 'container_id=%container.id container_name=%container.name container_image_repository=%container.image.repository container_image_tag=%container.image.tag k8s_pod_name=%k8s.pod.name k8s_ns_name=%k8s.ns.name';
    expect(suggestedOutput(builtinSources().get('syscall')!)).toBe(suggested);
    expect(templateOf([{ suggestedOutput: true }], 'Shell')).toBe(`shell %proc.name ${suggested}`);
    expect(templateOf([{ suggestedOutput: true }], 'Exec into pod')).toBe('exec by %ka.user.name'); // k8s_audit has none
  });

  it('an unknown field in extra_output is an error saying it comes from append_output', () => {
    const res = load([{ source: 'k8s_audit', extraOutput: '%ka.no.such.field' }]);
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]!.message).toMatch(/^append_output: /);
    expect(res.errors[0]!.code).toBe('output-unknown-field');
  });

  it("reads falco.yaml's append_output, naming each mistake", () => {
    const c = configFrom(
      { append_output: [{ suggested_output: true }, { match: { source: 'syscall', tags: ['shell'] }, extra_output: 'on CPU %evt.cpu', extra_fields: [{ home: '/root' }, 'evt.hostname'] }] },
      '/x',
    );
    expect(c.append_output).toEqual([
      { suggestedOutput: true },
      { source: 'syscall', tags: ['shell'], extraOutput: 'on CPU %evt.cpu', extraFields: [{ name: 'home', format: '/root', raw: false }, { name: 'evt.hostname', format: 'evt.hostname', raw: true }] },
    ]);
    expect(() => configFrom({ append_output: [{ match: { sources: 'x' }, extra_fields: [{ a: 'b', c: 'd' }], suggested_output: 'yes' }] }, '/x', 'f.yaml')).toThrow(ConfigError);
    expect(() => configFrom({ append_output: [{ match: { sources: 'x' }, extra_fields: [{ a: 'b', c: 'd' }], suggested_output: 'yes' }] }, '/x', 'f.yaml')).toThrow(
      [
        'f.yaml: unknown setting append_output[0].match.sources',
        'f.yaml: append_output[0].extra_fields[0] must be a field name or a single "name: format" mapping',
        'f.yaml: append_output[0].suggested_output must be true or false',
      ].join('\n'),
    );
  });
});
