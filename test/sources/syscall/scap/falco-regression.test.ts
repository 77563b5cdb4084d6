// Falco's old regression tests on its historical trace files, replayed with `kestrel replay`.
// The expected counts are those of falcosecurity/falco test/falco_tests.yaml (read at commit
// 061c5f5ac944d9a74a65c6b4c8a9d594a62758c7; the traces are the blobs of test/trace_files that
// tag 0.31.1 and commit 2583ea9 still hold), with the test rules files they name
// (falcosecurity/falco test/rules/*.yaml, reproduced below as they are) and, for the builtin
// rules, falco_rules.yaml of Falco 0.31.1.
//
// Where Falco 0.31 and Kestrel count differently, the reason is the event model, shown here with
// sysdig (libsinsp of the same era) as witness: Falco 0.31 evaluated enter events too, so a rule
// without an evt.dir test fired twice per syscall (open_from_cat: 8 = 4 opens x 2); Kestrel, like
// Falco since libs 0.21 dropped enter events, sees one event per syscall.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KestrelProcess, haveCli } from '../../../cli/kestrel-process.js';
import { RULES_0_31, fixture, haveShared, haveSysdig } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-scap-regression-'));
function rulesFile(name: string, yaml: string): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

// test/rules/single_rule.yaml + double_rule.yaml
const CAT_RULES = rulesFile(
  'cat_rules.yaml',
  `- required_engine_version: 2
- list: cat_binaries
  items: [cat]
- list: cat_capable_binaries
  items: [cat_binaries]
- macro: is_cat
  condition: proc.name in (cat_capable_binaries)
- rule: open_from_cat
  desc: A process named cat does an open
  condition: evt.type=open and is_cat
  output: "An open was seen (command=%proc.cmdline)"
  priority: WARNING
- rule: exec_from_cat
  desc: A process named cat does execve
  condition: evt.type=execve and is_cat
  output: "An exec was seen (command=%proc.cmdline)"
  priority: ERROR
- rule: access_from_cat
  desc: A process named cat does an access
  condition: evt.type=access and is_cat
  output: "An access was seen (command=%proc.cmdline)"
  priority: INFO
`,
);

// test/rules/catchall_order.yaml
const CATCHALL = rulesFile(
  'catchall_order.yaml',
  `- rule: open_dev_null
  desc: Any open of the file /dev/null
  condition: evt.type=open and fd.name=/dev/null
  output: An open of /dev/null was seen (command=%proc.cmdline evt=%evt.type %evt.args)
  priority: INFO
- rule: dev_null
  desc: Anything related to /dev/null
  condition: fd.name=/dev/null
  output: Something related to /dev/null was seen (command=%proc.cmdline evt=%evt.type %evt.args)
  priority: INFO
  warn_evttypes: false
`,
);

// test/rules/syscalls.yaml
const SYSCALLS = rulesFile(
  'syscalls.yaml',
  `- rule: detect_madvise
  desc: Detect any call to madvise
  condition: evt.type=madvise and evt.dir=<
  output: A madvise syscall was seen (command=%proc.cmdline evt=%evt.type)
  priority: INFO
- rule: detect_open
  desc: Detect any call to open
  condition: evt.type=open and evt.dir=< and fd.name=/dev/null
  output: An open syscall was seen (command=%proc.cmdline evt=%evt.type file=%fd.name)
  priority: INFO
`,
);

// test/rules/detect_connect_using_in.yaml
const CONNECT = rulesFile(
  'detect_connect_using_in.yaml',
  `- rule: Localhost connect
  desc: Detect any connect to the localhost network, using fd.net and the in operator
  condition: evt.type=connect and fd.net in ("127.0.0.1/24")
  output: Program connected to localhost network
    (user=%user.name command=%proc.cmdline connection=%fd.name)
  priority: INFO
`,
);

// test/rules/tagged_rules.yaml: open_N reads /tmp/file-N; tags as upstream
const TAGS: Record<number, string[] | undefined> = { 1: ['a'], 2: ['b'], 3: ['c'], 4: ['a', 'b'], 5: ['a', 'c'], 6: ['b', 'c'], 7: ['a', 'b', 'c'], 8: ['b', 'a'], 9: ['c', 'a'], 10: ['b', 'c', 'a'], 11: ['d'], 12: [], 13: undefined };
const TAGGED = rulesFile(
  'tagged_rules.yaml',
  `- macro: open_read
  condition: evt.type in (open,openat,openat2) and evt.is_open_read=true and fd.typechar='f'
` +
    Object.entries(TAGS)
      .map(
        ([n, tags]) => `- rule: open_${n}
  desc: open ${n}
  condition: open_read and fd.name=/tmp/file-${n}
  output: Open ${n} (file=%fd.name)
  priority: WARNING
${tags ? `  tags: [${tags.join(', ')}]\n` : ''}`,
      )
      .join(''),
);

interface Replayed {
  code: number | null;
  counts: Map<string, number>;
  alerts: { rule: string; time: string; output: string }[];
  err: string;
}

async function replay(args: string[]): Promise<Replayed> {
  const k = new KestrelProcess(['replay', '--json', ...args]);
  const code = await k.exited;
  const alerts = k.stdoutLines().map((l) => JSON.parse(l) as { rule: string; time: string; output: string });
  const counts = new Map<string, number>();
  for (const a of alerts) counts.set(a.rule, (counts.get(a.rule) ?? 0) + 1);
  return { code, counts, alerts, err: k.stderr };
}

const count = (r: Replayed, rule: string) => r.counts.get(rule) ?? 0;

/** Events sysdig (libsinsp 2022) shows for a filter: the witness of what Falco 0.31 evaluated. */
function sysdigCount(file: string, filter: string): number {
  return execFileSync('sysdig', ['-r', file, '-A', '-p', '*%evt.num', filter], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
}

describe.skipIf(!haveShared || !haveCli)("Falco's regression detection counts on its trace files", () => {
  it('multiple_rules_suppress_info (cat_write.scap, -A): exec_from_cat 1, access_from_cat 0, open_from_cat once per open (Falco 0.31: 8, enter and exit)', async () => {
    const file = fixture('cat_write.scap');
    const r = await replay(['-r', CAT_RULES, '-A', '-o', 'priority=WARNING', file]);
    expect(r.code).toBe(0);
    expect(count(r, 'exec_from_cat')).toBe(1);
    expect(count(r, 'access_from_cat')).toBe(0);
    expect(count(r, 'open_from_cat')).toBe(4);
    if (haveSysdig) {
      expect(sysdigCount(file, 'evt.type=open and proc.name=cat')).toBe(8);
      expect(sysdigCount(file, 'evt.type=open and proc.name=cat and evt.dir=<')).toBe(4);
    }
    expect(r.err).toContain('scap: 345 event(s) in 423 block(s): 12 record(s)');
  });

  it('time_iso_8601 (cat_write.scap): the open of /dev/null alerts at 2016-08-04T16:17:57.882054739', async () => {
    const r = await replay(['-r', CAT_RULES, fixture('cat_write.scap')]);
    const opens = r.alerts.filter((a) => a.rule === 'open_from_cat');
    expect(opens.map((a) => a.time)).toContain('2016-08-04T16:17:57.882054739Z');
    expect(opens.every((a) => a.output.includes('An open was seen (command=cat /dev/null)'))).toBe(true);
  });

  it('catchall_order (cat_write.scap): open_dev_null 1; dev_null fires on the close Falco 0.31 skipped without -A', async () => {
    const r = await replay(['-r', CATCHALL, fixture('cat_write.scap')]);
    expect(count(r, 'open_dev_null')).toBe(1);
    // Falco 0.31: 0 — without -A it dropped close (EF_DROP_SIMPLE_CONS) and the open went to the
    // first matching rule; Kestrel evaluates close, whose fd is /dev/null
    expect(count(r, 'dev_null')).toBe(1);
    expect(r.alerts.find((a) => a.rule === 'dev_null')!.output).toContain('evt=close');
  });

  it('syscalls (syscall.scap, -A): detect_open 2; madvise has no Kestrel event type (counted as skipped)', async () => {
    const r = await replay(['-r', SYSCALLS, '-A', fixture('syscall.scap')]);
    expect(count(r, 'detect_open')).toBe(2);
    // Falco 0.31: detect_madvise 2, from libscap's generic syscall events
    expect(count(r, 'detect_madvise')).toBe(0);
    expect(r.err).toMatch(/skipped: 360 without a Kestrel event type \(procinfo 356, syscall 4\)/);
  });

  it('in_operator_netmasks (connect_localhost.scap): the connect to 127.0.0.1 is detected', async () => {
    const r = await replay(['-r', CONNECT, fixture('connect_localhost.scap')]);
    expect(count(r, 'Localhost connect')).toBe(1);
    expect(r.alerts[0]!.output).toContain('connection=127.0.0.1:47192->127.0.0.1:80');
  });

  it('run_tags / disabled_tags (open-multiple-files.scap): each open_N fires once when selected', async () => {
    const file = fixture('open-multiple-files.scap');
    const all = await replay(['-r', TAGGED, file]);
    for (let n = 1; n <= 13; n++) expect(count(all, `open_${n}`), `open_${n}`).toBe(1);
    const runA = await replay(['-r', TAGGED, '-t', 'a', file]); // run_tags_a
    expect([...runA.counts.keys()].sort()).toEqual(['open_1', 'open_10', 'open_4', 'open_5', 'open_7', 'open_8', 'open_9']);
    const disabledAbc = await replay(['-r', TAGGED, '-T', 'a', '-T', 'b', '-T', 'c', file]); // disabled_tags_abc
    expect([...disabledAbc.counts.keys()].sort()).toEqual(['open_11', 'open_12', 'open_13']);
  });

  it('builtin_rules_no_warnings (empty.scap): the 0.31.1 rules raise nothing', async () => {
    const r = await replay(['-r', RULES_0_31, fixture('empty.scap')]);
    expect(r.code).toBe(0);
    expect(r.alerts).toEqual([]);
    expect(r.err).toContain('scap: 143 event(s)');
  });
});
