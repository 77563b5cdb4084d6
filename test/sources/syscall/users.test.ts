// The user/group tables of a root: loaded through a process living there, re-read when the files
// change (checked at a bounded rate), and not cached while the root cannot be reached yet.
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserDb, procUserTableSource, type UserTables, type UserTableSource } from '../../../src/sources/syscall/state/users.js';

const tables = (name: string): UserTables => ({ users: new Map([[1000, { name, home: `/home/${name}`, shell: '/bin/sh' }]]), groups: new Map([[1000, name]]) });

/** A source whose files the test changes by hand, counting what Kestrel asks of it. */
function fakeSource() {
  const s = { stampValue: 'v1' as string | undefined, name: 'alice', reads: 0, stamps: 0 };
  const source: UserTableSource = {
    read: () => (s.reads++, tables(s.name)),
    stamp: () => (s.stamps++, s.stampValue),
  };
  return { s, source };
}

describe('UserDb refresh', () => {
  it('serves cached tables within the refresh interval without touching the files', () => {
    let now = 0;
    const { s, source } = fakeSource();
    const db = new UserDb(source, { refreshMs: 1000, now: () => now });
    expect(db.user('c1', 10, 1000)?.name).toBe('alice');
    now = 999;
    for (let i = 0; i < 100; i++) db.user('c1', 10, 1000);
    expect(s).toMatchObject({ reads: 1, stamps: 1 });
  });

  it('re-reads a root whose files changed, once the interval passed, and counts the reload', () => {
    let now = 0;
    const { s, source } = fakeSource();
    const db = new UserDb(source, { refreshMs: 1000, now: () => now });
    expect(db.user('c1', 10, 1000)?.name).toBe('alice');
    s.name = 'bob';
    now = 1500; // unchanged stamp: still alice, no read
    expect(db.user('c1', 10, 1000)?.name).toBe('alice');
    s.stampValue = 'v2';
    now = 2000; // checked 500 ms ago: not yet
    expect(db.user('c1', 10, 1000)?.name).toBe('alice');
    now = 2600;
    expect(db.user('c1', 10, 1000)?.name).toBe('bob');
    expect({ reads: s.reads, reloads: db.reloads, lookups: db.lookups }).toEqual({ reads: 2, reloads: 1, lookups: 2 });
  });

  it('does not cache a root it cannot reach yet; tries again after the retry interval', () => {
    let now = 0;
    const { s, source } = fakeSource();
    s.stampValue = undefined;
    const db = new UserDb(source, { refreshMs: 1000, retryMs: 50, now: () => now });
    expect(db.user('c1', 10, 1000)).toBeUndefined();
    now = 10;
    expect(db.user('c1', 10, 1000)).toBeUndefined();
    expect(s.stamps).toBe(1); // rate-bounded
    s.stampValue = 'v1';
    now = 60;
    expect(db.user('c1', 10, 1000)?.name).toBe('alice');
    expect(db.deferred).toBe(1);
  });

  it('onLoad sees first loads and reloads (a capture records both)', () => {
    let now = 0;
    const { s, source } = fakeSource();
    const db = new UserDb(source, { refreshMs: 1, now: () => now });
    const seen: string[] = [];
    db.onLoad = (k, t) => seen.push(`${k}:${t.users.get(1000)!.name}`);
    db.get('c1', 1);
    s.name = 'bob';
    s.stampValue = 'v2';
    now = 5;
    db.get('c1', 1);
    expect(seen).toEqual(['c1:alice', 'c1:bob']);
  });
});

describe('procUserTableSource (files under a fake /proc)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** <dir>/proc/1/root -> host root, <dir>/proc/77/root -> a container root. */
  function layout() {
    dir = mkdtempSync(join(tmpdir(), 'kestrel-users-'));
    const host = join(dir, 'host');
    const ctr = join(dir, 'ctr');
    for (const r of [host, ctr]) mkdirSync(join(r, 'etc'), { recursive: true });
    writeFileSync(join(host, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(ctr, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nkuser:x:4242:4243:K:/home/kuser:/bin/ash\n');
    writeFileSync(join(ctr, 'etc', 'group'), 'root:x:0:\nkgrp:x:4243:\n');
    mkdirSync(join(dir, 'proc', '1'), { recursive: true });
    mkdirSync(join(dir, 'proc', '77'), { recursive: true });
    mkdirSync(join(dir, 'proc', '88'), { recursive: true });
    symlinkSync(host, join(dir, 'proc', '1', 'root'));
    symlinkSync(ctr, join(dir, 'proc', '77', 'root'));
    symlinkSync(host, join(dir, 'proc', '88', 'root')); // a runtime init before its pivot_root
    const proc = join(dir, 'proc');
    return { proc, ctr, src: procUserTableSource(proc, () => [`${proc}/1/root`]) };
  }

  it("reads a container's users through /proc/PID/root, and the host's through pid 1", () => {
    const { src } = layout();
    const db = new UserDb(src);
    expect(db.user('ctr1', 77, 4242)).toEqual({ name: 'kuser', home: '/home/kuser', shell: '/bin/ash' });
    expect(db.group('ctr1', 77, 4243)).toBe('kgrp');
    expect(db.user('', 1, 0)?.shell).toBe('/bin/bash');
  });

  it('a process still seeing the host root does not fill the container entry', () => {
    const { src } = layout();
    expect(src.stamp!('ctr1', 88)).toBeUndefined();
    expect(src.stamp!('ctr1', 77)).toMatch(/^\d+:\d+:\d+:[\d.]+ \d+:\d+:\d+:[\d.]+$/);
    expect(src.stamp!('ctr1', 99)).toBeUndefined(); // gone
  });

  it("a process already gone: the container's tables are read through another of its processes", () => {
    const { proc } = layout();
    const src = procUserTableSource(proc, () => [`${proc}/1/root`], (key) => (key === 'ctr1' ? [99, 88, 77] : []));
    const db = new UserDb(src);
    // 99 is gone, 88 still sees the host's root: 77 answers
    expect(db.user('ctr1', 99, 4242)?.name).toBe('kuser');
  });

  it('a user added to the container later resolves once the file changed', () => {
    let now = 0;
    const { ctr, src } = layout();
    const db = new UserDb(src, { refreshMs: 100, now: () => now });
    expect(db.user('ctr1', 77, 5000)).toBeUndefined();
    writeFileSync(join(ctr, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nlate:x:5000:5000::/home/late:/bin/sh\n');
    utimesSync(join(ctr, 'etc', 'passwd'), new Date(), new Date(Date.now() + 5000));
    now = 200;
    expect(db.user('ctr1', 77, 5000)?.name).toBe('late');
    expect(db.reloads).toBe(1);
  });

  it("a symlinked /etc/passwd in a container is not followed (it would resolve from the host's root)", () => {
    const { ctr, src } = layout();
    rmSync(join(ctr, 'etc', 'passwd'));
    symlinkSync('/etc/passwd', join(ctr, 'etc', 'passwd'));
    const t = src.read('ctr1', 77);
    expect(t?.users.size).toBe(0);
    expect(t?.groups.get(4243)).toBe('kgrp');
  });
});
