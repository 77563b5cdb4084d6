// Rule-triggered captures (Falco's `capture` section) over real rules, the real record processor
// and state, and the capture reader: what a capture holds, for how long, and its bounds.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../../src/index.js';
import type { RuleSet } from '../../../../src/engine/ruleset.js';
import type { CaptureRequest, CaptureStarted, RuleCaptureSettings } from '../../../../src/sources/source-module.js';
import { SyscallProcessor } from '../../../../src/sources/syscall/batch-processor.js';
import { RuleCaptures } from '../../../../src/sources/syscall/capture/rule-captures.js';
import { exportCaptureMetrics } from '../../../../src/sources/syscall/capture/metrics.js';
import { registry } from '../../../../src/telemetry/metrics.js';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import { newContext } from '../../../../src/sources/syscall/state/context.js';
import { restoreSnapshot } from '../../../../src/sources/syscall/state/snapshot.js';
import type { SyscallEvent } from '../../../../src/sources/syscall/syscall-event.js';
import { buildScenario } from '../../../../src/sources/syscall/scenario/synthetic.js';

const RULES = `
- rule: Shadow read
  desc: t
  condition: evt.type in (open, openat) and fd.name = /etc/shadow
  output: shadow read by %proc.name
  priority: WARNING
  capture: true
  capture_duration: 1000
- rule: Hostname read
  desc: t
  condition: evt.type in (open, openat) and fd.name = /etc/hostname
  output: hostname read by %proc.name
  priority: NOTICE
`;

const BASE = `
proc systemd pid=1 exe=/sbin/init
proc bash pid=100 parent=1 exe=/bin/bash
proc containerd-shim pid=300 parent=1 exe=/usr/bin/containerd-shim-runc-v2
container web1 name=web image=nginx:1.25
container db1 name=db image=postgres:16
proc nginx pid=310 parent=300 exe=/usr/sbin/nginx container=web1
proc postgres pid=410 parent=300 exe=/usr/bin/postgres container=db1
`;

async function rules(): Promise<RuleSet> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-rcap-'));
  writeFileSync(join(dir, 'r.yaml'), RULES);
  const r = await loadRules([join(dir, 'r.yaml')], { ruleMatching: 'all' });
  expect(r.errors).toEqual([]);
  return r.ruleset;
}

/** A response asking for a capture on each alert of `rule`, as the responder does while the alert is handed out. */
interface Asking {
  rule: string;
  request: Partial<CaptureRequest>;
}

/**
 * Runs `script` through the processor record by record (one batch each); `tick` lines advance
 * the clock by N ms. Returns the recorder, the capture files and the answers to `asking`.
 */
async function run(script: string, settings: Partial<RuleCaptureSettings> = {}, asking?: Asking) {
  const prefix = join(mkdtempSync(join(tmpdir(), 'kestrel-rcap-')), 'cap');
  const ruleset = await rules();
  const lines = script.split('\n').map((l) => l.trim()).filter(Boolean);
  const ctx = newContext();
  let now = 0;
  const captures = new RuleCaptures(
    { enabled: true, path_prefix: prefix, mode: 'rules', default_duration: 5000, max_file_size_mb: 0, scope: 'process', max_active: 4, ...settings },
    ctx,
    new Map(),
    () => ruleset,
    pino({ level: 'silent' }),
    () => now,
  );
  const processor = new SyscallProcessor(ctx);
  const rs = ruleset.forSource<SyscallEvent>('syscall')!;
  const alerts: string[] = [];
  const answers: CaptureStarted[] = [];
  // one scenario for all lines (pids, fds, containers stay consistent); the clock moves between records
  const scenario = buildScenario(BASE + lines.filter((l) => !l.startsWith('tick')).join('\n'));
  restoreSnapshot(ctx, processor.parser.cgroupPaths, scenario.snapshot);
  let rec = 0;
  for (const l of lines) {
    if (l.startsWith('tick')) {
      now += Number(l.split(/\s+/)[1]);
      continue;
    }
    const n = buildScenario(BASE + l).list.length; // records this line makes
    for (let i = 0; i < n; i++) {
      processor.process(scenario.list[rec++]!, (e) => {
        const a = rs.evaluate(e);
        for (const x of a) {
          alerts.push(x.rule);
          if (x.rule === asking?.rule) answers.push(captures.request(e, { durationMs: 1000, pathPrefix: join(prefix, '..', 'resp'), maxSizeMb: 100, reason: 'response rule "r"', ...asking.request }));
        }
        captures.onEvent(e, a);
      });
      captures.endBatch();
    }
  }
  captures.close();
  const dir = join(prefix, '..');
  const files = readdirSync(dir).filter((f) => f.endsWith('.kcap')).sort().map((f) => join(dir, f));
  return { captures, files, alerts, ruleset, answers };
}

/** `type pid fd.name` of each event of a capture, replayed. */
async function contents(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readCapture(file).events()) out.push(`${e.spec.name} ${e.pid}${e.fd ? ` ${e.fd.name}` : ''}`);
  return out;
}

describe('rule-triggered captures', () => {
  it("a capture: true rule firing in a container records that container's events from the triggering one until the duration passed", async () => {
    const { captures, files, alerts } = await run(`
      100 openat /etc/hostname O_RDONLY
      310 openat /etc/shadow O_RDONLY
      100 openat /tmp/host-file O_RDONLY
      410 openat /tmp/db-file O_RDONLY
      310 spawn /bin/cat /etc/passwd
      tick 999
      310 openat /tmp/still-in O_RDONLY
      tick 1
      310 openat /tmp/too-late O_RDONLY
    `);
    expect(alerts).toEqual(['Hostname read', 'Shadow read']);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/cap_\d{20}_\d{17}\.kcap$/);
    expect(await contents(files[0]!)).toEqual(['openat 310 /etc/shadow', 'clone 310', 'execve 311', 'openat 310 /tmp/still-in']);
    expect(captures.stats).toMatchObject({ started: 1, stoppedDuration: 1, records: 4, failed: 0 });
  });

  it('the capture replays with the rules: the triggering alert again, with its container', async () => {
    const { files, ruleset } = await run(`310 openat /etc/shadow O_RDONLY`);
    const rs = ruleset.forSource<SyscallEvent>('syscall')!;
    const again: string[] = [];
    for await (const e of readCapture(files[0]!).events()) for (const a of rs.evaluate(e)) again.push(`${a.rule} ${String(a.output)}`);
    expect(again).toHaveLength(1);
    expect(again[0]).toContain('Shadow read');
    expect(again[0]).toContain('shadow read by nginx');
  });

  it("a host process's capture follows it and the processes it starts, nothing else", async () => {
    const { files } = await run(`
      100 openat /etc/shadow O_RDONLY
      100 spawn /usr/bin/id
      310 openat /tmp/container O_RDONLY
      1 openat /tmp/init O_RDONLY
    `);
    expect(await contents(files[0]!)).toEqual(['openat 100 /etc/shadow', 'clone 100', 'execve 101']);
  });

  it('a second trigger while recording extends the capture (the longest deadline wins); a rule without capture starts none', async () => {
    const { captures, files } = await run(`
      310 openat /etc/shadow O_RDONLY
      tick 800
      310 openat /etc/shadow O_RDONLY
      tick 800
      310 openat /tmp/after-first-deadline O_RDONLY
      310 openat /etc/hostname O_RDONLY
    `);
    expect(files).toHaveLength(1);
    expect(await contents(files[0]!)).toContain('openat 310 /tmp/after-first-deadline');
    expect(captures.stats).toMatchObject({ started: 1, extended: 1 });
  });

  it('mode all_rules: any rule firing starts a capture, with default_duration', async () => {
    const { files } = await run(`100 openat /etc/hostname O_RDONLY`, { mode: 'all_rules' });
    expect(await contents(files[0]!)).toEqual(['openat 100 /etc/hostname']);
  });

  it('max_active bounds the captures recording at once; the skipped trigger is counted', async () => {
    const { captures, files } = await run(`
      310 openat /etc/shadow O_RDONLY
      410 openat /etc/shadow O_RDONLY
    `, { max_active: 1 });
    expect(files).toHaveLength(1);
    expect(captures.stats).toMatchObject({ started: 1, skippedLimit: 1 });
  });

  it('the counts reach the Prometheus metrics', async () => {
    const { captures } = await run(`
      310 openat /etc/shadow O_RDONLY
      410 openat /etc/shadow O_RDONLY
      310 openat /etc/shadow O_RDONLY
    `, { max_active: 1 });
    exportCaptureMetrics(() => captures);
    const text = await registry.metrics();
    expect(text).toContain('kestrel_rule_captures_total{result="started"} 1');
    expect(text).toContain('kestrel_rule_captures_total{result="extended"} 1');
    expect(text).toContain('kestrel_rule_captures_total{result="skipped_limit"} 1');
    expect(text).toContain('kestrel_rule_captures_closed_total{reason="shutdown"} 1');
    expect(text).toContain('kestrel_rule_capture_records_total 2');
    expect(text).toContain('kestrel_rule_captures_recording 0');
  });

  it('max_file_size_mb stops a capture hard, counted by reason', async () => {
    const { captures, files } = await run(`
      310 openat /etc/shadow O_RDONLY
      310 openat /tmp/a O_RDONLY
      310 openat /tmp/b O_RDONLY
    `, { max_file_size_mb: 0.0001 });
    expect(await contents(files[0]!)).toEqual(['openat 310 /etc/shadow']);
    expect(captures.stats).toMatchObject({ stoppedSize: 1, stoppedDuration: 0 });
  });

  it('scope all records every event, as Falco', async () => {
    const { files } = await run(`
      310 openat /etc/shadow O_RDONLY
      100 openat /tmp/host O_RDONLY
    `, { scope: 'all' });
    expect(await contents(files[0]!)).toEqual(['openat 310 /etc/shadow', 'openat 100 /tmp/host']);
  });

  it('a prefix in a directory that does not exist: the capture fails to start, counted, evaluation goes on', async () => {
    const { captures, alerts } = await run(`310 openat /etc/shadow O_RDONLY`, { path_prefix: '/nonexistent-dir-kestrel/x' });
    expect(alerts).toEqual(['Shadow read']);
    expect(captures.stats).toMatchObject({ started: 0, failed: 1 });
  });

  describe('asked for by a response (request)', () => {
    it("records the alert's container from the alert's own event, with its own prefix and duration, while capture.enabled is false", async () => {
      const { captures, files, answers } = await run(`
        310 openat /etc/hostname O_RDONLY
        410 openat /etc/shadow O_RDONLY
        310 openat /tmp/in-container O_RDONLY
        100 openat /tmp/host O_RDONLY
        tick 1999
        310 openat /tmp/still-in O_RDONLY
        tick 1
        310 openat /tmp/too-late O_RDONLY
      `, { enabled: false }, { rule: 'Hostname read', request: { durationMs: 2000 } });
      // the Shadow read rule's own capture: true starts nothing: capture.enabled is false
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\/resp_\d{20}_\d{17}\.kcap$/);
      expect(answers).toEqual([{ path: files[0], extended: false, scope: expect.stringMatching(/^container:[0-9a-f]+$/) }]);
      expect(await contents(files[0]!)).toEqual(['openat 310 /etc/hostname', 'openat 310 /tmp/in-container', 'openat 310 /tmp/still-in']);
      expect(captures.stats).toMatchObject({ started: 1, stoppedDuration: 1 });
    });

    it('a request for a container a rule capture records extends that capture and names its file', async () => {
      const { files, answers, captures } = await run(`
        310 openat /etc/shadow O_RDONLY
        tick 500
        310 openat /etc/hostname O_RDONLY
        tick 1000
        310 openat /tmp/after-the-rule-deadline O_RDONLY
      `, {}, { rule: 'Hostname read', request: { durationMs: 2000 } });
      expect(files).toHaveLength(1);
      expect(answers).toEqual([{ path: files[0], extended: true, scope: expect.stringMatching(/^container:[0-9a-f]+$/) }]);
      expect(await contents(files[0]!)).toContain('openat 310 /tmp/after-the-rule-deadline');
      expect(captures.stats).toMatchObject({ started: 1, extended: 1 });
    });

    it('max_active refuses a request with the reason; capture.max_file_size_mb caps a larger max_size_mb', async () => {
      const limited = await run(`
        310 openat /etc/shadow O_RDONLY
        410 openat /etc/hostname O_RDONLY
      `, { max_active: 1 }, { rule: 'Hostname read', request: {} });
      expect(limited.answers).toEqual([{ error: '1 captures are recording (capture.max_active)' }]);
      expect(limited.captures.stats).toMatchObject({ started: 1, skippedLimit: 1 });
      const capped = await run(`
        410 openat /etc/hostname O_RDONLY
        410 openat /tmp/a O_RDONLY
      `, { enabled: false, max_file_size_mb: 0.0001 }, { rule: 'Hostname read', request: { maxSizeMb: 100 } });
      expect(await contents(capped.files[0]!)).toEqual(['openat 410 /etc/hostname']);
      expect(capped.captures.stats).toMatchObject({ stoppedSize: 1 });
    });

    it('a prefix that cannot be written: the answer says why', async () => {
      const { answers } = await run(`310 openat /etc/hostname O_RDONLY`, { enabled: false }, { rule: 'Hostname read', request: { pathPrefix: '/nonexistent-dir-kestrel/x' } });
      expect(answers).toHaveLength(1);
      expect((answers[0] as { error: string }).error).toMatch(/^cannot write \/nonexistent-dir-kestrel\/x_\d+_\d+\.kcap: ENOENT/);
    });
  });
});
