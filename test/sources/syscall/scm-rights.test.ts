// recvmsg's control data: fds passed with SCM_RIGHTS become fds of the receiver (libsinsp's
// process_recvmsg_ancillary_data); other control messages and malformed ones add nothing.
import { describe, expect, it } from 'vitest';
import { encodeRecord } from '../../../src/sources/syscall/record/encode.js';
import { KT } from '../../../src/sources/syscall/record/event-table.js';
import { SyscallProcessor } from '../../../src/sources/syscall/batch-processor.js';
import { newContext } from '../../../src/sources/syscall/state/context.js';
import { ProcessInfo, ThreadInfo } from '../../../src/sources/syscall/state/process.js';

/** struct cmsghdr {size_t len; int level; int type;} + data, padded to 8. */
function cmsg(level: number, type: number, ints: number[]): Buffer {
  const len = 16 + 4 * ints.length;
  const b = Buffer.alloc((len + 7) & ~7);
  b.writeBigUInt64LE(BigInt(len), 0);
  b.writeInt32LE(level, 8);
  b.writeInt32LE(type, 12);
  ints.forEach((v, i) => b.writeInt32LE(v, 16 + 4 * i));
  return b;
}

function fdsAfter(control: Buffer, ret = 1): number[] {
  const ctx = newContext();
  const p = new ProcessInfo(500);
  ctx.threads.addProcess(p);
  ctx.threads.addThread(new ThreadInfo(500, p));
  const rec = encodeRecord({ type: KT.RECVMSG, ts: 1n, ret, tid: 500, pid: 500, ppid: 1, comm: 'recv', params: { res: ret, size: 1, fd: 3, msgcontrol: control } });
  new SyscallProcessor(ctx).process(rec, () => {});
  return [...p.fds.keys()].sort((a, b) => a - b);
}

describe('recvmsg control data', () => {
  it('SCM_RIGHTS fds are added to the receiver (several messages, several fds)', () => {
    expect(fdsAfter(Buffer.concat([cmsg(1, 1, [7, 9]), cmsg(1, 1, [12])]))).toEqual([7, 9, 12]);
  });

  it('SCM_CREDENTIALS and other levels add nothing; a failed recvmsg adds nothing', () => {
    expect(fdsAfter(Buffer.concat([cmsg(1, 2, [1, 0, 0]), cmsg(41, 1, [5])]))).toEqual([]);
    expect(fdsAfter(cmsg(1, 1, [7]), -11)).toEqual([]);
  });

  it('a truncated message keeps the whole fds it holds; a bad length stops the walk', () => {
    expect(fdsAfter(cmsg(1, 1, [4, 5, 6]).subarray(0, 16 + 4 * 2 + 2))).toEqual([4, 5]);
    const bad = cmsg(1, 1, [8]);
    bad.writeBigUInt64LE(3n, 0);
    expect(fdsAfter(bad)).toEqual([]);
  });
});
