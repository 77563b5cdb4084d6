// `kestrel run -e` reads scap files through the same replay reader as `kestrel replay`, gzip or
// not (the first bytes decide), and the scap counters reach Prometheus.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readerFor } from '../../../../src/agent/replay-readers.js';
import { registry } from '../../../../src/telemetry/metrics.js';
import { KestrelProcess, haveCli } from '../../../cli/kestrel-process.js';
import { fixture, haveShared } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-scap-run-'));
const RULES = join(dir, 'cat.yaml');
writeFileSync(RULES, '- rule: open_from_cat\n  desc: d\n  condition: evt.type=open and proc.name=cat\n  output: open by cat (file=%fd.name)\n  priority: WARNING\n');

describe.skipIf(!haveShared)('scap files in kestrel run -e and the replay readers', () => {
  const plain = join(dir, 'cat_write_uncompressed.scap');
  if (haveShared) writeFileSync(plain, gunzipSync(readFileSync(fixture('cat_write.scap'))));

  it('picks the scap reader for plain and gzip-compressed files by their first bytes', async () => {
    expect((await readerFor(plain)).describe).toMatch(/libscap captures/);
    expect((await readerFor(fixture('cat_write.scap'))).describe).toMatch(/libscap captures/);
    const notScap = join(dir, 'text.scap');
    writeFileSync(notScap, 'hello');
    await expect(readerFor(notScap)).rejects.toThrow(/not a format replay reads/);
  });

  it.skipIf(!haveCli)('-e FILE.scap evaluates the capture through the configured outputs and exits when it is read', async () => {
    for (const file of [plain, fixture('cat_write.scap')]) {
      const k = new KestrelProcess(['run', '-r', RULES, '-o', 'webserver.enabled=false', '-e', file, '--json']);
      expect(await k.exited).toBe(0);
      const alerts = k.stdoutLines().map((l) => JSON.parse(l) as { rule: string; output_fields: Record<string, unknown> });
      expect(alerts.map((a) => a.output_fields['fd.name'])).toEqual(['/etc/ld.so.cache', '/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/locale/locale-archive', '/dev/null']);
    }
  });

  it('exports the counts of the replay as Prometheus counters', async () => {
    const reader = await readerFor(fixture('curl_google.scap'));
    const input = reader.read(fixture('curl_google.scap'), () => undefined);
    let n = 0;
    for await (const e of input) if (e) n++;
    expect(n).toBe(126);
    expect(input.summary?.()).toMatch(/^scap: 1536 event\(s\) in 1595 block\(s\): 126 record\(s\), 123 enter event\(s\) merged/);
    const text = await registry.metrics();
    const value = (result: string) => Number(new RegExp(`kestrel_scap_events_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1]);
    expect(value('record')).toBe(126);
    expect(value('merged_enter')).toBe(123);
    expect(value('skipped_clone_second_half')).toBe(1);
    expect(value('skipped_no_kestrel_event')).toBe(1286);
    expect(text).toMatch(/kestrel_scap_blocks_skipped_total 0/);
    // and in the family every source reports its skips into
    expect(text).toMatch(/kestrel_events_skipped_total\{source="syscall",reason="scap_no_kestrel_event"\} 1286/);
    expect(text).toMatch(/kestrel_events_skipped_total\{source="syscall",reason="scap_clone_second_half"\} 1/);
  });
});
