// End to end with Kestrel's own default rules (rules/): the same real behaviours as with the
// upstream rules. A behaviour the default rules do not cover yet is reported as skipped, by name.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLiveLock, liveSkipReason, skipNote } from './helpers.js';
import { runProcess, startLiveAgent, type AlertJson, type LiveAgent } from './agent-harness.js';
import {
  buildBusyboxImage, executeFrom, loopbackListener, netcatConnect, plainConnect, podmanRun, podmanSkipReason,
  scratchDir, shellSpawnedBy, writeBelow,
} from './scenarios.js';

const RULES_DIR = join(process.cwd(), 'rules');
const reason = liveSkipReason() ?? (existsSync(RULES_DIR) ? undefined : `no rules/ directory at ${RULES_DIR}`);
const podmanReason = podmanSkipReason();

/** Rule names defined in rules/*.yaml. */
function ruleNames(): Set<string> {
  const names = new Set<string>();
  if (!existsSync(RULES_DIR)) return names;
  for (const f of spawnSync('ls', [RULES_DIR], { encoding: 'utf8' }).stdout.split('\n')) {
    if (!/\.ya?ml$/.test(f)) continue;
    for (const m of readFileSync(join(RULES_DIR, f), 'utf8').matchAll(/^- rule: (.+)$/gm)) names.add(m[1]!.trim());
  }
  return names;
}
const NAMES = ruleNames();
/** The first of `candidates` the default rules define, or a visible skip reason. */
function ruleFor(behaviour: string, candidates: string[]): { rule?: string; skip?: string } {
  const rule = candidates.find((c) => NAMES.has(c));
  return rule ? { rule } : { skip: `rules/ has no rule for ${behaviour} (looked for: ${candidates.join(', ')})` };
}

const shadow = ruleFor('reading /etc/shadow', ['Read sensitive file untrusted']);
const nginxShell = ruleFor('a shell spawned by a web server', ['Run shell untrusted', 'Web server spawned shell', 'Shell spawned by web server', 'Web Server Spawned Shell']);
const dropExec = ruleFor('running a binary written after the container started', ['Drop and execute new binary in container']);
const netcatContainer = ruleFor('netcat running a program in a container', ['Netcat Remote Code Execution in Container', 'Netcat remote code execution in container']);
const netcatConnectRule = ruleFor('an outbound connect by a netcat-like tool', ['Network tool outbound connection', 'Outbound connection by network tool', 'Netcat outbound connection', 'Launch Suspicious Network Tool on Host']);
const etcWrite = ruleFor('a write below /etc', ['Write below etc', 'Write below /etc']);
const shmExec = ruleFor('execution from /dev/shm', ['Execution from /dev/shm', 'Execution from /dev/shm or /tmp']);

describe.skipIf(!!reason)(`live eBPF + Kestrel's default rules${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  let live: LiveAgent;
  let dir: string;
  let image: string | undefined;

  beforeAll(async () => {
    release = await acquireLiveLock();
    dir = scratchDir();
    live = await startLiveAgent([RULES_DIR]);
    if (!podmanReason) image = buildBusyboxImage(`localhost/kestrel-e2e-busybox-k:${process.pid}`);
  }, 900_000);
  afterAll(async () => {
    if (image) spawnSync('podman', ['rmi', '-f', image], { stdio: 'ignore' });
    await live?.stop();
    await release?.();
  });

  const newSince = (n: number, pred: (a: AlertJson) => boolean) => live.alerts.slice(n).filter(pred);

  it.skipIf(!!shadow.skip)(`cat /etc/shadow on the host: ${shadow.rule}, container_id=host${skipNote(shadow.skip)}`, async () => {
    await runProcess('/bin/cat', ['/etc/shadow']);
    const a = await live.alert('cat /etc/shadow', (x) => x.rule === shadow.rule && x.output_fields['proc.cmdline'] === 'cat /etc/shadow' && x.output_fields['container.id'] === 'host');
    expect(a.output_fields['fd.name']).toBe('/etc/shadow');
    expect(a.output_fields['proc.exepath']).toBe(realpathSync('/bin/cat'));
    expect(a.output_fields['user.name']).toBe('root');
    const n = live.alerts.length;
    await runProcess('/bin/cat', ['/etc/hostname']);
    await live.marker();
    expect(newSince(n, (x) => x.output_fields['fd.name'] === '/etc/hostname')).toEqual([]);
  });

  it.skipIf(!!shadow.skip || !!podmanReason)(`cat /etc/shadow in a podman container: the alert carries its container id${skipNote(shadow.skip ?? podmanReason)}`, async () => {
    const { id, code } = await podmanRun(image!, ['/bin/cat', '/etc/shadow']);
    expect(code).toBe(0);
    const a = await live.alert('cat /etc/shadow in the container', (x) => x.rule === shadow.rule && x.output_fields['container.id'] === id.slice(0, 12));
    expect(a.output_fields['proc.name']).toBe('cat');
    expect(a.output_fields['fd.name']).toBe('/etc/shadow');
  }, 60_000);

  it.skipIf(!!netcatContainer.skip || !!podmanReason)(`nc -e in a podman container: ${netcatContainer.rule}; plain nc does not fire${skipNote(netcatContainer.skip ?? podmanReason)}`, async () => {
    // applets are links to busybox: called as /bin/nc the process is named nc
    const run2 = await podmanRun(image!, ['/bin/sh', '-c', '/bin/nc -w 1 -e /bin/true 127.0.0.1 9; /bin/nc -w 1 127.0.0.1 9; true']);
    const a = await live.alert('nc -e in the container', (x) => x.rule === netcatContainer.rule && x.output_fields['container.id'] === run2.id.slice(0, 12));
    expect(String(a.output_fields['proc.cmdline'])).toContain('-e /bin/true');
    await live.marker();
    expect(newSince(0, (x) => x.rule === netcatContainer.rule && x.output_fields['container.id'] === run2.id.slice(0, 12))).toHaveLength(1);
  }, 60_000);

  it.skipIf(!!dropExec.skip || !!podmanReason)(`a binary dropped into a container and run: ${dropExec.rule}; the image's own binary does not fire${skipNote(dropExec.skip ?? podmanReason)}`, async () => {
    // /tmp/true is a copy written in the container's upper layer; /bin/true is in the image
    const { id } = await podmanRun(image!, ['/bin/sh', '-c', 'cp /bin/busybox /tmp/true && /tmp/true && /bin/true']);
    const a = await live.alert('the dropped binary', (x) => x.rule === dropExec.rule && x.output_fields['container.id'] === id.slice(0, 12));
    expect(a.output_fields['proc.exepath']).toBe('/tmp/true');
    await live.marker();
    expect(newSince(0, (x) => x.rule === dropExec.rule && x.output_fields['container.id'] === id.slice(0, 12))).toHaveLength(1);
  }, 60_000);

  it.skipIf(!!nginxShell.skip)(`a shell started by a binary named nginx: ${nginxShell.rule}${skipNote(nginxShell.skip)}`, async () => {
    await shellSpawnedBy(dir, 'nginx');
    await live.alert('sh under nginx', (x) => x.rule === nginxShell.rule && x.output_fields['proc.pname'] === 'nginx');
    const n = live.alerts.length;
    await shellSpawnedBy(dir, 'kestrel-app');
    await live.marker();
    expect(newSince(n, (x) => x.output_fields['proc.pname'] === 'kestrel-app')).toEqual([]);
  });

  it.skipIf(!!netcatConnectRule.skip)(`an outbound connect by netcat: ${netcatConnectRule.rule}${skipNote(netcatConnectRule.skip)}`, async () => {
    const l = await loopbackListener();
    try {
      await netcatConnect(dir, l.port);
      await live.alert('nc connect', (x) => x.rule === netcatConnectRule.rule && String(x.output).includes(String(l.port)));
      const n = live.alerts.length;
      await plainConnect(l.port);
      await live.marker();
      expect(newSince(n, (x) => x.rule === netcatConnectRule.rule)).toEqual([]);
    } finally {
      l.close();
    }
  });

  it.skipIf(!!etcWrite.skip)(`a write below /etc: ${etcWrite.rule}${skipNote(etcWrite.skip)}`, async () => {
    const { path } = await writeBelow('/etc');
    await live.alert('touch below /etc', (x) => x.rule === etcWrite.rule && x.output_fields['fd.name'] === path);
    const n = live.alerts.length;
    const miss = await writeBelow(dir);
    await live.marker();
    expect(newSince(n, (x) => x.output_fields['fd.name'] === miss.path)).toEqual([]);
  });

  it.skipIf(!!shmExec.skip)(`execution from /dev/shm: ${shmExec.rule}${skipNote(shmExec.skip)}`, async () => {
    const { path } = await executeFrom('/dev/shm');
    await live.alert('exec from /dev/shm', (x) => x.rule === shmExec.rule && x.output_fields['proc.exepath'] === path);
    const n = live.alerts.length;
    const miss = await executeFrom(dir);
    await live.marker();
    expect(newSince(n, (x) => x.output_fields['proc.exepath'] === miss.path)).toEqual([]);
  });
});
