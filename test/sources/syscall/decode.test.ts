// Decoding records from batches: header fields, every param encoding, truncation flags, lazy
// caching, and malformed data rejected with the offset of the bad record.
import { describe, expect, it } from 'vitest';
import { newContext } from '../../../src/sources/syscall/state/context.js';
import { encodeBatch, encodeRecord } from '../../../src/sources/syscall/record/encode.js';
import type { SyscallEvent } from '../../../src/sources/syscall/syscall-event.js';
import { KT } from '../../../src/sources/syscall/record/event-table.js';
import { H, HDR_SIZE, PARAM_TRUNC } from '../../../src/sources/syscall/record/layout.js';
import { RecordError, SyscallProcessor } from '../../../src/sources/syscall/batch-processor.js';
import { encodeSockaddr, encodeSocktuple, encodeUnixTuple } from '../../../src/sources/syscall/record/sockaddr.js';

/** Runs `f` on every event of the batch; `calls` counts the runs (assertions inside `f` prove nothing unless it ran). */
function each(batch: Uint8Array, f: (e: SyscallEvent) => void): { n: number; calls: number; ctx: ReturnType<typeof newContext> } {
  const ctx = newContext({ bootEpochNs: 1_000n });
  const p = new SyscallProcessor(ctx);
  let calls = 0;
  const n = p.process(batch, (e) => {
    calls++;
    f(e);
  });
  return { n, calls, ctx };
}

const base = { ts: 5_000_000_000n, tid: 4242, pid: 4240, ppid: 1, uid: 1000, gid: 100, loginuid: 1000, comm: 'cat', cgroupId: 0x1_0000_0007n, mntNs: 4026531840, pidNs: 4026531836, cpu: 3 };

describe('record decoding', () => {
  it('reads every header field, the return value (negative too) and the time', () => {
    const batch = encodeBatch([{ ...base, type: KT.OPENAT, ret: -13, vtid: 7, vpid: 5, params: { fd: -13, dirfd: -100, name: '/etc/shadow', flags: 0o2000000 } }]);
    const seen: unknown[] = [];
    each(batch, (e) => {
      seen.push({
        type: e.type,
        name: e.spec.name,
        tid: e.tid,
        pid: e.pid,
        ppid: e.ppid,
        vtid: e.vtid,
        vpid: e.vpid,
        uid: e.uid,
        gid: e.gid,
        loginuid: e.loginuid,
        comm: e.comm(),
        ret: e.ret,
        cgroup: e.cgroupId(),
        mntNs: e.mntNs,
        pidNs: e.pidNs,
        cpu: e.cpu,
        time: e.timeNs(),
      });
    });
    expect(seen).toEqual([
      {
        type: KT.OPENAT,
        name: 'openat',
        tid: 4242,
        pid: 4240,
        ppid: 1,
        vtid: 7,
        vpid: 5,
        uid: 1000,
        gid: 100,
        loginuid: 1000,
        comm: 'cat',
        ret: -13,
        cgroup: 0x1_0000_0007n,
        mntNs: 4026531840,
        pidNs: 4026531836,
        cpu: 3,
        time: 5_000_001_000n,
      },
    ]);
  });

  it('decodes numeric params of every width and sign, strings with or without NUL, argv lists and buffers', () => {
    const rec = encodeRecord({
      ...base,
      type: KT.EXECVE,
      params: { res: 0, exe: 'bash', args: ['bash', '-c', 'echo hi'], tid: 4242, cap_permitted: 0xffff_ffff_ffffn, env: ['A=1', 'B=2'], tty: 34816, flags: 5, uid: 1000 },
    });
    // strip the NUL of `exe` by hand: producers may leave it out
    const dv = new DataView(rec.buffer);
    const n = dv.getUint16(H.nparams, true);
    expect(n).toBe(29);
    const run = each(rec, (e) => {
      expect(e.str(e.param('exe'))).toBe('bash');
      expect(e.argv(e.param('args'))).toEqual(['bash', '-c', 'echo hi']);
      expect(e.argv(e.param('env'))).toEqual(['A=1', 'B=2']);
      expect(e.int(e.param('tid'))).toBe(4242);
      expect(e.big(e.param('cap_permitted'))).toBe(0xffff_ffff_ffffn);
      expect(e.int(e.param('cap_permitted'))).toBe(0xffff_ffff_ffff);
      expect(e.int(e.param('tty'))).toBe(34816);
      expect(e.int(e.param('uid'))).toBe(1000);
      expect(e.int(e.param('cwd'))).toBeUndefined();
      expect(e.str(e.param('cwd'))).toBeUndefined();
      expect(e.paramLen(e.param('pgid'))).toBe(0);
    });
    expect(run.calls).toBe(1);
  });

  it('accepts numeric params in fewer bytes than natural (sign-extended by type) and strings without a NUL', () => {
    const rec = encodeRecord({ ...base, type: KT.CLOSE, ret: 0, params: { res: 0, fd: 9 } });
    // rewrite fd (8 bytes, s64) as a 4-byte -1 and shrink the record accordingly
    const dv = new DataView(rec.buffer);
    const lensAt = HDR_SIZE;
    dv.setUint16(lensAt + 2, 4, true);
    const fdAt = HDR_SIZE + 4 + 8;
    dv.setInt32(fdAt, -1, true);
    expect(each(rec, (e) => expect(e.int(1)).toBe(-1)).calls).toBe(1);

    const open = encodeRecord({ ...base, type: KT.OPEN, ret: 3, params: { fd: 3, name: '/tmp/x' } });
    const odv = new DataView(open.buffer);
    odv.setUint16(HDR_SIZE + 2, 6, true); // "/tmp/x" without its NUL
    expect(each(open, (e) => expect(e.str(1)).toBe('/tmp/x')).calls).toBe(1);
  });

  it('flags truncated params and counts truncated records', () => {
    const batch = encodeBatch([
      { ...base, type: KT.EXECVE, params: { res: 0, args: ['a', 'b'] }, truncated: ['args'] },
      { ...base, type: KT.CLOSE, params: { res: 0, fd: 3 } },
    ]);
    const trunc: boolean[] = [];
    const { ctx } = each(batch, (e) => trunc.push(e.paramTruncated(e.param('args'))));
    expect(trunc).toEqual([true, false]);
    expect(ctx.stats.truncatedRecords).toBe(1);
    const dv = new DataView(batch.buffer);
    expect(dv.getUint16(HDR_SIZE + 2 * 2, true) & PARAM_TRUNC).toBe(PARAM_TRUNC);
  });

  it('decodes IPv4, IPv6, IPv4-mapped and unix socket addresses and tuples', () => {
    const batch = encodeBatch([
      { ...base, type: KT.CONNECT, params: { res: 0, fd: 3, tuple: encodeSocktuple({ ip: '10.0.0.2', port: 40000 }, { ip: '203.0.113.5', port: 443 }), addr: encodeSockaddr({ ip: '203.0.113.5', port: 443 }) } },
      { ...base, type: KT.CONNECT, params: { res: 0, fd: 3, tuple: encodeSocktuple({ ip: 'fd00::2', port: 1 }, { ip: '2001:db8::1', port: 80 }) } },
      { ...base, type: KT.CONNECT, params: { res: 0, fd: 3, tuple: encodeSocktuple({ ip: '::ffff:10.0.0.2', port: 1 }, { ip: '::ffff:8.8.8.8', port: 53 }) } },
      { ...base, type: KT.CONNECT, params: { res: 0, fd: 3, tuple: encodeUnixTuple(0xffff8880_1234n, 0xffff8880_5678n, '/run/docker.sock') } },
      { ...base, type: KT.BIND, params: { res: 0, fd: 3, addr: encodeSockaddr({ path: '@abstract' }) } },
    ]);
    const out: unknown[] = [];
    each(batch, (e) => {
      const t = e.socktuple(e.param('tuple'));
      out.push(t ? { f: t.family, c: `${t.cip}:${t.cport}`, s: `${t.sip}:${t.sport}`, path: t.path } : e.sockaddr(e.param('addr')));
    });
    expect(out).toEqual([
      { f: 2, c: '10.0.0.2:40000', s: '203.0.113.5:443', path: '' },
      { f: 10, c: 'fd00::2:1', s: '2001:db8::1:80', path: '' },
      { f: 2, c: '10.0.0.2:1', s: '8.8.8.8:53', path: '' },
      { f: 1, c: ':0', s: ':0', path: '/run/docker.sock' },
      { family: 1, addr: '', port: 0, path: '@abstract' },
    ]);
  });

  it('processes many records per batch, numbering them, and caches decoded strings per record only', () => {
    const recs = Array.from({ length: 1000 }, (_, i) => ({ ...base, type: KT.OPEN, ret: 3 + (i % 10), params: { fd: 3 + (i % 10), name: `/tmp/f${i}`, flags: 0 } }));
    const names: string[] = [];
    const nums: number[] = [];
    const { n, calls } = each(encodeBatch(recs), (e) => {
      names.push(e.str(1)!);
      expect(e.str(1)).toBe(names[names.length - 1]); // second read: same (cached) value
      nums.push(e.num);
    });
    expect(n).toBe(1000);
    expect(calls).toBe(1000);
    expect(names[999]).toBe('/tmp/f999');
    expect(nums.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('skips (and counts) records of types it does not know', () => {
    const a = encodeRecord({ ...base, type: KT.CLOSE, params: { res: 0, fd: 3 } });
    const b = encodeRecord({ ...base, type: KT.CLOSE, params: { res: 0, fd: 4 } });
    new DataView(b.buffer).setUint16(H.type, 999, true);
    const seen: number[] = [];
    const { ctx } = each(Buffer.concat([a, b, a]), (e) => seen.push(e.int(1)!));
    expect(seen).toEqual([3, 3]);
    expect(ctx.stats.unknownType).toBe(1);
  });

  it('rejects malformed data with the offset of the bad record, after delivering the good ones', () => {
    const good = encodeRecord({ ...base, type: KT.CLOSE, params: { res: 0, fd: 3 } });
    expect(good.length).toBe(120);
    const cases: [string, Uint8Array, RegExp][] = [
      ['cut header', Buffer.concat([good, good.subarray(0, 40)]), /truncated record header \(40 of 96 bytes\) at byte offset 120/],
      ['cut body', Buffer.concat([good, good.subarray(0, 104)]), /truncated record \(104 of 120 bytes\) at byte offset 120/],
      ['bad len', (() => {
        const b = Buffer.concat([good, good]);
        b.writeUInt32LE(13, good.length + H.len);
        return b;
      })(), /bad record length 13 at byte offset 120/],
      ['overrun', (() => {
        const b = Buffer.concat([good, good]);
        b.writeUInt16LE(0x7000, good.length + HDR_SIZE);
        return b;
      })(), /parameters overrun the record .* at byte offset 120/],
    ];
    for (const [what, batch, re] of cases) {
      const seen: number[] = [];
      let err: unknown;
      try {
        each(batch, (e) => seen.push(e.num));
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(RecordError);
      expect((err as RecordError).offset, what).toBe(good.length);
      expect((err as Error).message, what).toMatch(re);
      expect(seen, what).toEqual([1]);
    }
  });
});
