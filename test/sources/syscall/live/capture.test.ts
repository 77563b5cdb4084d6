// `kestrel capture` records from the live eBPF collector; `kestrel replay` of that file raises
// the alert the live agent raised, with the same fields.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLiveLock, liveSkipReason, skipNote } from './helpers.js';
import { runProcess } from './agent-harness.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const UPSTREAM = join(process.cwd(), '..', 'shared', 'upstream-rules');
const reason =
  liveSkipReason() ??
  (existsSync(CLI) ? undefined : `${CLI} is not built (npm test builds it)`) ??
  (existsSync(UPSTREAM) ? undefined : `upstream rules not found at ${UPSTREAM}`);

describe.skipIf(!!reason)(`kestrel capture from the live collector, then replay${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  let dir: string;
  beforeAll(async () => {
    release = await acquireLiveLock();
    dir = mkdtempSync(join(tmpdir(), 'kestrel-capture-'));
  }, 900_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await release?.();
  });

  it('a cat /etc/shadow captured live replays into Read sensitive file untrusted', async () => {
    const file = join(dir, 'live.kcap');
    const cap = spawn(process.execPath, [CLI, 'capture', '-o', file, '--duration', '4'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let summary = '';
    cap.stderr.on('data', (d: Buffer) => (summary += d.toString()));
    const done = new Promise<number | null>((r) => cap.on('exit', r));
    let exited = false;
    void done.then(() => (exited = true));
    // the capture attaches within a second or two: keep provoking until it ends
    let runs = 0;
    while (!exited) {
      await runProcess('/bin/cat', ['/etc/shadow']);
      runs++;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await done, summary).toBe(0);
    expect(summary).toMatch(/kestrel capture: \d+ record\(s\) in \d+ batch\(es\)/);
    expect(runs, summary).toBeGreaterThan(5);

    const rules = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].flatMap((f) => ['-r', join(UPSTREAM, f)]);
    const r = spawnSync(process.execPath, [CLI, 'replay', ...rules, '--json', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    const alerts = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
    const shadow = alerts.filter((a) => a.rule === 'Read sensitive file untrusted' && a.output_fields['proc.cmdline'] === 'cat /etc/shadow');
    expect(shadow.length, `capture: ${summary}replay: ${r.stderr}`).toBeGreaterThan(0);
    expect(shadow.length).toBeLessThanOrEqual(runs);
    const a = shadow[0]!;
    expect(a.output_fields['fd.name']).toBe('/etc/shadow');
    expect(a.output_fields['proc.pname']).toBe(readFileSync('/proc/self/comm', 'utf8').trim());
    expect(a.output_fields['user.uid']).toBe(0);
  }, 60_000);
});
