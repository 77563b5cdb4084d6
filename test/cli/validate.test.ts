// `kestrel validate` and `kestrel fields` as a user runs them: the built dist/cli.js, spawned.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'kestrel-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kestrel(args: string[], cwd = dir): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  // `npm test` builds first; a bare `vitest run test/cli` may not have.
  if (!existsSync(CLI)) execFileSync('bash', [join(ROOT, 'scripts', 'build.sh')], { stdio: 'inherit' });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = `- rule: Exec
  desc: exec into a pod
  condition: ka.verb = create and ka.target.subresource = exec
  output: "exec by %ka.user.name"
  priority: NOTICE
  source: k8s_audit
`;
const bad = `- macro: unused
  condition: ka.verb = get
- rule: Broken
  desc: d
  condition: ka.verb = create and ka.nope = 1
  output: "x"
  priority: NOTICE
  source: k8s_audit
- rule: Loud
  desc: d
  condition: ka.verb = get
  output: "x"
  priority: LOUD
  source: k8s_audit
`;

describe('kestrel validate', () => {
  it('exits 0 and prints a summary for valid rules', async () => {
    writeFileSync(join(dir, 'good.yaml'), good);
    const r = await kestrel(['validate', '-r', 'good.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('1 file(s), 1 rule(s) compiled (1 enabled): 0 error(s), 0 warning(s)\n');
  });

  it('prints every error and warning as file:line:col, exits 1', async () => {
    writeFileSync(join(dir, 'bad.yaml'), bad);
    const r = await kestrel(['validate', '-r', 'good.yaml', '-r', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      "bad.yaml:13:13: error: Invalid priority 'LOUD' (rule \"Loud\")",
      "bad.yaml:5:35: error: filter_check called with nonexistent field ka.nope (rule \"Broken\")",
      'bad.yaml:1:3: warning: Macro not referred to by any other rule/macro (macro "unused")',
      '2 file(s), 1 rule(s) compiled (1 enabled): 2 error(s), 1 warning(s)',
      '',
    ]);
  });

  it('--responses checks a responses file: its errors at file:line:col (exit 1), and names that match no loaded rule as warnings', async () => {
    writeFileSync(
      join(dir, 'responses.yaml'),
      ['rules:', '  - name: exec', '    match:', '      rules: [Exec, "Exe*", Exce]', '    actions:', '      - action: label_pod', '        parameters: {labels: {seen: "yes"}}', ''].join('\n'),
    );
    const ok = await kestrel(['validate', '-r', 'good.yaml', '--responses', 'responses.yaml']);
    expect([ok.code, ok.stdout.split('\n')]).toEqual([
      0,
      [
        'responses.yaml:2:5: warning: response rule "exec": "Exce" matches none of the rules loaded',
        '1 file(s), 1 rule(s) compiled (1 enabled), 1 responses file(s): 0 error(s), 1 warning(s)',
        '',
      ],
    ]);
    writeFileSync(join(dir, 'bad-responses.yaml'), ['rules:', '  - name: exec', '    actions:', '      - action: explode', ''].join('\n'));
    const bad = await kestrel(['validate', '-r', 'good.yaml', '--responses', 'bad-responses.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^bad-responses\.yaml:4:\d+: error: .*explode/m);
    expect(bad.stdout).toMatch(/: [1-9]\d* error\(s\), 0 warning\(s\)\n$/);
  });

  it('the shipped responses file matches the shipped rules', async () => {
    const r = await kestrel(['validate', '--responses', join(ROOT, 'config/responses.yaml')], ROOT);
    expect(r.stdout).toMatch(/, 1 responses file\(s\): 0 error\(s\)/);
    expect(r.stdout).not.toContain('matches none of the rules loaded');
    expect(r.code).toBe(0);
  });

  it('prints a JSON array of diagnostics with --json', async () => {
    const r = await kestrel(['validate', '-r', join(dir, 'bad.yaml'), '--json']);
    expect(r.code).toBe(1);
    const diags = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(diags).toHaveLength(3);
    expect(diags[0]).toEqual({
      severity: 'error',
      code: 'bad-priority',
      falcoCode: 'LOAD_ERR_YAML_VALIDATE',
      message: "Invalid priority 'LOUD'",
      file: join(dir, 'bad.yaml'),
      line: 13,
      column: 13,
      item: { type: 'rule', name: 'Loud' },
    });
    expect(diags.map((d) => d.code)).toEqual(['bad-priority', 'unknown-field', 'unused-macro']);
    const ok = await kestrel(['validate', '-r', 'good.yaml', '--json']);
    expect([ok.code, JSON.parse(ok.stdout)]).toEqual([0, []]);
  });

  it('loads a directory given with -r', async () => {
    const d = mkdtempSync(join(dir, 'rules-'));
    writeFileSync(join(d, 'a.yaml'), good);
    writeFileSync(join(d, 'b.yml'), '- rule: Exec\n  enabled: false\n  override:\n    enabled: replace\n');
    const r = await kestrel(['validate', '-r', d]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('2 file(s), 1 rule(s) compiled (0 enabled): 0 error(s), 0 warning(s)\n');
  });

  it('validates the bundled default rules without -r, from any working directory', async () => {
    const r = await kestrel(['validate'], tmpdir());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1 file\(s\), \d+ rule\(s\) compiled \(\d+ enabled\): 0 error\(s\), 0 warning\(s\)\n$/);
  });

  it('reports a missing rules file', async () => {
    const r = await kestrel(['validate', '-r', 'nope.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^nope\.yaml: error: Cannot read rules path: ENOENT/);
  });
});

describe('kestrel fields', () => {
  it('prints the fields of a source as JSON with type, list, argument and description', async () => {
    const r = await kestrel(['fields', '--source', 'k8s_audit', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.every((f) => f.source === 'k8s_audit')).toBe(true);
    expect(rows.find((f) => f.name === 'ka.user.groups')).toMatchObject({ type: 'CHARBUF', list: true });
    expect(rows.find((f) => f.name === 'ka.uri.param')).toMatchObject({ arg: { required: true, kind: 'key' } });
    expect(rows.find((f) => f.name === 'ka.verb')!.desc).toMatch(/action/i);
  });

  it('prints every source in human form', async () => {
    const r = await kestrel(['fields']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Source syscall:\n/);
    expect(r.stdout).toMatch(/\nSource k8s_audit:\n/);
    expect(r.stdout).toMatch(/\n {2}proc\.name +CHARBUF +\S/);
    expect(r.stdout).toMatch(/\n {2}ka\.uri\.param\[key\] +CHARBUF +\S/);
  });

  it('rejects an unknown source', async () => {
    const r = await kestrel(['fields', '--source', 'cloudtrail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown source 'cloudtrail' \(known: syscall, k8s_audit\)/);
  });
});
