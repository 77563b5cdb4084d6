// The scap reader against libscap/libsinsp themselves: Debian's sysdig (0.29.3) prints every
// event of each fixture, and Kestrel must read the same events: the same number of events in
// total (libsinsp consumes the procinfo and container events itself and never shows them), every exit event of
// a syscall Kestrel has a record type for, in the same order, at the same time, from the same
// thread, with the same result, process name and (for files) fd name.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EVENT_NAMES } from '../../../../src/sources/syscall/record/event-table.js';
import { FIXTURES, fixture, haveShared, haveSysdig, rows, type Row } from './helpers.js';

if (!haveSysdig) console.warn('SKIPPED: sysdig is not installed (scripts/system-packages.sh installs it as root)');

const KESTREL_TYPES = new Set(EVENT_NAMES);
const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork']);
const FILE_EVENTS = new Set(['open', 'openat', 'openat2', 'creat', 'close']);

interface SysdigRow extends Row {
  dir: string;
}

function sysdig(file: string): SysdigRow[] {
  // '*': print every event, also those lacking one of the fields
  const out = execFileSync('sysdig', ['-r', file, '-A', '-p', '*%evt.rawtime\t%thread.tid\t%evt.type\t%evt.dir\t%evt.rawres\t%proc.name\t%fd.name'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [ts, tid, type, dir, res, proc, fd] = l.split('\t');
      return { ts: ts!, tid: Number(tid), type: type!, dir: dir!, ret: Number(res), proc: proc!, fd: fd ?? '' };
    });
}

// curl_google_comments.scap has pcapng options in its section header (written by Wireshark's
// editcap), which libscap 2022 cannot read: it is compared with curl_google.scap below instead.
const ORACLE_FIXTURES = FIXTURES.filter((f) => f !== 'curl_google_comments.scap');

describe.skipIf(!haveShared || !haveSysdig)('scap fixtures read as libscap/libsinsp (sysdig) read them', () => {
  it.each(ORACLE_FIXTURES)('%s: the same events, times, threads, results and names as sysdig', async (name) => {
    const file = fixture(name);
    const { rows: kestrel, replay } = await rows(file);
    const theirs = sysdig(file);
    // libsinsp consumes procinfo and container events itself
    const internal = (replay.stats.noKestrelEventByName.get('procinfo') ?? 0) + replay.stats.containerEvents + replay.stats.containerEventsSkipped;
    expect(replay.stats.events - internal).toBe(theirs.length);
    expect(replay.stats.unknownTypes + replay.stats.unknownBlocks).toBe(0);

    // exit events of syscalls Kestrel has records for (procexit has only an enter event)
    const expected = theirs.filter((r) => KESTREL_TYPES.has(r.type) && (r.dir === '<' || r.type === 'procexit'));
    const key = (r: Row) => `${r.ts} ${r.tid} ${r.type}`;
    const mine = new Map(kestrel.map((r) => [key(r), r]));
    // a clone's two exits (parent's and child's) make one Kestrel record: the first of them
    const children = new Set<number>();
    const wanted = expected.filter((r) => {
      if (!CLONES.has(r.type)) return true;
      const child = r.ret > 0 ? r.ret : r.tid;
      if (children.has(child)) return false;
      children.add(child);
      return true;
    });
    expect(kestrel.map(key)).toEqual(wanted.map(key));
    for (const r of wanted) {
      const k = mine.get(key(r))!;
      if (!CLONES.has(r.type) && Number.isFinite(r.ret)) expect(k.ret, key(r)).toBe(r.ret);
      if (r.proc !== '<NA>') expect(k.proc, key(r)).toBe(r.proc);
      // (files only: Kestrel names pipes and sockets in places libsinsp 2022 leaves them empty)
      if (FILE_EVENTS.has(r.type) && r.ret >= 0 && r.fd.startsWith('/')) expect(k.fd, key(r)).toBe(r.fd);
    }
    expect(kestrel.length).toBe(replay.stats.records);
  });

  it('reads a file whose section header carries pcapng options (editcap comments) like the same capture without them', async () => {
    const plain = await rows(fixture('curl_google.scap'));
    const commented = await rows(fixture('curl_google_comments.scap'));
    expect(commented.rows).toEqual(plain.rows);
    expect(commented.rows.length).toBeGreaterThan(100);
    expect(commented.replay.stats.events).toBe(plain.replay.stats.events);
  });
});
