// `kestrel capture` with the real eBPF collector: a real untrusted program reads /etc/shadow while
// the capture runs; replaying the file with the upstream rules raises the alert naming it, and
// damaged copies of that real capture are reported at their offset after the alerts before.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../../src/engine/alert.js';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import { haveCli, KestrelProcess } from '../../../cli/kestrel-process.js';
import { acquireLiveLock, liveSkipReason, skipNote } from '../live/helpers.js';
import { haveUpstream, upstreamRules } from '../helpers.js';
import { replayAlerts } from './capture-helpers.js';
import { CaptureError } from '../../../../src/sources/syscall/capture/reader.js';
import { chunksOf, cutsOnChunkBoundaries, typeBitFlips, type Mutant } from './damage.js';

const reason = !haveCli ? 'dist/cli.js not built' : !haveUpstream ? 'upstream rules absent' : liveSkipReason();

describe.skipIf(!!reason)(`kestrel capture from the live eBPF source${skipNote(reason)}`, () => {
  // the lock is waited for here (other live files may hold it for minutes), not in the test's time
  let releaseLock: (() => Promise<void>) | undefined;
  const release = async () => {
    const r = releaseLock;
    releaseLock = undefined;
    await r?.();
  };
  beforeAll(async () => {
    releaseLock = await acquireLiveLock();
  }, 900_000);
  afterAll(release);
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-livecap-'));
  const file = join(dir, 'live.kcap');
  let alerts: Alert[] = [];

  it('records a real /etc/shadow read with its process state; replay with the upstream rules alerts on it', async () => {
    try {
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

      const replayed = await replayAlerts(file, (await upstreamRules()).ruleset);
      expect(replayed.error).toBeUndefined();
      alerts = replayed.alerts;
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
      // the damaged copies below are read offline: other live files need not wait for them
      await release();
    }
  }, 60_000);

  it('damaged copies of that real capture are each reported at their offset, after the alerts before the damage', async () => {
    expect(alerts.length).toBeGreaterThan(0);
    // the same capture damaged: cut on chunk boundaries (the END chunk lost) and a type bit
    // flipped in the first, a middle and the last chunk; each reported at its offset, after the
    // alerts before the damage
    const intact = readFileSync(file);
    const chunks = chunksOf(intact);
    const picked = new Set([0, chunks.length >> 1, chunks.length - 1]);
    const cuts = cutsOnChunkBoundaries(intact);
    const mutants: Mutant[] = [
      ...cuts.filter((_c, i) => i % Math.ceil(cuts.length / 8) === 0 || i === cuts.length - 1),
      ...typeBitFlips(intact, (_c, i) => picked.has(i)).filter((_m, i) => i % 4 === 0),
    ];
    for (const [i, m] of mutants.entries()) {
      const damaged = join(dir, `damaged-${i}.kcap`);
      writeFileSync(damaged, m.bytes);
      const r = await replayAlerts(damaged, (await upstreamRules()).ruleset);
      expect(r.error, m.name).toBeInstanceOf(CaptureError);
      const offset = (r.error as CaptureError).offset;
      expect(offset, m.name).toBeGreaterThanOrEqual(m.chunk.at);
      expect(offset, m.name).toBeLessThanOrEqual(m.chunk.end);
      expect(r.alerts, m.name).toEqual(alerts.slice(0, r.alerts.length));
    }
    // without its END chunk, every alert of the capture was still found
    const noEnd = join(dir, 'no-end.kcap');
    writeFileSync(noEnd, cuts.at(-1)!.bytes);
    expect((await replayAlerts(noEnd, (await upstreamRules()).ruleset)).alerts).toEqual(alerts);
  }, 120_000);
});
