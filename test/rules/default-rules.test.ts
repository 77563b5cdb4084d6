// Kestrel's own default rules (rules/): load cleanly, with Falco's rules beside them, and every
// rule is a complete detection (description, an output saying who did what where, priority,
// MITRE tags; syscall rules restricted to a few event types). What each rule detects is tested in
// default-rules-syscall.test.ts and default-rules-k8saudit.test.ts.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompiledRule } from '../../src/engine/ruleset.js';
import { defaultRulesPath } from '../../src/rules/defaults.js';
import { loadRules, type LoadResult } from '../../src/index.js';
import { AuditEvent, type JsonObject } from '../../src/sources/k8saudit/event.js';
import * as fx from '../sources/k8saudit/fixtures.js';
import { replayAlerts, scenarioCapture } from '../sources/syscall/capture/capture-helpers.js';

const UPSTREAM = new URL('../../../shared/upstream-rules/', import.meta.url).pathname;
const haveUpstream = existsSync(UPSTREAM);
if (!haveUpstream) console.warn(`SKIPPED: upstream Falco rules not found at ${UPSTREAM}`);

let loaded: LoadResult | undefined;
async function rules(): Promise<LoadResult> {
  loaded ??= await loadRules([defaultRulesPath()], { hostname: 'node-1', ruleMatching: 'all' });
  return loaded;
}
const ofSource = async (source: string): Promise<CompiledRule[]> => (await rules()).ruleset.rules.filter((r) => r.source.name === source);
const fieldsOf = (output: string) => new Set([...output.matchAll(/%([a-z0-9_.]+(?:\[[^\]]*\])?)/g)].map((m) => m[1]!));

describe('default rules', () => {
  it('load with no error and no warning, for both sources, all enabled', async () => {
    const r = await rules();
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect((await ofSource('syscall')).length).toBeGreaterThanOrEqual(25);
    expect((await ofSource('k8s_audit')).length).toBeGreaterThanOrEqual(20);
    expect(r.rules.length).toBe((await ofSource('syscall')).length + (await ofSource('k8s_audit')).length);
    expect(r.rules.filter((s) => !s.enabled).map((s) => s.name)).toEqual([]);
  });

  it('every syscall rule is restricted to a few event types (no rule is evaluated on every syscall)', async () => {
    const wide = (await ofSource('syscall')).filter((r) => r.eventTypes === 'all' || r.eventTypes.size > 4).map((r) => r.name);
    expect(wide).toEqual([]);
  });

  it('the rules need only a small set of syscalls from the kernel', async () => {
    const types = (await rules()).ruleset.forSource('syscall')!.interestingEventTypes();
    expect(types).not.toBe('all');
    expect([...(types as Set<string>)].sort()).toEqual(
      ['connect', 'creat', 'dup', 'dup2', 'dup3', 'execve', 'execveat', 'finit_module', 'init_module', 'link', 'linkat', 'mount', 'open', 'openat', 'openat2', 'ptrace', 'setns', 'socket', 'symlink', 'symlinkat', 'unshare'].sort(),
    );
  });

  it('every rule has a description, a priority and MITRE ATT&CK tags', async () => {
    for (const r of (await rules()).rules) {
      expect(r.desc.length, r.name).toBeGreaterThan(40);
      expect(r.tags.some((t) => t.startsWith('mitre_')), `${r.name}: ${r.tags}`).toBe(true);
      expect(r.tags.some((t) => /^T[A0-9][0-9]{3}(\.[0-9]{3})?$/.test(t)), `${r.name}: ${r.tags}`).toBe(true);
    }
  });

  it('every syscall alert names the process, its parent, the user and the container/pod', async () => {
    const needed = ['proc.name', 'proc.cmdline', 'proc.pname', 'user.name', 'user.uid', 'container.id', 'container.name', 'container.image', 'k8s.ns.name', 'k8s.pod.name'];
    for (const r of await ofSource('syscall')) {
      const fields = fieldsOf(r.spec.output);
      // the process name is in the command line for rules that show it only there
      const missing = needed.filter((f) => !fields.has(f) && !(f === 'proc.name' && fields.has('proc.cmdline')));
      expect(missing, r.name).toEqual([]);
    }
  });

  it('every k8s_audit alert names the user, the object and where the request came from', async () => {
    for (const r of await ofSource('k8s_audit')) {
      const fields = fieldsOf(r.spec.output);
      expect(fields.has('ka.user.name'), r.name).toBe(true);
      expect(fields.has('ka.target.name') || fields.has('ka.resp.name') || fields.has('ka.uri') || fields.has('ka.req.configmap.name'), r.name).toBe(true);
      expect(fields.has('ka.sourceips') && fields.has('ka.useragent'), r.name).toBe(true);
    }
  });

  it('are tuned from a later file as their header shows: a list appended, a macro replaced, a rule disabled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-tune-'));
    const tuning = join(dir, 'zz-local.yaml');
    writeFileSync(
      tuning,
      [
        '- list: kestrel_trusted_exec_users',
        '  items: [ci-deployer]',
        '  override:',
        '    items: append',
        '- macro: kestrel_user_known_write_below_etc',
        '  condition: (proc.name = my-agent and fd.name startswith /etc/my-agent/)',
        '  override:',
        '    condition: replace',
        '- rule: Create NodePort Service',
        '  enabled: false',
        '  override:',
        '    enabled: replace',
        '',
      ].join('\n'),
    );
    const tuned = await loadRules([defaultRulesPath(), tuning], { hostname: 'node-1', ruleMatching: 'all' });
    expect(tuned.errors).toEqual([]);
    expect(tuned.warnings).toEqual([]);
    const k8s = (rs: LoadResult, e: object) => rs.ruleset.evaluate(new AuditEvent(e as JsonObject), 'k8s_audit').map((a) => a.rule);
    const exec = (user: string) => ({ ...fx.execDeckhouse(), user: { username: user, groups: ['system:authenticated'] } });
    expect(k8s(tuned, exec('ci-deployer'))).toEqual([]);
    expect(k8s(tuned, exec('jane'))).toEqual(['Attach/Exec Pod']);
    expect(k8s(await rules(), fx.serviceCreate('NodePort'))).toEqual(['Create NodePort Service']);
    expect(k8s(tuned, fx.serviceCreate('NodePort'))).toEqual([]);
    const script = `proc my-agent pid=100 exe=/opt/my-agent
      100 openat /etc/my-agent/state O_WRONLY|O_CREAT
      100 openat /etc/sudoers O_WRONLY`;
    const etc = async (rs: LoadResult) => (await replayAlerts(scenarioCapture(script), rs.ruleset)).alerts.map((a) => `${a.rule} ${a.output_fields['fd.name']}`);
    expect(await etc(await rules())).toEqual(['Write below etc /etc/my-agent/state', 'Write below etc /etc/sudoers']);
    expect(await etc(tuned)).toEqual(['Write below etc /etc/sudoers']);
  });

  it.skipIf(!haveUpstream)(`load next to Falco's own rules files without errors: macros and lists do not collide${haveUpstream ? '' : ' (SKIPPED: no upstream rules)'}`, async () => {
    const files = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml', 'k8s_audit_rules.yaml'].map((f) => UPSTREAM + f);
    const r = await loadRules([...files, defaultRulesPath()], { hostname: 'node-1' });
    expect(r.errors).toEqual([]);
    // a rule named like one of Falco's replaces it (Falco's semantics for a repeated name), which
    // leaves the replaced rules' macros and lists unused: those are the only warnings
    const byName = new Map(r.rules.map((s) => [s.name, s]));
    for (const name of ['Run shell untrusted', 'Write below etc', 'Create Privileged Pod']) expect(byName.get(name)?.location.file, name).toContain('kestrel_rules.yaml');
    expect(byName.get('System procs network activity')?.location.file).toContain('falco-incubating_rules.yaml');
    expect(new Set(r.warnings.map((w) => w.code))).toEqual(new Set(['unused-macro', 'unused-list']));
    expect(r.warnings.filter((w) => w.item?.name?.startsWith('kestrel_'))).toEqual([]);
  });
});
