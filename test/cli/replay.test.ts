import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { KestrelProcess, haveCli } from './kestrel-process.js';

const UPSTREAM = new URL('../../../shared/upstream-rules/k8s_audit_rules.yaml', import.meta.url).pathname;
const haveUpstream = existsSync(UPSTREAM);
if (!haveUpstream) console.warn(`SKIPPED: upstream k8s audit rules not found at ${UPSTREAM}`);

async function replay(args: string[]) {
  const k = new KestrelProcess(['replay', ...args]);
  const code = await k.exited;
  return { code, out: k.stdoutLines(), err: k.stderr };
}

describe.skipIf(!haveCli || !haveUpstream)('kestrel replay of kube-apiserver audit files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-replay-'));
  // The log backend's format: one Event per line, every stage of every request.
  const exec = fx.execDeckhouse();
  const lines = [
    JSON.stringify({ ...exec, stage: 'RequestReceived', responseStatus: undefined }),
    JSON.stringify(exec),
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":',
    JSON.stringify({ kind: 0 }),
    JSON.stringify(fx.podCreate({ privileged: true, ns: 'payments' })),
    '',
    JSON.stringify(fx.serviceCreate('ClusterIP')),
  ];
  const log = join(dir, 'audit.log');
  writeFileSync(log, lines.join('\n') + '\n');
  // A saved webhook payload: a pretty-printed v1beta1 EventList.
  const doc = join(dir, 'batch.json');
  writeFileSync(doc, JSON.stringify(fx.eventList([fx.clusterRoleBinding('cluster-admin', [{ kind: 'User', name: 'mallory@example.com' }]), { kind: 'Event' }], 'audit.k8s.io/v1beta1'), null, 2));

  it('prints the alerts of JSON-lines logs and EventList documents, reporting bad lines with file:line', async () => {
    const r = await replay(['-r', UPSTREAM, log, doc]);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(4);
    expect(r.out[0]).toMatch(/Notice Attach\/Exec to pod \(user=admin@example.com pod=deckhouse-77f868d554-8zpt4 resource=pods ns=d8-system action=exec command=mkdir\)$/);
    expect(r.out[1]).toMatch(/Warning Pod started with privileged container \(user=system:serviceaccount:kube-system:replicaset-controller pod=web-7d4b9c8f6d-x2kqp resource=pods ns=payments /);
    expect(r.out[2]).toMatch(/Informational K8s Service Created/);
    expect(r.out[3]).toMatch(/Warning Cluster Role Binding to cluster-admin role \(user=kubernetes-admin subject=/);
    expect(r.err).toContain(`${log}:3: skipped: malformed JSON`);
    expect(r.err).toContain(`${log}:4: skipped: kind is 0, expected "Event"`);
    expect(r.err).toMatch(new RegExp(`${doc}:(\\d+): skipped: item 1: auditID is missing`));
    expect(Number(new RegExp(`${doc}:(\\d+): skipped: item 1`).exec(r.err)![1])).toBeGreaterThan(20);
    expect(r.err).toContain('5 event(s) from 2 file(s), 4 alert(s), 3 record(s) skipped');
  });

  it('--json prints Falco json_output lines', async () => {
    const r = await replay(['-r', UPSTREAM, '--json', log]);
    expect(r.code).toBe(0);
    const alerts = r.out.map((l) => JSON.parse(l));
    expect(alerts.map((a) => a.rule)).toEqual(['Attach/Exec Pod', 'Create Privileged Pod', 'K8s Service Created']);
    expect(alerts[0]).toMatchObject({ priority: 'Notice', source: 'k8s_audit', output_fields: { 'ka.uri.param[command]': 'mkdir' } });
    expect(alerts[0].time).toBe(`${exec.stageTimestamp.slice(0, 26)}000Z`);
  });

  it("follows the config's json_include_* and time_format_iso_8601 as the stdout output does", async () => {
    const config = join(dir, 'falco.yaml');
    writeFileSync(
      config,
      [
        'json_output: true',
        'json_include_output_property: false',
        'json_include_tags_property: false',
        'json_include_message_property: true',
        'time_format_iso_8601: true',
      ].join('\n') + '\n',
    );
    const r = await replay(['-c', config, '-r', UPSTREAM, log]);
    expect(r.code).toBe(0);
    const alerts = r.out.map((l) => JSON.parse(l) as Record<string, unknown> & { output_fields: Record<string, unknown> });
    expect(alerts).toHaveLength(3);
    for (const a of alerts) {
      expect(a).not.toHaveProperty('output');
      expect(a).not.toHaveProperty('tags');
      expect(a.message).toEqual(expect.any(String));
    }
    expect(alerts[0]!.message).toMatch(/^Attach\/Exec to pod \(user=admin@example.com /);
    expect(alerts[0]!.output_fields['evt.time.iso8601']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}\+0000$/);
    expect(alerts[0]!.output_fields).not.toHaveProperty('evt.time');
  });

  it('a broken document is reported at its line and column; an unreadable file makes the exit status 1', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "kind": "EventList",\n  "items": [\n    {"auditID": x}\n  ]\n}\n');
    const r = await replay(['-r', UPSTREAM, broken, join(dir, 'missing.log'), log]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`${broken}:4:\\d+: skipped: malformed JSON`));
    expect(r.err).toContain(`cannot read ${join(dir, 'missing.log')}`);
    expect(r.out).toHaveLength(3);
  });

  it('skips a deeply nested line with its file:line and counts it; the events after it still alert', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    // Nested where an Event's own field is read, and a whole line that is nothing but nesting.
    const deepLevel = JSON.stringify({ ...fx.serviceCreate('ClusterIP'), level: 'X' }).replace('"X"', deep);
    const nested = join(dir, 'nested.log');
    const service = JSON.stringify(fx.serviceCreate('ClusterIP'));
    writeFileSync(nested, [service, deepLevel, service, deep, service].join('\n') + '\n');
    const r = await replay(['-r', UPSTREAM, nested]);
    expect(r.err).not.toContain('cannot read');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`${nested}:2: skipped: .*(nested too deeply|nests more than 1000 levels deep)`));
    expect(r.err).toContain(`${nested}:4: skipped: `);
    expect(r.out.filter((l) => /K8s Service Created/.test(l))).toHaveLength(3);
    expect(r.err).toContain('3 event(s) from 1 file(s), 3 alert(s), 2 record(s) skipped');
  });

  it('skips a deeply nested item of an EventList document by its index; the items after it still alert', async () => {
    const service = fx.serviceCreate('ClusterIP');
    const text = JSON.stringify(fx.eventList([service, { ...service, level: 'X' }, service]), null, 2);
    const doc = join(dir, 'nested-list.json');
    writeFileSync(doc, text.replace('"X"', '['.repeat(100_000) + ']'.repeat(100_000)));
    const r = await replay(['-r', UPSTREAM, doc]);
    expect(r.err).not.toContain('cannot read');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(new RegExp(`${doc}:\\d+: skipped: item 1: (nested too deeply|"level" nests more than 1000 levels deep)`));
    expect(r.out.filter((l) => /K8s Service Created/.test(l))).toHaveLength(2);
    expect(r.err).toContain('2 event(s) from 1 file(s), 2 alert(s), 1 record(s) skipped');
  });

  it('exits 1 without output when the rules do not load', async () => {
    const bad = join(dir, 'bad-rules.yaml');
    writeFileSync(bad, '- rule: x\n  desc: x\n  condition: ka.nosuchfield = 1\n  output: x\n  priority: INFO\n  source: k8s_audit\n');
    const r = await replay(['-r', bad, log]);
    expect(r.code).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toMatch(/bad-rules\.yaml:3:\d+: error: .*ka\.nosuchfield/);
  });
});
