// Node-local responses, live: the real agent (eBPF collector -> rules -> responder) acting on real
// processes and real podman containers. Each scenario's process writes a trigger file (the
// offending syscall, an open for write by the shell itself), the rule alerts, a response rule acts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponses } from '../../src/respond/config.js';
import { acquireLiveLock, liveSkipReason, skipNote } from '../sources/syscall/live/helpers.js';
import { startLiveAgent, type LiveAgent } from '../sources/syscall/live/agent-harness.js';
import { buildBusyboxImage, podmanSkipReason } from '../sources/syscall/live/scenarios.js';
import { PODMAN, podman, runShellContainer } from './podman.js';
import { actionCount } from './harness.js';

const reason = liveSkipReason() ?? podmanSkipReason();
const RUN_ID = randomBytes(4).toString('hex');
/** The test image has busybox with a few applet links; sleep is not one of them. */
const SLEEP = '/bin/busybox sleep 3600';

const RULES = `- rule: Respond test trigger
  desc: a process opened the response tests' trigger file for writing
  condition: evt.type in (open, openat, openat2) and evt.is_open_write=true and fd.typechar='f' and fd.num>=0 and fd.name startswith /tmp/kestrel-respond-
  output: "trigger %fd.name by %proc.name pid=%proc.pid container=%container.id"
  priority: WARNING
  source: syscall
`;

const on = (kind: string, actions: string) => `  - name: ${kind}
    match: {rules: [Respond test trigger], fields: {fd.name: {prefix: /tmp/kestrel-respond-${kind}-}}}
    actions: ${actions}
`;

/** A webhook that holds each request until released: it keeps the rule's next action waiting. */
class HeldWebhook {
  private server!: Server;
  private releases: Array<() => void> = [];
  url = '';
  async start() {
    this.server = createServer((req, res) => {
      req.resume();
      this.releases.push(() => res.writeHead(200).end());
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }
  get held(): number {
    return this.releases.length;
  }
  releaseAll() {
    for (const r of this.releases.splice(0)) r();
  }
  close() {
    this.releaseAll();
    this.server.closeAllConnections();
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}

function state(name: string): string {
  return podman('inspect', '--format', '{{.State.Status}}', name).stdout;
}

/** Alive and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function pgrpMembers(pgrp: number): number[] {
  const out: number[] = [];
  for (const d of spawnSync('ls', ['/proc'], { encoding: 'utf8' }).stdout.split('\n')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]) === pgrp) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

async function until(what: string, pred: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const exited = (c: ChildProcess) => new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (c.exitCode !== null || c.signalCode !== null ? r({ code: c.exitCode, signal: c.signalCode }) : c.once('exit', (code, signal) => r({ code, signal }))));

describe.skipIf(!!reason)(`live responses: real processes and podman containers${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  let live: LiveAgent;
  let image: string;
  let hook: HeldWebhook;
  const containers: string[] = [];
  const children: ChildProcess[] = [];

  const container = (kind: string, script: string): string => {
    const name = `kestrel-respond-${kind}-${RUN_ID}`;
    containers.push(name);
    runShellContainer(image, name, script);
    return name;
  };
  const child = (cmd: string, args: string[], opts: Parameters<typeof spawn>[2] = {}) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'ignore'], ...opts });
    children.push(c);
    return c;
  };
  const alertFor = (trigger: string) => live.alert(trigger, (a) => String(a.output_fields['fd.name']).startsWith(trigger));

  beforeAll(async () => {
    release = await acquireLiveLock();
    image = buildBusyboxImage(`localhost/kestrel-respond-busybox:${RUN_ID}`);
    hook = new HeldWebhook();
    await hook.start();
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-respond-live-'));
    writeFileSync(join(dir, 'rules.yaml'), RULES);
    const responsesFile = join(dir, 'responses.yaml');
    const text = `dry_run: false
cooldown_seconds: 0
webhook: {url: "${hook.url}"}
rules:
${on('kill', '[{action: kill_process}]')}${on('reuse', '[{action: notify}, {action: kill_process}]')}${on('group', '[{action: kill_process_group}]')}${on('stop', '[{action: stop_container, parameters: {timeout_seconds: 1}}]')}${on('pause', '[{action: pause_container}]')}${on('all', '[{action: kill_container}]')}${on('dry', '[{action: kill_process}, {action: kill_container}]')}    dry_run: true
`;
    writeFileSync(responsesFile, text);
    live = await startLiveAgent([join(dir, 'rules.yaml')], {}, {}, { responses: parseResponses(text, responsesFile) });
  }, 900_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const name of containers) podman('rm', '-f', '-t', '0', name);
    if (image) podman('rmi', '-f', image);
    await hook?.close();
    await live?.stop();
    await release?.();
  });

  it('a shell in a container that trips the rule is killed; its siblings in the container keep running', async () => {
    const name = container('kill', `${SLEEP} & ${SLEEP} & wait`);
    const top = () => podman('top', name, 'args').stdout.split('\n').slice(1).map((l) => l.trim());
    const sleeps = () => top().filter((a) => a.startsWith(SLEEP)).length;
    await until('the container to run its sleeps', () => sleeps() === 2);
    const sibling = child('podman', [...PODMAN, 'exec', name, '/bin/sh', '-c', `${SLEEP}; true`]);
    await until("the sibling shell's sleep", () => sleeps() === 3);
    const trigger = `/tmp/kestrel-respond-kill-${RUN_ID}`;
    // the target forks its sleep before it trips the rule: that child is there when the kill lands
    const target = child('podman', [...PODMAN, 'exec', name, '/bin/sh', '-c', `${SLEEP} & : > ${trigger}; wait`]);
    const alert = await alertFor(trigger);
    expect(alert.output_fields['proc.name']).toBe('sh');
    expect(alert.output_fields['container.id']).toBe(podman('inspect', '--format', '{{.Id}}', name).stdout.slice(0, 12));
    // the exec session ends because its shell was SIGKILLed (podman exec reports 128+9)
    expect((await exited(target)).code).toBe(137);
    await live.agent.responses!.idle();
    expect(alive(Number(alert.output_fields['proc.pid']))).toBe(false);
    // the kill has completed: what is still there now was left alone
    expect(sibling.exitCode).toBeNull();
    expect(state(name)).toBe('running');
    expect(sleeps()).toBe(4); // pid 1's two, the sibling's, and the killed shell's orphan (the shell alone was the target)
    expect(top().filter((a) => a.startsWith('/bin/sh'))).toEqual([`/bin/sh -c ${SLEEP} & ${SLEEP} & wait`, `/bin/sh -c ${SLEEP}; true`]);
  });

  it('a process that reused the pid of the alert\'s process is not hit (pidfd + start time check)', async () => {
    const okBefore = await actionCount('kill_process', 'ok');
    const trigger = `/tmp/kestrel-respond-reuse-${RUN_ID}`;
    // A trips the rule, then waits on stdin; the rule notifies first (held) and kills after.
    const a = child('/bin/sh', ['-c', `: > ${trigger}; read x`]);
    const pid = a.pid!;
    await alertFor(trigger);
    await until('the webhook notification (the kill waits behind it)', () => hook.held === 1);
    a.kill('SIGKILL');
    await exited(a);
    // B takes A's pid: ns_last_pid makes the next fork get pid-1+1, when no one else forks first.
    let b: ChildProcess | undefined;
    for (let i = 0; i < 500 && !b; i++) {
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
      const c = child('/bin/sleep', ['3600']);
      if (c.pid === pid) b = c;
      else c.kill('SIGKILL');
    }
    if (!b) throw new Error(`could not get pid ${pid} reused in 500 attempts (the machine forks too much right now)`);
    hook.releaseAll();
    await live.agent.responses!.idle();
    expect(await actionCount('kill_process', 'ok')).toBe(okBefore);
    expect(b.exitCode).toBeNull();
    expect(b.signalCode).toBeNull();
    expect(alive(pid)).toBe(true);
    const outcome = live.alerts.length; // the outcome event is published on the outputs too
    await live.alert('the kill_process outcome event', (x) => x.source === 'kestrel_response' && x.output_fields['response.target'] === `pid ${pid} (sh)` && x.output_fields['response.action'] === 'kill_process');
    const ev = live.alerts.slice(outcome - 1).find((x) => x.source === 'kestrel_response' && x.output_fields['response.action'] === 'kill_process')!;
    expect(ev.output_fields['response.result']).toBe('gone');
    expect(String(ev.output_fields['response.detail'])).toContain('now belongs to another process');
  });

  it('a rule in dry run kills nothing: the shell and its container keep running, the decision is counted and published', async () => {
    const dry = await actionCount('kill_process', 'dry_run');
    const name = container('dry', `: > /tmp/kestrel-respond-dry-${RUN_ID}; ${SLEEP}`);
    const alert = await alertFor(`/tmp/kestrel-respond-dry-${RUN_ID}`);
    await live.agent.responses!.idle();
    expect(await actionCount('kill_process', 'dry_run')).toBe(dry + 1);
    expect(state(name)).toBe('running');
    expect(alive(Number(alert.output_fields['proc.pid']))).toBe(true);
    await live.alert('the dry-run outcome event', (x) => x.source === 'kestrel_response' && x.output_fields['response.result'] === 'dry_run' && x.output_fields['response.action'] === 'kill_container');
  });

  it('kill_process_group kills the process group of the offending process and nothing outside it', async () => {
    const trigger = `/tmp/kestrel-respond-group-${RUN_ID}`;
    const outsider = child('/bin/sleep', ['3600'], { detached: true });
    const leader = child('/bin/sh', ['-c', `/bin/sleep 3600 & /bin/sleep 3600 & read x; : > ${trigger}; wait`], { detached: true });
    await until('the group to have its two sleeps', () => pgrpMembers(leader.pid!).length === 3);
    const members = pgrpMembers(leader.pid!);
    leader.stdin!.write('go\n');
    await alertFor(trigger);
    await live.agent.responses!.idle();
    await until('every member of the group to be gone', () => members.every((p) => !alive(p)));
    expect((await exited(leader)).signal).toBe('SIGKILL');
    expect(alive(outsider.pid!)).toBe(true);
  });

  it('stop_container stops the container through podman', async () => {
    const before = await actionCount('stop_container', 'ok');
    const name = container('stop', `: > /tmp/kestrel-respond-stop-${RUN_ID}; ${SLEEP}`);
    await alertFor(`/tmp/kestrel-respond-stop-${RUN_ID}`);
    await live.agent.responses!.idle();
    expect(await actionCount('stop_container', 'ok')).toBe(before + 1);
    expect(state(name)).toBe('exited');
  });

  it('pause_container pauses the container through podman', async () => {
    const before = await actionCount('pause_container', 'ok');
    const name = container('pause', `: > /tmp/kestrel-respond-pause-${RUN_ID}; ${SLEEP}`);
    await alertFor(`/tmp/kestrel-respond-pause-${RUN_ID}`);
    await live.agent.responses!.idle();
    expect(await actionCount('pause_container', 'ok')).toBe(before + 1);
    expect(state(name)).toBe('paused');
    podman('unpause', name);
  });

  it("kill_container kills every process of the container, which then exits", async () => {
    const name = container('all', `${SLEEP} & ${SLEEP} & : > /tmp/kestrel-respond-all-${RUN_ID}; wait`);
    await alertFor(`/tmp/kestrel-respond-all-${RUN_ID}`);
    await live.agent.responses!.idle();
    await until('the container to exit', () => state(name) === 'exited');
    expect(podman('inspect', '--format', '{{.State.ExitCode}}', name).stdout).toBe('137');
  });
});

