// Live eBPF + real podman containers: users resolved from the container's own /etc/passwd, a
// privileged container's metadata known at its very first exec (the default rules fire on it),
// and a rule with `capture: true` writing a capture that replays.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRules } from '../../../../src/index.js';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import type { SyscallEvent } from '../../../../src/sources/syscall/syscall-event.js';
import { acquireLiveLock, liveSkipReason, skipNote } from './helpers.js';
import { startLiveAgent, type AlertJson, type LiveAgent } from './agent-harness.js';
import { buildBusyboxImage, podmanRun, podmanSkipReason } from './scenarios.js';

const RULES_DIR = join(process.cwd(), 'rules');
const reason = liveSkipReason() ?? podmanSkipReason();
const SUFFIX = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

const TEST_RULES = `
- rule: Kestrel test shell in container
  desc: a shell whose command line carries a test marker, in a container
  condition: evt.type in (execve, execveat) and evt.res = SUCCESS and container.id != host and proc.name = sh and proc.cmdline contains kestrel-marker
  output: test shell (container_id=%container.id user=%user.name uid=%user.uid home=%user.homedir shell=%user.shell group=%group.name loginname=%user.loginname vmsize=%proc.vmsize vmrss=%proc.vmrss vmswap=%proc.vmswap pidns_start=%proc.pidns_init_start_ts cgroups=%thread.cgroups)
  priority: NOTICE
- rule: Kestrel test capture trigger
  desc: cat reads /etc/group in a container; records what the container does next
  condition: evt.type in (open, openat) and container.id != host and proc.name = cat and fd.name = /etc/group
  output: capture trigger (file=%fd.name container_id=%container.id)
  priority: NOTICE
  capture: true
  capture_duration: 1500
`;

describe.skipIf(!!reason)(`live eBPF + podman: container users, metadata at the first exec, rule captures${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  let live: LiveAgent;
  let image: string;
  let dir: string;
  let rulesFile: string;

  beforeAll(async () => {
    release = await acquireLiveLock();
    dir = mkdtempSync(join(tmpdir(), 'kestrel-ctr-state-'));
    rulesFile = join(dir, 'test_rules.yaml');
    writeFileSync(rulesFile, TEST_RULES);
    image = buildBusyboxImage(`localhost/kestrel-ctr-state:${SUFFIX}`, {
      applets: ['debugfs', 'sleep'],
      passwd: ['kuser:x:4242:4243:Kestrel User:/home/kuser:/bin/ash'],
      group: ['kgrp:x:4243:'],
    });
    live = await startLiveAgent([RULES_DIR, rulesFile], {}, { capture: { enabled: true, path_prefix: join(dir, 'cap'), default_duration: 1000 } });
  }, 900_000);

  afterAll(async () => {
    if (image) spawnSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
    await live?.stop();
    await release?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const forContainer = (id: string, rule: string) => (a: AlertJson) => a.rule === rule && a.output_fields['container.id'] === id.slice(0, 12);

  it('a root shell in a container: the alert names user root (from the container\'s /etc/passwd), group root, and its cgroup per controller', async () => {
    const { id, code } = await podmanRun(image, ['/bin/sh', '-c', '/bin/sleep 1; true kestrel-marker-root']);
    expect(code).toBe(0);
    const a = await live.alert('root shell in the container', forContainer(id, 'Kestrel test shell in container'));
    expect(a.output_fields).toMatchObject({ 'user.name': 'root', 'user.uid': 0, 'user.homedir': '/root', 'user.shell': '/bin/sh', 'group.name': 'root' });
    // per-controller cgroups, as libsinsp lists them (the record names one; the rest as /proc shows them)
    const cgroups = String(a.output_fields['thread.cgroups']).split(' ');
    expect(cgroups).toContainEqual(expect.stringMatching(new RegExp(`^memory=/.*${id}`)));
    expect(cgroups).toContainEqual(expect.stringMatching(new RegExp(`^cpu=/.*${id}`)));
  });

  it("the container's shell: memory (vm_size, vm_rss, vm_swap) from the exec record, pid namespace start from the clone into it", async () => {
    const t0 = BigInt(Date.now()) * 1_000_000n;
    const { id } = await podmanRun(image, ['/bin/sh', '-c', '/bin/sleep 1; true kestrel-marker-mem']);
    const a = await live.alert('shell with memory fields', forContainer(id, 'Kestrel test shell in container'));
    const f = a.output_fields;
    // a static busybox just exec'd: a few hundred KiB mapped; resident pages are the kernel's
    // approximate per-mm counter (per-CPU deltas below the batch size are not folded in yet)
    expect(Number(f['proc.vmsize'])).toBeGreaterThan(100);
    expect(Number(f['proc.vmsize'])).toBeLessThan(1 << 20);
    expect(Number(f['proc.vmrss'])).toBeGreaterThanOrEqual(0);
    expect(Number(f['proc.vmrss'])).toBeLessThanOrEqual(Number(f['proc.vmsize']));
    expect(f['proc.vmswap']).toBe(0);
    // the namespace's init started after podman was asked to run, before the shell's exec
    const pidnsStart = BigInt(String(f['proc.pidns_init_start_ts']));
    expect(pidnsStart).toBeGreaterThan(t0 - 1_000_000_000n); // 1 s for the boot-clock/real-time offset
    expect(pidnsStart).toBeLessThanOrEqual(BigInt(String(f['evt.time'])));
  });

  it("a user that exists only in the container's /etc/passwd is resolved, with its home, shell and group", async () => {
    expect(readFileSync('/etc/passwd', 'utf8')).not.toMatch(/^[^:]*:[^:]*:4242:/m); // the host does not know uid 4242
    const { id, code } = await podmanRun(image, ['/bin/sh', '-c', '/bin/sleep 1; true kestrel-marker-kuser'], ['--user', '4242:4243']);
    expect(code).toBe(0);
    const a = await live.alert('kuser shell in the container', forContainer(id, 'Kestrel test shell in container'));
    expect(a.output_fields).toMatchObject({ 'user.name': 'kuser', 'user.uid': 4242, 'user.homedir': '/home/kuser', 'user.shell': '/bin/ash', 'group.name': 'kgrp' });
  });

  it('podman run --privileged whose first process is debugfs: the privileged and sensitive-mount rules fire on that first exec', async () => {
    const { id } = await podmanRun(image, ['/bin/debugfs'], ['--privileged', '-v', '/proc:/host/proc:ro']);
    const debugfs = await live.alert('Debugfs Launched in Privileged Container', forContainer(id, 'Debugfs Launched in Privileged Container'));
    expect(debugfs.output_fields['proc.name']).toBe('debugfs');
    const priv = await live.alert('Launch Privileged Container', forContainer(id, 'Launch Privileged Container'));
    expect(priv.output_fields).toMatchObject({ 'proc.name': 'debugfs', 'container.privileged': true, 'user.name': 'root', 'container.image': image });
    const mount = await live.alert('Launch Sensitive Mount Container', forContainer(id, 'Launch Sensitive Mount Container'));
    expect(String(mount.output_fields['container.mounts'])).toContain('/proc:/host/proc:');
    // the three alerts are about the same event: the container's first exec
    expect(new Set([debugfs, priv, mount].map((a) => a.output_fields['evt.time']))).toHaveProperty('size', 1);
    const t = live.runner.state!.containers.initialTiming;
    console.log(`[figures] bundle reads so far: ${t.count}, mean ${(Number(t.totalNs) / t.count / 1e6).toFixed(3)} ms, max ${(Number(t.maxNs) / 1e6).toFixed(3)} ms`);
  });

  it('the same first exec in an unprivileged container without host mounts fires none of them', async () => {
    const { id } = await podmanRun(image, ['/bin/debugfs']);
    // marker: a later container's alert means the unprivileged one's events were all evaluated
    const marker = await podmanRun(image, ['/bin/sh', '-c', '/bin/sleep 1; true kestrel-marker-after']);
    await live.alert('marker shell', forContainer(marker.id, 'Kestrel test shell in container'));
    const rules = ['Debugfs Launched in Privileged Container', 'Launch Privileged Container', 'Launch Sensitive Mount Container'];
    expect(live.alerts.filter((a) => a.output_fields['container.id'] === id.slice(0, 12) && rules.includes(a.rule))).toEqual([]);
  });

  it('a rule with capture: true fires in a container: the capture file appears, holds that container\'s events, and replays to the same alert', async () => {
    const before = live.runner.captures!.stats.stoppedDuration;
    const { id } = await podmanRun(image, ['/bin/sh', '-c', '/bin/cat /etc/group; /bin/cat /etc/passwd']);
    await live.alert('capture trigger', forContainer(id, 'Kestrel test capture trigger'));
    const until = Date.now() + 15_000;
    while (live.runner.captures!.stats.stoppedDuration === before && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(live.runner.captures!.stats.stoppedDuration).toBe(before + 1);
    const files = readdirSync(dir).filter((f) => /^cap_\d{20}_\d{17}\.kcap$/.test(f));
    expect(files).toHaveLength(1);
    const events: { name: string; container: string; fd: string | undefined; cmd: string | undefined }[] = [];
    const { ruleset } = await loadRules([RULES_DIR, rulesFile]);
    const rs = ruleset.forSource<SyscallEvent>('syscall')!;
    const replayed: string[] = [];
    for await (const e of readCapture(join(dir, files[0]!)).events()) {
      events.push({ name: e.spec.name, container: e.proc?.containerId ?? '', fd: e.fd?.name, cmd: e.proc?.cmdline });
      for (const a of rs.evaluate(e)) replayed.push(a.rule);
    }
    expect(events[0]).toMatchObject({ name: 'openat', fd: '/etc/group', cmd: 'cat /etc/group' });
    expect(events.every((e) => e.container === id.slice(0, 12))).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ name: 'openat', fd: '/etc/passwd', cmd: 'cat /etc/passwd' }));
    expect(replayed).toContain('Kestrel test capture trigger');
    expect(live.runner.captures!.stats).toMatchObject({ started: 1, failed: 0 });
  });
});
