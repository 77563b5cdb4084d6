// Compatibility with the upstream Falco rules, unmodified: the three syscall rules files loaded
// together (in order) and the k8s audit rules file alone compile with zero errors.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRules, type LoadResult } from '../../src/index.js';
import { AuditEvent } from '../../src/sources/k8saudit/event.js';

const UPSTREAM = fileURLToPath(new URL('../../../shared/upstream-rules/', import.meta.url));
const present = existsSync(UPSTREAM);
if (!present) console.warn(`SKIPPED upstream rules tests: ${UPSTREAM} is absent (a clone outside the Kestrel workspace)`);

const SYSCALL_FILES = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => UPSTREAM + f);

function summary(label: string, r: LoadResult): void {
  const counts: Record<string, number> = {};
  for (const w of r.warnings) counts[w.code] = (counts[w.code] ?? 0) + 1;
  console.log(
    `${label}: ${r.rules.length} rules (${r.rules.filter((s) => s.enabled).length} enabled), ` +
      `${r.errors.length} errors, ${r.warnings.length} warnings ${JSON.stringify(counts)}`,
  );
  for (const e of r.errors.slice(0, 20)) console.log(`  ${e.file}:${e.line}:${e.column}: ${e.message} (${e.item?.type} "${e.item?.name}")`);
}

describe.skipIf(!present)('upstream Falco rules (../shared/upstream-rules)', () => {
  it('loads falco_rules + falco-incubating_rules + falco-sandbox_rules together with zero errors', async () => {
    const r = await loadRules(SYSCALL_FILES, { hostname: 'test-host' });
    summary('syscall rules', r);
    expect(r.errors).toEqual([]);
    expect(r.rules).toHaveLength(93);
    expect(r.requiredEngineVersion).toBe('0.57.0');
    expect(r.rules.every((s) => s.source === 'syscall')).toBe(true);
    // Every enabled syscall rule is indexed by event type (none matches every type).
    for (const c of r.compiled) expect(c.eventTypes === 'all' ? c.name : 'indexed').toBe('indexed');
  });

  it('loads k8s_audit_rules alone with zero errors, and its rules match audit events', async () => {
    const r = await loadRules([UPSTREAM + 'k8s_audit_rules.yaml'], { hostname: 'test-host', ruleMatching: 'all' });
    summary('k8s audit rules', r);
    expect(r.errors).toEqual([]);
    expect(r.rules).toHaveLength(48);
    const exec = new AuditEvent({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      stage: 'ResponseStarted',
      verb: 'create',
      requestURI: '/api/v1/namespaces/default/pods/web-0/exec?command=sh&stdin=true&tty=true',
      user: { username: 'mallory', groups: ['system:authenticated'] },
      objectRef: { resource: 'pods', namespace: 'default', name: 'web-0', subresource: 'exec', apiVersion: 'v1' },
      stageTimestamp: '2026-01-01T00:00:00.000000Z',
    });
    const alerts = r.ruleset.evaluate(exec, 'k8s_audit');
    expect(alerts.map((a) => a.rule)).toContain('Attach/Exec Pod');
    const a = alerts.find((x) => x.rule === 'Attach/Exec Pod')!;
    expect(a.output).toContain('user=mallory pod=web-0 resource=pods ns=default action=exec command=sh');
  });
});
