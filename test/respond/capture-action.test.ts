// The capture action on an alert it cannot record: an audit alert names no process (captures are
// the syscall source's). The live recording and its replay: live-capture.test.ts.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as fx from '../sources/k8saudit/fixtures.js';
import { actionCount, auditAgent, UPSTREAM_K8S_RULES, type AuditAgent } from './harness.js';

describe.skipIf(!existsSync(UPSTREAM_K8S_RULES))('capture action outside the syscall source', () => {
  let a: AuditAgent | undefined;
  afterAll(async () => a?.agent.stop());

  it('on an audit alert it fails saying why, counted and published, and the next action still runs', async () => {
    const failedBefore = await actionCount('capture', 'failed');
    a = await auditAgent(`dry_run: false
rules:
  - name: record exec
    match: {rules: ["Attach/Exec Pod"]}
    actions: [{action: capture}, {action: label_pod, parameters: {labels: {kestrel.io/quarantine: "true"}}}]
    dry_run: true
`);
    a.source.push(
      fx.auditEvent({
        level: 'Metadata',
        stage: 'ResponseStarted',
        verb: 'create',
        uri: '/api/v1/namespaces/shop/pods/web-1/exec?command=sh&container=app&stdin=true&stdout=true&tty=true',
        user: fx.users.admin,
        objectRef: { resource: 'pods', namespace: 'shop', name: 'web-1', apiVersion: 'v1', subresource: 'exec' },
        code: 101,
      }),
    );
    const [capture, label] = await a.responseEvents(2);
    const fields = (e: Record<string, unknown>) => e.output_fields as Record<string, unknown>;
    expect(fields(capture!)).toMatchObject({ 'response.action': 'capture', 'response.result': 'failed', 'response.detail': 'capture: the alert names no process (capture is for syscall alerts)' });
    expect(fields(label!)).toMatchObject({ 'response.action': 'label_pod', 'response.result': 'dry_run' });
    expect(await actionCount('capture', 'failed')).toBe(failedBefore + 1);
  });
});
