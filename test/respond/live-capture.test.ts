// The `capture` response action, live: the real agent (eBPF collector -> rules -> responder) with
// Falco's `capture` section off; a response rule asks the syscall source for a capture of the
// container whose shell tripped the rule. `kestrel replay` of the file raises the same alert and
// what the container did afterwards, and nothing from outside the container.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponses } from '../../src/respond/config.js';
import { acquireLiveLock, liveSkipReason, skipNote, waitFor } from '../sources/syscall/live/helpers.js';
import { runProcess, startLiveAgent, type AlertJson, type LiveAgent } from '../sources/syscall/live/agent-harness.js';
import { buildBusyboxImage, podmanSkipReason } from '../sources/syscall/live/scenarios.js';
import { podman, runShellContainer } from './podman.js';
import { webhookReceiver } from './harness.js';

const CLI = join(process.cwd(), 'dist', 'cli.js');
const reason = liveSkipReason() ?? podmanSkipReason() ?? (existsSync(CLI) ? undefined : `${CLI} is not built (npm test builds it)`);
const RUN_ID = randomBytes(4).toString('hex');

const RULES = `- rule: Capture test trigger
  desc: a process opened the capture tests' trigger file for writing
  condition: evt.type in (open, openat, openat2) and evt.is_open_write=true and fd.typechar='f' and fd.num>=0 and fd.name startswith /tmp/kestrel-capture-
  output: "trigger %fd.name by %proc.name pid=%proc.pid container=%container.id"
  priority: WARNING
  source: syscall
- rule: Capture test afterwards
  desc: what the tests do after the trigger (inside the container, and on the host)
  condition: evt.type in (open, openat, openat2) and evt.is_open_write=true and fd.typechar='f' and fd.num>=0 and fd.name startswith /tmp/kestrel-after-
  output: "afterwards %fd.name by %proc.name container=%container.id"
  priority: NOTICE
  source: syscall
`;

describe.skipIf(!!reason)(`live capture response: recorded by the syscall source, replayed by kestrel replay${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  let live: LiveAgent;
  let image: string;
  let dir: string;
  let rulesFile: string;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const containers: string[] = [];

  const container = (kind: string, script: string): string => {
    const name = `kestrel-capture-${kind}-${RUN_ID}`;
    containers.push(name);
    runShellContainer(image, name, script);
    return podman('inspect', '--format', '{{.Id}}', name).stdout;
  };
  const outcome = (action: string, result: string, containerId: string) =>
    live.alert(`the ${action} ${result} outcome for ${containerId.slice(0, 12)}`, (x) => x.source === 'kestrel_response' && x.output_fields['response.action'] === action && x.output_fields['response.result'] === result && String(x.output_fields['response.target']).startsWith(`container ${containerId.slice(0, 12)}`));

  beforeAll(async () => {
    release = await acquireLiveLock();
    image = buildBusyboxImage(`localhost/kestrel-capture-busybox:${RUN_ID}`);
    dir = mkdtempSync(join(tmpdir(), 'kestrel-capture-response-'));
    rulesFile = join(dir, 'rules.yaml');
    writeFileSync(rulesFile, RULES);
    for (const d of ['captures', 'dry']) mkdirSync(join(dir, d));
    const responsesFile = join(dir, 'responses.yaml');
    hook = await webhookReceiver();
    const text = `dry_run: false
cooldown_seconds: 0
webhook: {url: "${hook.url}"}
rules:
  - name: record the container
    match: {rules: [Capture test trigger], fields: {fd.name: {prefix: /tmp/kestrel-capture-rec-}}}
    actions: [{action: capture, parameters: {duration_seconds: 6, path_prefix: captures/shell, max_size_mb: 16}}, {action: notify}]
  - name: record in dry run
    match: {rules: [Capture test trigger], fields: {fd.name: {prefix: /tmp/kestrel-capture-dry-}}}
    actions: [{action: capture, parameters: {path_prefix: dry/shell}}]
    dry_run: true
`;
    writeFileSync(responsesFile, text);
    // the agent's own capture section stays off (its default): the response rule is the opt-in
    live = await startLiveAgent([rulesFile], {}, {}, { responses: parseResponses(text, responsesFile) });
  }, 900_000);

  afterAll(async () => {
    for (const name of containers) podman('rm', '-f', '-t', '0', name);
    if (image) podman('rmi', '-f', image);
    await live?.stop();
    await hook?.close();
    await release?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a shell tripping the rule in a container starts a capture of that container, its file named in the outcome event and the webhook; kestrel replay of it raises the same alert and what the container did next, nothing from outside it', async () => {
    expect(live.agent.config.capture.enabled).toBe(false);
    const trigger = `/tmp/kestrel-capture-rec-${RUN_ID}`;
    const after = `/tmp/kestrel-after-container-${RUN_ID}`;
    const hostAfter = `/tmp/kestrel-after-host-${RUN_ID}`;
    const closedBefore = live.runner.captures!.stats.stoppedDuration;
    // the container waits for the host's write before its own second step
    const id = container('rec', `: > ${trigger}; while [ ! -e /tmp/go ]; do /bin/busybox sleep 0.1; done; : > ${after}; /bin/busybox sleep 3600`);
    const alert = await live.alert('the trigger', (a) => a.output_fields['fd.name'] === trigger);
    expect(alert.output_fields['container.id']).toBe(id.slice(0, 12));
    const started = await outcome('capture', 'ok', id);
    const file = String(started.output_fields['response.file']);
    expect(file.startsWith(join(dir, 'captures', 'shell_'))).toBe(true);
    expect(String(started.output_fields['response.detail'])).toContain(`capture started: ${file}`);
    await waitFor('the webhook notification', () => hook.received.length === 1);
    expect(hook.received[0]!.body.actions[0]).toMatchObject({ action: 'capture', outcome: { result: 'ok', file } });

    // a host process writes while the capture records: alerted live, not in the capture
    await runProcess('/bin/sh', ['-c', `: > ${hostAfter}`]);
    await live.alert('the host write', (a) => a.output_fields['fd.name'] === hostAfter);
    expect(live.runner.captures!.stats.stoppedDuration).toBe(closedBefore); // still recording then
    podman('exec', `kestrel-capture-rec-${RUN_ID}`, '/bin/sh', '-c', ': > /tmp/go');
    await live.alert("the container's next step", (a) => a.output_fields['fd.name'] === after);
    await waitFor('the capture to close at its deadline', () => live.runner.captures!.stats.stoppedDuration > closedBefore, 20_000);

    const r = spawnSync(process.execPath, [CLI, 'replay', '-r', rulesFile, '--json', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const replayed = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AlertJson);
    const same = replayed.filter((a) => a.rule === 'Capture test trigger');
    expect(same).toHaveLength(1);
    expect(same[0]!.output).toBe(alert.output);
    expect(same[0]!.output_fields).toEqual(alert.output_fields);
    const afterwards = replayed.filter((a) => a.rule === 'Capture test afterwards').map((a) => a.output_fields['fd.name']);
    expect(afterwards).toContain(after);
    expect(afterwards).not.toContain(hostAfter);
    expect(replayed.every((a) => a.output_fields['container.id'] === id.slice(0, 12))).toBe(true);
  }, 60_000);

  it('in dry run the capture is decided and published, and no file is written', async () => {
    const trigger = `/tmp/kestrel-capture-dry-${RUN_ID}`;
    const id = container('dry', `: > ${trigger}; /bin/busybox sleep 3600`);
    await live.alert('the dry-run trigger', (a) => a.output_fields['fd.name'] === trigger);
    const decided = await outcome('capture', 'dry_run', id);
    expect(decided.output_fields['response.dry_run']).toBe(true);
    expect(decided.output_fields['response.file']).toBeUndefined();
    // a real capture's file exists from the moment it is decided (created while the alert is handed out)
    expect(readdirSync(join(dir, 'dry'))).toEqual([]);
  }, 60_000);
});
