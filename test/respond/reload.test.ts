// SIGHUP reloads the responses file with the rules: a good file replaces the response rules, a bad
// one is reported and the responses in force stay.
import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { actionCount, auditAgent, UPSTREAM_K8S_RULES, type AuditAgent } from './harness.js';

const exec = () =>
  fx.auditEvent({
    level: 'Metadata',
    stage: 'ResponseStarted',
    verb: 'create',
    uri: '/api/v1/namespaces/production/pods/web-0/exec?command=sh',
    objectRef: { resource: 'pods', namespace: 'production', name: 'web-0', apiVersion: 'v1', subresource: 'exec' },
    code: 101,
  });
const responding = (action: string, params = '') => `cooldown_seconds: 0
rules:
  - name: on exec
    match: {rules: ["Attach/Exec Pod"]}
    actions: [{action: ${action}${params}}]
`;

describe.skipIf(!existsSync(UPSTREAM_K8S_RULES))('responses reload', () => {
  let a: AuditAgent | undefined;
  afterEach(() => a?.agent.stop());

  it('a reload applies a changed responses file; a broken one is reported with its position and the old responses stay', async () => {
    a = await auditAgent(responding('terminate_pod'), undefined, true);
    const push = async () => {
      a!.source.push(exec());
      await a!.agent.responses!.idle();
    };
    const terminate = await actionCount('terminate_pod', 'dry_run');
    await push();
    expect(await actionCount('terminate_pod', 'dry_run')).toBe(terminate + 1);

    writeFileSync(a.responsesFile, 'rules:\n  - name: x\n    match: {rules: [y]}\n    actions: [{action: nuke}]\n');
    expect(await a.agent.reload()).toBe(true);
    expect(a.logs.join('')).toContain(`responses reload failed; keeping the previous responses:\\n${a.responsesFile}:4:24: response rule \\"x\\".actions[0]: unknown action \\"nuke\\"`);
    // terminate_pod on web-0 was done (in dry run): the same target again is a duplicate
    const dup = await actionCount('terminate_pod', 'duplicate');
    await push();
    expect(await actionCount('terminate_pod', 'duplicate')).toBe(dup + 1);

    writeFileSync(a.responsesFile, responding('label_pod', ', parameters: {labels: {q: "1"}}'));
    expect(await a.agent.reload()).toBe(true);
    const label = await actionCount('label_pod', 'dry_run');
    await push();
    expect(await actionCount('label_pod', 'dry_run')).toBe(label + 1);
    expect(await actionCount('terminate_pod', 'duplicate')).toBe(dup + 1);
  });

  it('a response rule naming an unknown source or field stops the agent from starting, at its position', async () => {
    await expect(
      auditAgent(
        `rules:
  - name: typo
    match:
      rules: ["Attach/Exec Pod"]
      fields: {ka.target.namspace: production}
    actions: [{action: terminate_pod}]
  - name: wrong source
    match: {source: k8saudit, rules: ["*"]}
    actions: [{action: terminate_pod}]
`,
        undefined,
        true,
      ),
    ).rejects.toThrow(/responses.yaml:5:16: response rule "typo": match.fields: no field "ka.target.namspace"\n.*responses.yaml:7:5: response rule "wrong source": unknown source "k8saudit" \(syscall, k8s_audit\)$/);
  });
});
