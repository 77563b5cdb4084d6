// kestrel replay when rules fail on events (issue 14, defect 3): a rule that throws on an event is
// reported on stderr with the event and counted, the other rules still alert on that event, and
// the exit status says something failed; a capture whose boot time no recorder could have written
// is refused at the byte offset of that field instead of failing every alert silently.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeScenarioCapture } from '../../src/sources/syscall/testing/scenario-capture.js';
import { buildScenario } from '../../src/sources/syscall/scenario/synthetic.js';
import * as fx from '../sources/k8saudit/fixtures.js';
import { KestrelProcess, haveCli } from './kestrel-process.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-replay-err-'));

async function replay(args: string[]) {
  const k = new KestrelProcess(['replay', ...args]);
  const code = await k.exited;
  return { code, out: k.stdoutLines(), err: k.stderr };
}

const SCRIPT = `
user 0 root
proc systemd pid=1 exe=/sbin/init
proc bash pid=100 parent=1 exe=/bin/bash
100 spawn /usr/bin/cat /etc/shadow
`;

const AUDIT_RULES = `
- rule: Pod body
  desc: renders the whole event, which a value nested 20,000 levels deep cannot be rendered into
  condition: ka.target.resource = pods and ka.verb = create
  output: "body=%json.obj"
  priority: NOTICE
  source: k8s_audit
- rule: Privileged pod
  desc: t
  condition: ka.target.resource = pods and ka.verb = create and ka.req.pod.containers.privileged intersects (true)
  output: "privileged pod by %ka.user.name"
  priority: WARNING
  source: k8s_audit
`;

describe.skipIf(!haveCli)('kestrel replay: rules that fail on events', () => {
  it('reports the failing rule with the event on stderr, counts it, still prints the other rules alerts and exits 1', async () => {
    const rules = join(dir, 'audit-rules.yaml');
    writeFileSync(rules, AUDIT_RULES);
    const MARK = '__deep__';
    const deepPod = fx.podCreate({ privileged: true, extraContainers: [MARK as never] });
    const plainPod = fx.podCreate({ privileged: true });
    const depth = 20_000;
    const log = join(dir, 'audit.log');
    writeFileSync(log, [JSON.stringify(deepPod).replaceAll(`"${MARK}"`, '['.repeat(depth) + ']'.repeat(depth)), JSON.stringify(plainPod)].join('\n') + '\n');

    const r = await replay(['-r', rules, log]);
    expect(r.code, r.err).toBe(1);
    // rule_matching first: on the deep event the failing first rule is skipped and the second alerts;
    // on the plain one the first rule matches
    expect(r.out[0]).toMatch(/Warning privileged pod by /);
    expect(r.out[1]).toMatch(/Notice body=\{/);
    expect(r.out).toHaveLength(2);
    expect(r.err).toContain(`${log}: rule "Pod body" failed on event {"auditID":"${deepPod.auditID as string}"`);
    expect(r.err).toContain('2 event(s) from 1 file(s), 2 alert(s), 0 record(s) skipped, 1 evaluation error(s)');
    expect(r.err).toContain('kestrel replay: rule "Pod body": 1 evaluation error(s)');
  });

  it('refuses a capture whose bootEpochNs has 400 digits, naming the field and its byte offset, exit 1', async () => {
    const file = join(dir, 'boot.kcap');
    const huge = '1' + '0'.repeat(399);
    writeScenarioCapture(file, buildScenario(SCRIPT), { info: { bootEpochNs: huge } });
    const offset = readFileSync(file).indexOf('"bootEpochNs"');
    expect(offset).toBeGreaterThan(0);
    const r = await replay([file]);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toEqual([]);
    expect(r.err).toContain(`cannot read ${file}: INFO chunk: bootEpochNs "10000000000000000000"... (400 characters) is not a decimal count of nanoseconds from 0 to 9223372036854775807 at byte offset ${offset}`);
  });
});
