// `kestrel capture` with the real eBPF collector: a real untrusted program reads /etc/shadow while
// the capture runs; replaying the file with the upstream rules raises the alert naming it.
import { copyFileSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import { haveCli, KestrelProcess } from '../../../cli/kestrel-process.js';
import { acquireLiveLock, liveSkipReason, skipNote } from '../live/helpers.js';
import { haveUpstream, upstreamRules } from '../helpers.js';
import { replayAlerts } from './capture-helpers.js';

const reason = !haveCli ? 'dist/cli.js not built' : !haveUpstream ? 'upstream rules absent' : liveSkipReason();

describe.skipIf(!!reason)(`kestrel capture from the live eBPF source${skipNote(reason)}`, () => {
  it('records a real /etc/shadow read with its process state; replay with the upstream rules alerts on it', async () => {
    const release = await acquireLiveLock();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'kestrel-livecap-'));
      const file = join(dir, 'live.kcap');
      const reader = join(dir, 'shadowpeek');
      copyFileSync('/bin/cat', reader);
      const cap = new KestrelProcess(['capture', '-o', file, '--duration', '5']);
      // the snapshot is written once the collector is attached and /proc was read
      await cap.waitFor(() => existsSync(file) && statSync(file).size > 4096, 'the capture snapshot', 20_000);
      const run = spawnSync(reader, ['/etc/shadow'], { stdio: 'ignore' });
      expect(run.status).toBe(0);
      const pid = run.pid;
      expect(await cap.exited).toBe(0);
      expect(cap.stderr).toMatch(/kestrel capture: \d+ record\(s\) in \d+ batch\(es\), \d+ process\(es\) in the snapshot/);

      const r = readCapture(file);
      let opens = 0;
      for await (const e of r.events()) if (e.pid === pid && e.spec.name === 'openat' && e.fd?.name === '/etc/shadow') opens++;
      expect(opens).toBe(1);
      expect(r.end?.records).toBeGreaterThan(0);

      const { alerts, error } = await replayAlerts(file, (await upstreamRules()).ruleset);
      expect(error).toBeUndefined();
      const hit = alerts.filter((a) => a.rule === 'Read sensitive file untrusted' && a.output_fields['proc.name'] === 'shadowpeek');
      expect(hit).toHaveLength(1);
      expect(hit[0]!.output_fields).toMatchObject({
        'fd.name': '/etc/shadow',
        'proc.exepath': reader,
        'proc.cmdline': 'shadowpeek /etc/shadow',
        'user.name': 'root',
        'evt.type': 'openat',
      });
      expect(hit[0]!.output_fields['proc.pname']).toEqual(expect.any(String));
    } finally {
      await release();
    }
  }, 60_000);
});
