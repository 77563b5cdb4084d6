// End to end with Falco's own rules (stable + incubating + sandbox, loaded together as Falco
// does): real processes on this host and in a real podman container, seen by the eBPF
// collector, raise the alerts Falco would raise, with the fields that say who did what.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLiveLock, liveSkipReason, skipNote } from './helpers.js';
import { runProcess, startLiveAgent, type LiveAgent } from './agent-harness.js';
import {
  buildBusyboxImage, executeFrom, loopbackListener, netcatConnect, plainConnect, podmanRun, podmanSkipReason,
  scratchDir, shellSpawnedBy, writeBelow,
} from './scenarios.js';

const UPSTREAM = join(process.cwd(), '..', 'shared', 'upstream-rules');
const FILES = [
  ...['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => join(UPSTREAM, f)),
  fileURLToPath(new URL('./fixtures/container-output.yaml', import.meta.url)),
];
const reason = liveSkipReason() ?? (existsSync(UPSTREAM) ? undefined : `upstream rules not found at ${UPSTREAM}`);
const podmanReason = podmanSkipReason();

describe.skipIf(!!reason)(`live eBPF + upstream Falco rules${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  let live: LiveAgent;
  let dir: string;

  beforeAll(async () => {
    release = await acquireLiveLock();
    dir = scratchDir();
    live = await startLiveAgent(FILES);
  }, 900_000);
  afterAll(async () => {
    await live?.stop();
    await release?.();
  });

  const forRule = (rule: string) => live.alerts.filter((a) => a.rule === rule);
  const myComm = () => readFileSync('/proc/self/comm', 'utf8').trim();

  it('an untrusted process reading /etc/shadow: Read sensitive file untrusted, naming the process and file', async () => {
    await runProcess('/bin/cat', ['/etc/shadow']);
    const a = await live.alert('cat /etc/shadow', (x) => x.rule === 'Read sensitive file untrusted' && String(x.output).includes(`command=cat /etc/shadow`));
    expect(a.priority).toBe('Warning');
    expect(a.source).toBe('syscall');
    expect(a.output_fields['fd.name']).toBe('/etc/shadow');
    expect(a.output_fields['proc.name']).toBe('cat');
    expect(a.output_fields['proc.cmdline']).toBe('cat /etc/shadow');
    expect(a.output_fields['proc.exepath']).toBe(realpathSync('/bin/cat'));
    expect(a.output_fields['user.uid']).toBe(0);
    expect(a.output_fields['evt.type']).toBe('openat');
    expect(a.output_fields['proc.pname']).toBe(myComm());
  });

  it('near miss: reading /etc/hostname raises nothing', async () => {
    const before = live.alerts.length;
    await runProcess('/bin/cat', ['/etc/hostname']);
    await live.marker();
    expect(live.alerts.slice(before).filter((a) => String(a.output).includes('/etc/hostname'))).toEqual([]);
  });

  it('a shell started by a binary named nginx: Run shell untrusted, parent nginx', async () => {
    await shellSpawnedBy(dir, 'nginx');
    const a = await live.alert('sh under nginx', (x) => x.rule === 'Run shell untrusted' && x.output_fields['proc.pname'] === 'nginx');
    expect(a.priority).toBe('Notice');
    expect(a.output_fields['proc.name']).toBe('sh');
    expect(a.output_fields['proc.cmdline']).toBe('sh -c echo kestrel-e2e');
    expect(a.output_fields['evt.type']).toBe('execve');
    // the sandbox rule sees a web server spawning a shell too
    await live.alert('Web Server Spawned Shell', (x) => x.rule === 'Web Server Spawned Shell' && x.output_fields['proc.pname'] === 'nginx');
  });

  it('near miss: the same shell under a binary with an unremarkable name raises nothing', async () => {
    const before = live.alerts.length;
    await shellSpawnedBy(dir, 'kestrel-app');
    await live.marker();
    expect(live.alerts.slice(before).filter((a) => a.output_fields['proc.pname'] === 'kestrel-app')).toEqual([]);
  });

  it.skipIf(!!podmanReason)(`cat /etc/shadow inside a podman container: the alert carries that container's id${skipNote(podmanReason)}`, async () => {
    const image = buildBusyboxImage(`localhost/kestrel-e2e-busybox:${process.pid}`);
    try {
      const { id, code } = await podmanRun(image, ['/bin/cat', '/etc/shadow']);
      expect(code).toBe(0);
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      const a = await live.alert('cat /etc/shadow in the container', (x) => x.rule === 'Read sensitive file untrusted' && x.output_fields['container.id'] === id.slice(0, 12)).catch((e) => {
        throw new Error(`${(e as Error).message}\nalerts for cat: ${JSON.stringify(live.alerts.filter((x) => x.output_fields['proc.name'] === 'cat'))}`);
      });
      expect(a.output_fields['fd.name']).toBe('/etc/shadow');
      expect(a.output_fields['proc.name']).toBe('cat');
      expect(a.output).toContain(`container_id=${id.slice(0, 12)}`);
    } finally {
      spawnSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
    }
  }, 120_000);

  it('an outbound connect by netcat: Launch Suspicious Network Tool on Host; with -e: Netcat/Socat Remote Code Execution on Host', async () => {
    const l = await loopbackListener();
    try {
      const cmd = `nc -w 2 127.0.0.1 ${l.port}`;
      await netcatConnect(dir, l.port);
      const a = await live.alert('nc on the host', (x) => x.rule === 'Launch Suspicious Network Tool on Host' && x.output_fields['proc.cmdline'] === cmd);
      expect(a.output_fields['proc.name']).toBe('nc');
      expect(a.output_fields['proc.exepath']).toBe(realpathSync('/bin/busybox'));
      // without -e/-c it is not remote code execution
      await live.marker();
      expect(forRule('Netcat/Socat Remote Code Execution on Host').filter((x) => x.output_fields['proc.cmdline'] === cmd)).toEqual([]);

      const cmd2 = `nc -w 2 -e /bin/true 127.0.0.1 ${l.port}`;
      await netcatConnect(dir, l.port, '/bin/true');
      const b = await live.alert('nc -e', (x) => x.rule === 'Netcat/Socat Remote Code Execution on Host' && x.output_fields['proc.cmdline'] === cmd2);
      expect(b.priority).toBe('Warning');
    } finally {
      l.close();
    }
  });

  it('near miss: a process that is no network tool connecting to the same port raises nothing', async () => {
    const l = await loopbackListener();
    try {
      const before = live.alerts.length;
      await plainConnect(l.port);
      await live.marker();
      expect(live.alerts.slice(before).filter((a) => String(a.output_fields['proc.cmdline']).includes(String(l.port)))).toEqual([]);
    } finally {
      l.close();
    }
  });

  it('a write below /etc: Write below etc, naming the file', async () => {
    const { path } = await writeBelow('/etc');
    const a = await live.alert('touch below /etc', (x) => x.rule === 'Write below etc' && x.output_fields['fd.name'] === path);
    expect(a.priority).toBe('Error');
    expect(a.output_fields['proc.name']).toBe('touch');
    expect(a.output_fields['proc.cmdline']).toBe(`touch ${path}`);
  });

  it('near miss: the same write below /tmp raises nothing', async () => {
    const before = live.alerts.length;
    const { path } = await writeBelow(dir);
    await live.marker();
    expect(live.alerts.slice(before).filter((a) => a.output_fields['fd.name'] === path)).toEqual([]);
  });

  it('execution of a file in /dev/shm: Execution from /dev/shm', async () => {
    const { path } = await executeFrom('/dev/shm');
    const a = await live.alert('exec from /dev/shm', (x) => x.rule === 'Execution from /dev/shm' && x.output_fields['proc.exepath'] === path);
    expect(a.output_fields['proc.cmdline']).toBe('true');
    expect(a.output_fields['evt.type']).toBe('execve');
  });

  it('near miss: executing the same file from a scratch directory raises nothing', async () => {
    const before = live.alerts.length;
    const { path } = await executeFrom(dir);
    await live.marker();
    expect(live.alerts.slice(before).filter((a) => a.output_fields['proc.exepath'] === path)).toEqual([]);
  });

  it('/readyz answers 200 while the collector is attached, /healthz 200; metrics count records', async () => {
    const base = `http://127.0.0.1:${live.healthPort}`;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ sources: { syscall: { ready: true } } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    const v = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
    expect(v('kestrel_syscall_records_total')).toBeGreaterThan(0);
    expect(v('kestrel_syscall_batches_total')).toBeGreaterThan(0);
    // drops depend on the whole host's activity: the metric is the collector's count, not zero
    const dropped = v('kestrel_syscall_dropped_total');
    expect(Number.isSafeInteger(dropped) && dropped >= 0).toBe(true);
    expect(dropped).toBeLessThanOrEqual(live.runner.counters()!.dropped);
    expect(text).toMatch(/^kestrel_events_total\{source="syscall"\} [1-9]/m);
  });
});
