// `kestrel test`: the bundled rule tests pass through the real CLI, and the runner reports what a
// rule author needs when they do not: the failing case with a diff of expected and produced alerts,
// bad test files at file:line:col, rules that do not load, unreadable events, exit status 1.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRuleTests } from '../../src/ruletest/run.js';
import { defaultRulesPath } from '../../src/rules/defaults.js';
import { KestrelProcess, haveCli } from './kestrel-process.js';

const DEFAULT_RULES = join(defaultRulesPath(), 'kestrel_rules.yaml');
const NGINX_SHELL = `
      proc nginx pid=100 parent=1 exe=/usr/sbin/nginx uid=33
      100 spawn /bin/sh -c id`;

/** Writes test files into a fresh directory; returns their paths by name. */
function files(named: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-ruletest-'));
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(named)) {
    out[name] = join(dir, name);
    writeFileSync(out[name], content);
  }
  return out;
}

/** A minimal valid audit event: a secret read by alice. */
const event = (verb: string) => ({
  kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `id-${verb}`, stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/shop/secrets/db', verb, user: { username: 'alice@example.com', groups: ['system:authenticated'] },
  sourceIPs: ['10.0.0.1'], objectRef: { resource: 'secrets', namespace: 'shop', name: 'db', apiVersion: 'v1' },
  responseStatus: { code: 200 }, requestReceivedTimestamp: '2024-05-14T09:22:19.868412Z', stageTimestamp: '2024-05-14T09:22:19.875918Z',
});

async function run(...paths: string[]): Promise<{ lines: string[]; passed: number; failed: number }> {
  const lines: string[] = [];
  const s = await runRuleTests(paths, (l) => lines.push(l));
  return { lines, ...s };
}

describe.runIf(haveCli)('kestrel test (the CLI)', () => {
  it('passes the bundled rule tests: exit 0, one line per case, last line "N passed, 0 failed" with N >= 60', async () => {
    const p = new KestrelProcess(['test', 'rules/tests']);
    expect(await p.exited).toBe(0);
    const lines = p.stdoutLines();
    const last = lines[lines.length - 1]!;
    const m = /^(\d+) passed, 0 failed$/.exec(last);
    expect(m, last).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(60);
    expect(lines.filter((l) => l.startsWith('ok   '))).toHaveLength(Number(m![1]));
  });

  it('exits 1 with the failure and its diff when a case fails', async () => {
    const f = files({
      'shell.yaml': `rules: ${DEFAULT_RULES}\ncases:\n  - name: wrong parent\n    syscalls: |${NGINX_SHELL}\n    expect:\n      - rule: Run shell untrusted\n        fields:\n          proc.pname: apache2\n`,
    });
    const p = new KestrelProcess(['test', f['shell.yaml']!]);
    expect(await p.exited).toBe(1);
    const out = p.stdoutLines();
    expect(out[0]).toMatch(/^FAIL .*shell\.yaml:3 wrong parent$/);
    expect(out).toContain('     -   proc.pname: "apache2"');
    expect(out).toContain('     +   proc.pname: "nginx"');
    expect(out[out.length - 1]).toBe('0 passed, 1 failed');
  });
});

describe.runIf(haveCli)('kestrel test in the npm package', () => {
  it('loads no module from a folder the package leaves out (package.json "files")', () => {
    const root = process.cwd();
    const excluded = (JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] }).files
      .filter((f) => f.startsWith('!'))
      .map((f) => f.slice(1).replace(/\/$/, ''));
    const seen = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+\.js)'/g)) {
        const target = resolve(dirname(file), m[1]!);
        if (existsSync(target)) walk(target);
      }
    };
    walk(join(root, 'dist/cli/test.js'));
    const files = [...seen].map((f) => relative(root, f));
    expect(files).toContain('dist/sources/syscall/scenario/synthetic.js');
    expect(files.filter((f) => excluded.some((x) => f === x || f.startsWith(`${x}/`)))).toEqual([]);
  });
});

describe('the rule test runner', () => {
  it('reports each case, a diff of counts, missing and unexpected rules, and the summary', async () => {
    const f = files({
      'cases.yaml': `rules: ${DEFAULT_RULES}
cases:
  - name: passes
    syscalls: |${NGINX_SHELL}
    expect: [Run shell untrusted]
  - name: expects two alerts, gets one
    syscalls: |${NGINX_SHELL}
    expect:
      - rule: Run shell untrusted
        count: 2
  - name: expects quiet, gets an alert
    syscalls: |${NGINX_SHELL}
    expect: no alerts
  - name: expects another rule
    syscalls: |${NGINX_SHELL}
    expect:
      - Terminal shell in container
`,
    });
    const r = await run(f['cases.yaml']!);
    expect([r.passed, r.failed]).toEqual([1, 3]);
    const text = r.lines.join('\n');
    expect(r.lines[0]).toMatch(/^ok {3}.*cases\.yaml:3 passes$/);
    expect(text).toContain('FAIL ');
    expect(text).toContain('expects two alerts, gets one\n     - expected\n     + produced\n     - Run shell untrusted ×2\n     + Run shell untrusted ×1');
    expect(text).toContain('expects quiet, gets an alert\n     - expected\n     + produced\n     - (no alerts)\n     + Run shell untrusted ×1');
    expect(text).toContain('- Terminal shell in container ×1\n     + Run shell untrusted ×1');
    expect(r.lines[r.lines.length - 1]).toBe('1 passed, 3 failed');
  });

  it('compares priority and fields over every alert of the rule; null is a field without value', async () => {
    const f = files({
      'fields.yaml': `rules: ${DEFAULT_RULES}
cases:
  - name: right
    syscalls: |${NGINX_SHELL}
    expect:
      - rule: Run shell untrusted
        priority: Warning
        fields: {proc.name: sh, user.uid: 33, container.image: null}
  - name: wrong priority and a field not in the output
    syscalls: |${NGINX_SHELL}
    expect:
      - rule: Run shell untrusted
        priority: Critical
        fields: {fd.name: /x}
`,
    });
    const r = await run(f['fields.yaml']!);
    expect([r.passed, r.failed]).toEqual([1, 1]);
    expect(r.lines).toContain('     -   priority: Critical');
    expect(r.lines).toContain('     +   priority: Warning');
    expect(r.lines).toContain('     +   fd.name: (not in the output)');
  });

  it('reads audit events inline (Event and EventList), from an audit log and from a capture', async () => {
    const f = files({
      'log.jsonl': `${JSON.stringify(event('get'))}\n${JSON.stringify(event('list'))}\n`,
      'audit.yaml': `rules: ${DEFAULT_RULES}
cases:
  - name: inline event
    audit: ${JSON.stringify(event('get'))}
    expect: [K8s secret read by unexpected user]
  - name: inline EventList
    audit: ${JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [event('get'), event('get')] })}
    expect:
      - rule: K8s secret read by unexpected user
        count: 2
        fields: {ka.user.name: alice@example.com}
  - name: audit log (get and list are both reads)
    audit_log: log.jsonl
    expect:
      - rule: K8s secret read by unexpected user
        count: 2
  - name: capture
    capture: ${join(process.cwd(), 'rules/tests/fixtures/web-shell.kcap')}
    expect: [Run shell untrusted]
`,
    });
    const r = await run(f['audit.yaml']!);
    expect(r.lines.filter((l) => !l.startsWith('ok'))).toEqual(['4 passed, 0 failed']);
  });

  it('reports bad test files and bad cases at file:line:col, runs the good cases, and counts each as failed', async () => {
    const f = files({
      'a-broken.yaml': 'cases:\n  - name: x\n    expect: [a\n',
      'b-not-a-mapping.yaml': '- just a list\n',
      'c-cases.yaml': `rules: ${DEFAULT_RULES}
cases:
  - name: unknown key
    syscals: "100 spawn /bin/true"
    expect: no alerts
  - name: two event kinds
    syscalls: "100 spawn /bin/true"
    capture: x.kcap
    expect: no alerts
  - name: bad count
    syscalls: "100 spawn /bin/true"
    expect:
      - rule: X
        count: 0
  - name: bad scenario line
    syscalls: |
      100 spawn /bin/true
      100 connect nowhere
    expect: no alerts
  - name: good
    syscalls: "100 spawn /bin/true"
    expect: no alerts
`,
    });
    const r = await run(f['a-broken.yaml']!, f['b-not-a-mapping.yaml']!, f['c-cases.yaml']!);
    const fails = r.lines.filter((l) => l.startsWith('FAIL') || l.startsWith('     '));
    expect(fails[0]).toMatch(/^FAIL .*a-broken\.yaml:\d+:\d+: YAML: /);
    expect(fails[1]).toMatch(/^FAIL .*b-not-a-mapping\.yaml:1:1: a rule test file is a mapping/);
    expect(r.lines.join('\n')).toMatch(/FAIL .*c-cases\.yaml:4:5 unknown key\n {5}unknown key "syscals" in a case/);
    expect(r.lines.join('\n')).toMatch(/FAIL .*c-cases\.yaml:6:5 two event kinds\n {5}a case needs exactly one of audit, audit_log, capture, syscalls \(has capture, syscalls\)/);
    expect(r.lines.join('\n')).toMatch(/FAIL .*c-cases\.yaml:14:16 bad count\n {5}"count:" is a whole number/);
    expect(r.lines.join('\n')).toMatch(/FAIL .*c-cases\.yaml:15 bad scenario line\n {5}.*c-cases\.yaml:18:7: syscall scenario: expected IP:PORT, got nowhere/);
    expect(r.lines).toContain(r.lines.find((l) => /^ok {3}.*c-cases\.yaml:\d+ good$/.test(l)));
    expect(r.lines[r.lines.length - 1]).toBe('1 passed, 6 failed');
  });

  it('reports a bad line of syscalls_setup at its place in the setup, for each case that uses it', async () => {
    const f = files({
      'setup.yaml': `rules: ${DEFAULT_RULES}\nsyscalls_setup: |\n  proc nginx pid=100 parent=1\n  100 connect nowhere\ncases:\n  - name: uses the setup\n    syscalls: "100 spawn /bin/true"\n    expect: no alerts\n`,
    });
    const r = await run(f['setup.yaml']!);
    expect(r.lines.join('\n')).toMatch(/FAIL .*setup\.yaml:6 uses the setup\n {5}.*setup\.yaml:4:3: syscall scenario: expected IP:PORT, got nowhere/);
  });

  it('counts a path that does not exist as failed and still runs the others and prints the summary', async () => {
    const f = files({ 'ok.yaml': 'cases:\n  - name: quiet\n    syscalls: "100 spawn /bin/true"\n    expect: no alerts\n' });
    const missing = join(dirname(f['ok.yaml']!), 'missing.yaml');
    const r = await run(missing, f['ok.yaml']!);
    expect(r.lines[0]).toBe(`FAIL ${missing}: ENOENT: no such file or directory, stat '${missing}'`);
    expect(r.lines[r.lines.length - 1]).toBe('1 passed, 1 failed');
  });

  it('fails the cases whose rules do not load, with the loader diagnostics', async () => {
    const f = files({
      'bad-rules.yaml': '- rule: Broken\n  desc: d\n  condition: proc.nmae = x\n  output: o\n  priority: WARNING\n',
      'uses-them.yaml': 'rules: bad-rules.yaml\ncases:\n  - name: c\n    syscalls: "100 spawn /bin/true"\n    expect: no alerts\n',
    });
    const r = await run(f['uses-them.yaml']!);
    expect(r.lines.join('\n')).toMatch(/FAIL .*uses-them\.yaml:3 c\n {5}the rules did not load:\n {5}.*bad-rules\.yaml:3:\d+: error: .*proc\.nmae/);
    expect(r.failed).toBe(1);
  });

  it('fails a case whose audit log has a bad line, naming file:line, and one with no events', async () => {
    const f = files({
      'bad.jsonl': `${JSON.stringify(event('get'))}\n{"kind":"Event"\n`,
      'empty.jsonl': '\n',
      't.yaml': `rules: ${DEFAULT_RULES}\ncases:\n  - name: bad line\n    audit_log: bad.jsonl\n    expect: no alerts\n  - name: empty\n    audit_log: empty.jsonl\n    expect: no alerts\n`,
    });
    const r = await run(f['t.yaml']!);
    expect(r.lines.join('\n')).toMatch(/FAIL .*t\.yaml:3 bad line\n {5}.*bad\.jsonl:2: malformed JSON/);
    expect(r.lines.join('\n')).toMatch(/FAIL .*t\.yaml:6 empty\n {5}.*t\.yaml:7:\d+: the case has no events/);
    expect(r.lines[r.lines.length - 1]).toBe('0 passed, 2 failed');
  });
});
