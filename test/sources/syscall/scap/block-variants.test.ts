// Every block variant libscap reads gives the same events and state: the fixtures' event blocks
// rewritten as the flags (EVF), large-payload (V2_LARGE) and pre-release (*_INT) variants, and
// their process lists rewritten in the older layouts (V1 to V4), read like the originals.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BT } from '../../../../src/sources/syscall/scap/blocks.js';
import { readProclist, type ScapThread } from '../../../../src/sources/syscall/scap/proclist.js';
import { fixture, haveShared, rows } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-scap-variants-'));
let serial = 0;
function write(bytes: Uint8Array): string {
  const path = join(dir, `v${serial++}.scap`);
  writeFileSync(path, bytes);
  return path;
}

/** A block: header, body, zero padding to 4 bytes, trailer. */
function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

/** Rewrites the blocks of an uncompressed scap file (`f` returns the new type and body, or nothing to keep it). */
function rewrite(file: Buffer, f: (type: number, body: Buffer) => [number, Buffer] | undefined): Buffer {
  const out: Buffer[] = [];
  for (let o = 0; o + 8 <= file.length; ) {
    const type = file.readUInt32LE(o);
    const len = file.readUInt32LE(o + 4);
    const body = file.subarray(o + 8, o + len - 4);
    const to = f(type, body);
    out.push(to ? block(to[0], to[1]) : file.subarray(o, o + len));
    o += len;
  }
  return Buffer.concat(out);
}

/** Inserts 32 bits of flags after the cpu id (the EVF layout). */
const withFlags = (body: Buffer) => Buffer.concat([body.subarray(0, 2), Buffer.from([1, 0, 0, 0]), body.subarray(2)]);

function str16(s: string | string[]): Buffer {
  const bytes = Buffer.from(Array.isArray(s) ? s.map((x) => x + '\0').join('') : s);
  const len = Buffer.alloc(2);
  len.writeUInt16LE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function u(n: number | bigint, size: 4 | 8): Buffer {
  const b = Buffer.alloc(size);
  if (size === 4) b.writeUInt32LE(Number(n));
  else b.writeBigInt64LE(BigInt(n));
  return b;
}

/** A process list entry in the layout of version 1-4 (libscap's scap_read_proclist reads them). */
function entry(t: ScapThread, v: number): Buffer {
  const parts = [u(t.tid, 8), u(t.pid, 8), u(t.ptid, 8), str16(t.comm), str16(t.exe), str16(t.args), str16(t.cwd), u(t.fdlimit, 8), u(0, 4), u(t.uid, 4), u(t.gid, 4)];
  if (v >= 2) parts.push(u(t.vmSize, 4), u(t.vmRss, 4), u(t.vmSwap, 4), u(0, 8), u(0, 8));
  if (v >= 3) parts.push(str16(t.env));
  if (v >= 4) parts.push(u(t.vtid, 8), u(t.vpid, 8), str16(t.cgroups));
  return Buffer.concat(parts);
}

describe.skipIf(!haveShared)('scap block variants', () => {
  it('reads event blocks with flags, large-payload and pre-release ids like the plain ones', async () => {
    const v2 = gunzipSync(readFileSync(fixture('single_ipv6_conn.scap'))); // EV_V2 blocks
    const v1 = gunzipSync(readFileSync(fixture('cat_write.scap'))); // EV (version 1) blocks
    const base2 = await rows(write(v2));
    const base1 = await rows(write(v1));
    expect(base2.rows.length).toBeGreaterThan(5);
    const variants2: [number, (b: Buffer) => Buffer][] = [
      [BT.EV_V2_LARGE, (b) => b],
      [BT.EVF_V2, withFlags],
      [BT.EVF_V2_LARGE, withFlags],
    ];
    for (const [type, body] of variants2) {
      const r = await rows(write(rewrite(v2, (t, b) => (t === BT.EV_V2 ? [type, body(b)] : undefined))));
      expect(r.rows, `0x${type.toString(16)}`).toEqual(base2.rows);
      expect(r.replay.stats.events).toBe(base2.replay.stats.events);
    }
    for (const [type, body] of [
      [BT.EV_INT, (b: Buffer) => b],
      [BT.EVF, withFlags],
    ] as const) {
      const r = await rows(write(rewrite(v1, (t, b) => (t === BT.EV ? [type, body(b)] : undefined))));
      expect(r.rows, `0x${type.toString(16)}`).toEqual(base1.rows);
    }
  });

  it('reads the metadata blocks under their pre-release ids (machine, fd, interface and user lists) like the released ones', async () => {
    const v1 = gunzipSync(readFileSync(fixture('cat_write.scap')));
    const base = await rows(write(v1));
    const ids = new Map<number, number>([
      [BT.MI, BT.MI_INT],
      [BT.FDL, BT.FDL_INT],
      [BT.IL, BT.IL_INT],
      [BT.UL, BT.UL_INT],
    ]);
    const r = await rows(write(rewrite(v1, (t, b) => (ids.has(t) ? [ids.get(t)!, b] : undefined))));
    expect(r.rows).toEqual(base.rows);
    const pick = ({ threadsListed, fdsListed, users, groups, interfaces, unknownBlocks }: typeof r.replay.stats) => ({ threadsListed, fdsListed, users, groups, interfaces, unknownBlocks });
    expect(pick(r.replay.stats)).toEqual(pick(base.replay.stats));
    expect(r.replay.stats.fdsListed).toBeGreaterThan(300);
    expect(r.replay.hostname).toBe(base.replay.hostname);
    expect(r.replay.hostname).not.toBe('');
  });

  it('reads a long capture (records beyond the 4 MiB record arena) event for event', async () => {
    const file = gunzipSync(readFileSync(fixture('curl_google.scap')));
    const base = await rows(write(file));
    const meta: Buffer[] = [];
    const events: Buffer[] = [];
    rewrite(file, (t, b) => {
      (t === BT.EV ? events : meta).push(block(t, b));
      return undefined;
    });
    const reps = 300; // ~160 bytes a record, 126 records a repetition: about 6 MiB of records
    const grown = Buffer.concat([...meta, ...Array.from({ length: reps }, () => Buffer.concat(events))]);
    const r = await rows(write(grown));
    expect(r.rows.length).toBe(reps * base.rows.length);
    expect(r.replay.stats.records).toBe(r.rows.length);
    // every repetition reads as the first: the same events, in the same order
    const key = (x: { type: string; tid: number; ret: number; fd: string }) => `${x.type} ${x.tid} ${x.ret} ${x.fd}`;
    const once = r.rows.slice(0, base.rows.length).map(key);
    expect(once).toEqual(base.rows.map(key));
    expect(r.rows.slice(-base.rows.length).map(key)).toEqual(once);
  });

  it('refuses an event block beyond 64 KiB unless it is a large-payload block', async () => {
    const v2 = gunzipSync(readFileSync(fixture('single_ipv6_conn.scap')));
    let first = true;
    const padded = (type: number) =>
      rewrite(v2, (t, b) => {
        if (t !== BT.EV_V2 || !first) return undefined;
        first = false;
        return [type, Buffer.concat([b, Buffer.alloc(70000)])]; // room after the event, as editcap options
      });
    const large = await rows(write(padded(BT.EV_V2_LARGE)));
    expect(large.rows.length).toBeGreaterThan(5);
    first = true;
    const { readUntilError } = await import('./helpers.js');
    const small = await readUntilError(write(padded(BT.EV_V2)));
    expect(String(small.error)).toMatch(/bad event block: \d+ bytes in a block type limited to 65536/);
  });

  it('reads process lists of versions 1 to 4 (and their pre-release ids): threads, names, arguments, credentials', async () => {
    const file = gunzipSync(readFileSync(fixture('curl_google.scap'))); // process list v5
    const base = await rows(write(file));
    let threads: ScapThread[] = [];
    rewrite(file, (t, b) => {
      if (t === BT.PL_V5) threads = readProclist(b, 0, t);
      return undefined;
    });
    expect(threads.length).toBe(54);
    const bash = threads.find((t) => t.comm === 'bash')!;
    for (const [type, v] of [
      [BT.PL_V1, 1],
      [BT.PL_V1_INT, 1],
      [BT.PL_V2, 2],
      [BT.PL_V2_INT, 2],
      [BT.PL_V3, 3],
      [BT.PL_V3_INT, 3],
      [BT.PL_V4, 4],
    ] as const) {
      const r = await rows(write(rewrite(file, (t) => (t === BT.PL_V5 ? [type, Buffer.concat(threads.map((x) => entry(x, v)))] : undefined))));
      expect(r.rows, `v${v}`).toEqual(base.rows);
      expect(r.replay.stats.threadsListed).toBe(54);
      const p = r.replay.ctx.threads.process(bash.pid)!;
      expect(p.comm).toBe('bash');
      expect(p.exe).toBe(bash.exe);
      expect(p.args).toEqual(bash.args);
      expect(p.cwd).toBe(bash.cwd);
      expect(p.uid).toBe(bash.uid);
      expect(p.env.length).toBe(v >= 3 ? bash.env.length : 0);
      expect(p.cgroups).toEqual(v >= 4 ? bash.cgroups : []);
    }
  });

  it('reads events of later libs the generated table lacks (dup2 of Falco 0.35+) into Kestrel records and state', async () => {
    const file = gunzipSync(readFileSync(fixture('single_ipv6_conn.scap')));
    const base = await rows(write(file));
    const init = base.replay.ctx.threads.process(1)!;
    const [oldfd, f] = [...init.fds].find(([, fd]) => fd.name.startsWith('/'))!;
    // a V2 event block: u16 cpu, ts, tid, len, type, nparams, u16 lengths, params
    const event = (ts: bigint, type: number, params: bigint[]) => {
      const body = Buffer.alloc(2 + 26 + 2 * params.length + 8 * params.length);
      body.writeBigUInt64LE(ts, 2);
      body.writeBigUInt64LE(1n, 10);
      body.writeUInt32LE(body.length - 2, 18);
      body.writeUInt16LE(type, 22);
      body.writeUInt32LE(params.length, 24);
      params.forEach((v, i) => {
        body.writeUInt16LE(8, 28 + 2 * i);
        body.writeBigInt64LE(v, 28 + 2 * params.length + 8 * i);
      });
      return block(BT.EV_V2, body);
    };
    const ts = BigInt(base.rows.at(-1)!.ts) + 1000n;
    const withDup2 = Buffer.concat([file, event(ts, 362, [BigInt(oldfd)]), event(ts + 10n, 363, [100n, BigInt(oldfd), 100n])]);
    const r = await rows(write(withDup2));
    expect(r.rows.at(-1)).toMatchObject({ type: 'dup2', tid: 1, ret: 100, proc: 'systemd', fd: f.name });
    expect(r.replay.ctx.threads.process(1)!.fds.get(100)?.name).toBe(f.name);
    expect(r.replay.stats.unknownTypes).toBe(0);
    expect(r.replay.stats.mergedEnters).toBe(base.replay.stats.mergedEnters + 1);
  });

  it('seeds processes, fds and users from the lists (V9 process list, V2 fd, user and interface lists)', async () => {
    const r = await rows(fixture('ping_sendto.scap'));
    expect(r.replay.stats).toMatchObject({ threadsListed: 136, fdsListed: 674, users: 42, groups: 72, interfaces: 10, orphanFdLists: 0 });
    const init = r.replay.ctx.threads.process(1)!;
    expect(init.comm).toBe('systemd');
    expect(init.uid).toBe(0);
    expect(r.replay.ctx.users.user('', 1, init.uid)?.name).toBe('root');
    expect(r.replay.interfaces.some((i) => i.addr === '127.0.0.1' && i.name === 'lo')).toBe(true);
    // fds listed for a process (sockets named by their tuple, files by path)
    const withFds = [...r.replay.ctx.threads.procs.values()].find((x) => [...x.fds.values()].some((f) => f.name.startsWith('/')));
    expect(withFds).toBeDefined();
  });
});
