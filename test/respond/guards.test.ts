// The guards in isolation: namespace scope, token bucket, cooldown, idempotence, and the matcher.
import { describe, expect, it } from 'vitest';
import { ActionGate, namespaceDenied, TokenBucket } from '../../src/respond/safety.js';
import { compileMatch } from '../../src/respond/match.js';
import { parseResponses } from '../../src/respond/config.js';
import type { Alert } from '../../src/engine/alert.js';

const scope = (allow: string[] = [], deny: string[] = []) => ({ namespaces: { allow, deny }, own_namespace: 'kestrel' });

describe('namespace scope', () => {
  it('denies kube-system and the own namespace unless allowed, deny wins, a non-empty allow list is exclusive', () => {
    expect(namespaceDenied('kube-system', scope())).toMatch(/protected \(a system namespace\)/);
    expect(namespaceDenied('kestrel', scope())).toMatch(/Kestrel's own/);
    expect(namespaceDenied('production', scope())).toBeUndefined();
    expect(namespaceDenied(undefined, scope())).toBeUndefined();
    expect(namespaceDenied('kube-system', scope(['kube-system']))).toBeUndefined();
    expect(namespaceDenied('kube-system', scope(['kube-system'], ['kube-system']))).toMatch(/namespaces.deny/);
    expect(namespaceDenied('production', scope(['staging']))).toMatch(/not in namespaces.allow/);
  });
});

describe('rate limit, cooldown, idempotence', () => {
  it('a token bucket allows the burst, then refills at per_minute', () => {
    let now = 0;
    const b = new TokenBucket(60, 3, () => now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    now += 999;
    expect(b.take()).toBe(false);
    now += 1;
    expect(b.take()).toBe(true);
  });

  it('the same action on the same target: duplicate while in flight or after success, cooldown after a failure', () => {
    let now = 0;
    const g = new ActionGate({ rate_limit: { per_minute: 600, burst: 100 }, cooldown_seconds: 10 }, () => now);
    expect(g.admit('terminate_pod', 'pod a/b')).toBe('go');
    expect(g.admit('terminate_pod', 'pod a/b')).toBe('duplicate');
    expect(g.admit('label_pod', 'pod a/b')).toBe('go'); // another action on the same pod is its own thing
    g.finish('terminate_pod', 'pod a/b', true);
    now += 60_000;
    expect(g.admit('terminate_pod', 'pod a/b')).toBe('duplicate'); // done stays done
    g.finish('label_pod', 'pod a/b', false);
    expect(g.admit('label_pod', 'pod a/b')).toBe('go'); // 60 s later: past the cooldown
    g.finish('label_pod', 'pod a/b', false);
    now += 9_999;
    expect(g.admit('label_pod', 'pod a/b')).toBe('cooldown');
    now += 1;
    expect(g.admit('label_pod', 'pod a/b')).toBe('go');
  });

  it('rate limits each action separately', () => {
    const g = new ActionGate({ rate_limit: { per_minute: 0, burst: 2 }, cooldown_seconds: 0 }, () => 0);
    expect(['a', 'b', 'c'].map((t) => g.admit('kill_process', t))).toEqual(['go', 'go', 'rate_limited']);
    expect(g.admit('notify', 'x')).toBe('go');
  });
});

describe('response rule matching', () => {
  const alert = (rule: string, priority: Alert['priority'], tags: string[], fields: Record<string, string>): Alert => ({
    hostname: 'h', output: '', output_fields: fields, priority, rule, source: 'syscall', tags, time: '',
  });
  const rule = (match: string) => compileMatch(parseResponses(`rules:\n  - name: r\n    match: ${match}\n    actions: [{action: kill_process}]\n`, 'r.yaml').rules[0]!);
  const fromOutput = (a: Alert) => (f: string) => (a.output_fields[f] as string | undefined);

  it('by exact name or glob, minimum priority, every tag, source and fields', () => {
    const shell = alert('Terminal shell in container', 'Notice', ['container', 'shell'], { 'k8s.ns.name': 'prod', 'proc.name': 'bash' });
    expect(rule('{rules: ["Terminal shell in container"]}')(shell, fromOutput(shell))).toBe(true);
    expect(rule('{rules: ["Terminal shell*"]}')(shell, fromOutput(shell))).toBe(true);
    expect(rule('{rules: ["Terminal"]}')(shell, fromOutput(shell))).toBe(false);
    expect(rule('{priority: notice}')(shell, fromOutput(shell))).toBe(true);
    expect(rule('{priority: warning}')(shell, fromOutput(shell))).toBe(false);
    expect(rule('{tags: [shell, container]}')(shell, fromOutput(shell))).toBe(true);
    expect(rule('{tags: [shell, mitre]}')(shell, fromOutput(shell))).toBe(false);
    expect(rule('{source: k8s_audit}')(shell, fromOutput(shell))).toBe(false);
    expect(rule('{fields: {k8s.ns.name: prod, proc.name: [sh, bash]}}')(shell, fromOutput(shell))).toBe(true);
    expect(rule('{fields: {proc.name: {prefix: ba}}}')(shell, fromOutput(shell))).toBe(true);
    expect(rule('{fields: {proc.name: {not_in: [bash]}}}')(shell, fromOutput(shell))).toBe(false);
    // a field the alert does not carry is not "not in" anything
    expect(rule('{fields: {user.name: {not_in: [root]}}}')(shell, fromOutput(shell))).toBe(false);
  });
});
