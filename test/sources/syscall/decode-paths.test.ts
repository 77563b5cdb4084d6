// Differential: the batch path's fused load() (header read once, params laid out in the same
// pass) reads every record exactly as the plain cursor at() with its lazy layout does, and a
// socket tuple decoded into the state parser's reused object equals a freshly decoded one, over
// a real capture and a scenario covering every socket family and an exec with its environment.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readCapture } from '../../../src/sources/syscall/capture/reader.js';
import { PT } from '../../../src/sources/syscall/record/layout.js';
import { RecordView } from '../../../src/sources/syscall/record/record-view.js';
import { newSocktuple } from '../../../src/sources/syscall/record/sockaddr.js';
import { buildScenario } from '../../../src/sources/syscall/scenario/synthetic.js';
import type { SyscallEvent } from '../../../src/sources/syscall/syscall-event.js';
import { processorFor } from './helpers.js';

const CAPTURE = fileURLToPath(new URL('../../../rules/tests/fixtures/web-shell.kcap', import.meta.url));

/** Everything a reader can get from the record under `v`, param by param. */
function readAll(v: RecordView): unknown[] {
  const out: unknown[] = [v.off, v.len, v.type, v.flags, v.tid, v.pid, v.nparams, v.ret, v.tsBoot(), v.cgroupId(), v.ppid, v.vtid, v.vpid, v.uid, v.gid, v.loginuid, v.comm()];
  for (let i = 0; i < v.spec.params.length; i++) {
    const t = v.paramType(i);
    out.push(i, v.paramLen(i), v.paramTruncated(i), v.paramOffset(i));
    if (t === PT.SOCKTUPLE) out.push(v.socktuple(i));
    else if (t === PT.SOCKADDR) out.push(v.sockaddr(i));
    else if (t === PT.ARGV) out.push(v.argv(i), v.argvList(i));
    else if (t === PT.BYTEBUF) out.push(v.bytes(i));
    else if (t === PT.CHARBUF || t === PT.FSPATH || t === PT.FSRELPATH) out.push(v.str(i));
    else out.push(v.int(i), v.big(i));
  }
  return out;
}

/** Compares the loaded event with a plain cursor on the same record; returns the differences. */
function differences(e: SyscallEvent, scratch = newSocktuple()): string[] {
  const plain = new RecordView().at(e.buf, e.dv, e.off);
  const diffs: string[] = [];
  const a = readAll(e);
  const b = readAll(plain);
  if (JSON.stringify(a, big) !== JSON.stringify(b, big)) diffs.push(`${e.spec.name} at ${e.off}`);
  for (let i = 0; i < e.spec.params.length; i++) {
    if (e.paramType(i) !== PT.SOCKTUPLE) continue;
    const fresh = plain.socktuple(i);
    const reused = e.socktuple(i, scratch);
    if (JSON.stringify(fresh, big) !== JSON.stringify(reused, big)) diffs.push(`${e.spec.name} tuple ${i}`);
  }
  return diffs;
}

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v);

describe('decoding paths, old and new, side by side', () => {
  it('read every record of a real capture identically', async () => {
    let events = 0;
    const diffs: string[] = [];
    const scratch = newSocktuple();
    for await (const e of readCapture(CAPTURE).events()) {
      events++;
      diffs.push(...differences(e, scratch));
    }
    expect(events).toBeGreaterThanOrEqual(3);
    expect(diffs).toEqual([]);
  });

  it('read every record of a scenario with each socket family and an exec environment identically', () => {
    const s = buildScenario(`
      proc nginx pid=100 parent=1 exe=/usr/sbin/nginx
      100 spawn env=PATH=/usr/bin,POD_IP=10.244.1.2,${'X='.padEnd(700, 'x')} /bin/sh -c id
      101 openat /etc/passwd O_RDONLY
      101 connect from=10.0.0.2:40000 1.2.3.4:443
      101 connect from=[fd00::2]:40001 [2001:db8::1]:443
      101 sendto proto=udp 8.8.8.8:53
      100 accept 203.0.113.9:51000
      101 raw socketpair res=0 domain=1 type=1 proto=0 fd1=20 fd2=21 source=4660 peer=22136
      101 exit 0
    `);
    const { processor } = processorFor(s);
    let events = 0;
    const diffs: string[] = [];
    const scratch = newSocktuple();
    processor.process(s.records, (e) => {
      events++;
      diffs.push(...differences(e, scratch));
    });
    expect(events).toBe(s.list.length);
    expect(diffs).toEqual([]);
  });
});
