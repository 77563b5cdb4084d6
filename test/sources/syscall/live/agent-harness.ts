// Runs the real agent in this process (eBPF collector -> state -> rules -> JSON alerts) for
// end-to-end tests, collecting the alerts it prints. Near-miss checks ("this raised nothing") wait
// for a marker: a process whose exec a rule added here always alerts on. The kernel's ring buffer
// delivers records in the order they were written, so once the marker's alert is in, everything
// a near miss run before it did has been evaluated.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { spawn, type SpawnOptions } from 'node:child_process';
import pino from 'pino';
import { Agent, type AgentOptions } from '../../../../src/agent/agent.js';
import { configFrom } from '../../../../src/agent/config.js';
import type { SyscallRunner } from '../../../../src/sources/syscall/runner.js';

export interface AlertJson {
  rule: string;
  priority: string;
  output: string;
  output_fields: Record<string, unknown>;
  source: string;
  tags: string[];
  time: string;
}

export interface LiveAgent {
  agent: Agent;
  alerts: AlertJson[];
  runner: SyscallRunner;
  healthPort: number;
  /** Waits until an alert matching `pred` arrives (or fails after timeoutMs). */
  alert(what: string, pred: (a: AlertJson) => boolean, timeoutMs?: number): Promise<AlertJson>;
  /**
   * Runs the marker process and waits for its alert; returns that alert's index in `alerts`.
   * Whatever processes that exited before the call did has been evaluated by then.
   */
  marker(): Promise<number>;
  stop(): Promise<void>;
}

export const MARKER_RULE = 'kestrel test marker';

/** A copy of /bin/true under a name only the marker uses, and the rules file that alerts on its exec. */
function markerSetup(): { dir: string; exe: string; name: string; rules: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-marker-'));
  const name = `kmark-${process.pid}`.slice(0, 15); // proc.name is the 15-byte comm
  const exe = join(dir, name);
  copyFileSync('/bin/true', exe);
  const rules = join(dir, 'marker.yaml');
  writeFileSync(
    rules,
    `- rule: ${MARKER_RULE}\n  desc: the live tests' marker process\n  condition: evt.type in (execve, execveat) and evt.dir = < and proc.name = "${name}"\n` +
      `  output: marker %proc.cmdline\n  priority: EMERGENCY\n  source: syscall\n`,
  );
  return { dir, exe, name, rules };
}

/** `agentConfig`: more top-level agent settings (e.g. `capture`); `extra`: more agent options (e.g. responses). */
export async function startLiveAgent(
  rulesPaths: string[],
  syscall: Record<string, unknown> = {},
  agentConfig: Record<string, unknown> = {},
  extra: Partial<AgentOptions> = {},
): Promise<LiveAgent> {
  const mark = markerSetup();
  let markers = 0;
  const out = new PassThrough();
  const alerts: AlertJson[] = [];
  let pending = '';
  out.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim()) alerts.push(JSON.parse(line) as AlertJson);
    }
  });
  const config = configFrom(
    {
      json_output: true,
      rule_matching: 'all',
      webserver: { enabled: true, listen_address: '127.0.0.1', listen_port: 0 },
      sources: { k8s_audit: { enabled: false }, syscall },
      ...agentConfig,
    },
    process.cwd(),
  );
  const log = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  const agent = await Agent.start({ config, rulesPaths: [...rulesPaths, mark.rules], log, stdout: out, ...extra });
  const runner = agent.runner('syscall') as SyscallRunner | undefined;
  if (!runner?.ready()) {
    await agent.stop();
    rmSync(mark.dir, { recursive: true, force: true });
    throw new Error(`syscall source not ready: ${JSON.stringify(agent.sourceStatus())}`);
  }
  const live: LiveAgent = {
    agent,
    alerts,
    runner,
    healthPort: agent.healthPort()!,
    async alert(what, pred, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const a = alerts.find(pred);
        if (a) return a;
        if (Date.now() > until) {
          const seen = alerts.map((x) => `${x.rule}: ${x.output.slice(0, 160)}`).join('\n  ');
          throw new Error(`no alert for ${what} within ${timeoutMs} ms; alerts so far:\n  ${seen}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async marker() {
      const nonce = `m${++markers}`;
      await runProcess(mark.exe, [nonce]);
      const isMine = (a: AlertJson) => a.rule === MARKER_RULE && a.output_fields['proc.cmdline'] === `${mark.name} ${nonce}`;
      await live.alert(`the marker process ${nonce}`, isMine);
      return alerts.findIndex(isMine);
    },
    async stop() {
      await agent.stop();
      rmSync(mark.dir, { recursive: true, force: true });
    },
  };
  return live;
}

/** Runs a command to completion; resolves with its pid and exit code. */
export function runProcess(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<{ pid: number; code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], ...opts });
    let stdout = '';
    c.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ pid: c.pid!, code, stdout }));
  });
}
