// Interned string params: the same bytes give the same string object (so later lookups reuse its
// hash), different bytes never share one, and the path forms kept with a string are right.
import { describe, expect, it } from 'vitest';
import { internList, internUtf8 } from '../../../src/sources/syscall/record/strings.js';
import { dirName, baseName, normalizePath } from '../../../src/sources/syscall/record/paths.js';
import { FdInfo } from '../../../src/sources/syscall/state/fd.js';

const at = (s: string, pad = 7) => {
  const b = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(s), Buffer.alloc(3, 0x42)]);
  return internUtf8(b, pad, pad + Buffer.byteLength(s));
};

describe('internUtf8', () => {
  it('gives the same object for the same bytes, wherever they are', () => {
    const a = at('/etc/ld.so.cache', 3);
    const b = at('/etc/ld.so.cache', 11);
    expect(a).toBe(b);
    expect(a.text).toBe('/etc/ld.so.cache');
  });

  it('never mixes up different bytes, across many strings (table collisions included)', () => {
    const wrong: string[] = [];
    const first = new Map<string, unknown>();
    let reused = 0;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 40_000; i++) {
        const s = i % 5 === 0 ? `/proc/${i}/stat` : i % 5 === 1 ? `/tmp/é${i}` : `/usr/lib/x86_64/lib${i}.so.${i % 9}`;
        const e = at(s, i % 13);
        if (e.text !== s) wrong.push(s);
        if (round === 0) first.set(s, e);
        else if (first.get(s) === e) reused++;
      }
    }
    expect(wrong).toEqual([]);
    expect(reused).toBeGreaterThan(0); // the table keeps some, not all, of 40,000 strings
    expect(reused).toBeLessThan(40_000);
    expect(at('').text).toBe('');
    // same length, same beginning and end, different middle: never one for the other
    const head = '/var/lib/containerd/io.containerd.snapshotter/';
    const tail = '/rootfs/usr/lib/x86_64-linux-gnu/libcrypto.so';
    const middles = ['aaaaaaaaaaaaaaaa', 'aaaaaaaabaaaaaaa', 'baaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaab'];
    for (let round = 0; round < 3; round++) for (const m of middles) expect(at(head + m + tail).text).toBe(head + m + tail);
    const long = '/a'.repeat(600);
    expect(at(long).text).toBe(long);
  });

  it('shares string lists (environments) from their own table, telling apart those that differ only in the middle', () => {
    const list = (s: string, pad = 7) => {
      const b = Buffer.concat([Buffer.alloc(pad, 0x41), Buffer.from(s), Buffer.alloc(3, 0x42)]);
      return internList(b, pad, pad + Buffer.byteLength(s));
    };
    const env = (ip: string) => ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin', `POD_IP=${ip}`, 'X='.padEnd(700, 'x')].join('\0');
    const a = list(env('10.0.0.1'), 5);
    const b = list(env('10.0.0.2'), 9);
    expect(a.text).toBe(env('10.0.0.1'));
    expect(b.text).toBe(env('10.0.0.2'));
    expect(list(env('10.0.0.1'), 2)).not.toBe(b);
    expect(list(env('10.0.0.2'), 2)).toBe(list(env('10.0.0.2'), 3));
    expect(list(env('10.0.0.2'), 2).list).toHaveLength(3);
    // thousands of paths in the main table do not push a list out of its own
    for (let i = 0; i < 20_000; i++) at(`/var/lib/app/shard-${i}/segment.db`);
    expect(list(env('10.0.0.2'), 4)).toBe(b);
    // past the table's limit: decoded every time, still right
    const huge = 'y'.repeat(5000);
    expect(list(huge).text).toBe(huge);
    expect(list(huge)).not.toBe(list(huge));
  });

  it('keeps the normalized path, its directory and file name', () => {
    for (const p of ['/etc/ld.so.cache', '/tmp/../etc//shadow', '/x', '/', '/a/b/', '/usr/./lib/x.so']) {
      const e = at(p);
      expect(e.normalized).toBe(normalizePath(p));
      expect(e.dir).toBe(dirName(normalizePath(p)));
      expect(e.base).toBe(baseName(normalizePath(p)));
    }
  });

  it('split into the NUL-separated list the record decoder gives for argv, env and cgroups', () => {
    // RecordView.argv: a segment per NUL, the text after the last NUL when there is some
    const argv = (b: Buffer) => {
      const out: string[] = [];
      let from = 0;
      for (let i = 0; i < b.length; i++) {
        if (b[i] !== 0) continue;
        out.push(b.subarray(from, i).toString('utf8'));
        from = i + 1;
      }
      if (from < b.length) out.push(b.subarray(from).toString('utf8'));
      return out;
    };
    for (const text of ['a\0b\0', 'a\0b', 'a\0\0', '\0', 'a', '--x\0\0-y\0é\0', '0::/kubepods.slice/x\0']) {
      const b = Buffer.from(text);
      const end = b[b.length - 1] === 0 ? b.length - 1 : b.length; // the decoder drops one trailing NUL before interning
      const e = internUtf8(b, 0, end);
      expect(e.list, JSON.stringify(text)).toEqual(argv(b));
      expect(Object.isFrozen(e.list)).toBe(true);
      expect(internUtf8(Buffer.concat([Buffer.from('zz'), b]), 2, 2 + end).list).toBe(e.list);
    }
  });

  it('serve fd.directory and fd.filename only while the fd still has that name', () => {
    const fd = new FdInfo(3);
    fd.path = at('/var/log//app.log');
    fd.name = '/var/log/app.log';
    expect([fd.directory, fd.filename]).toEqual(['/var/log', 'app.log']);
    fd.name = '/srv/data/x.db';
    expect([fd.directory, fd.filename]).toEqual(['/srv/data', 'x.db']);
    expect(fd.clone().path).toBe(fd.path);
    expect(fd.reset(4).path).toBeUndefined();
  });
});
