// The pieces the response tests share: the stand-in API server (see fake-apiserver.ts: there is no
// real API server on these machines), a kubeconfig pointing at it, a webhook receiver on loopback,
// and an agent running Falco's k8s_audit rules with a given responses file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Agent } from '../../src/agent/agent.js';
import { configFrom } from '../../src/agent/config.js';
import { parseResponses } from '../../src/respond/config.js';
import { registry } from '../../src/telemetry/metrics.js';
import type { SourceContext, SourceRunner } from '../../src/sources/source-module.js';
import { AuditEvent, type JsonObject } from '../../src/sources/k8saudit/event.js';
import { makePki, type Pki } from '../sources/k8saudit/certs.js';
import { FakeApiServer } from './fake-apiserver.js';

export const UPSTREAM_K8S_RULES = new URL('../../../shared/upstream-rules/k8s_audit_rules.yaml', import.meta.url).pathname;

let pki: Pki | undefined;
export function testPki(): Pki {
  return (pki ??= makePki());
}

export function writeKubeconfig(api: FakeApiServer, p: Pki): string {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-kubeconfig-'));
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: test',
      'clusters:',
      `- name: fake\n  cluster:\n    server: ${api.url}\n    certificate-authority: ${p.caCert}`,
      'users:',
      `- name: kestrel\n  user:\n    token: ${api.token}`,
      'contexts:',
      '- name: test\n  context:\n    cluster: fake\n    user: kestrel',
      '',
    ].join('\n'),
  );
  return file;
}

export interface Received {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A webhook receiver on 127.0.0.1 (free port) answering `status`. */
export async function webhookReceiver(status = 200): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => new Promise((r) => server.close(() => r())) };
}

/** A source that delivers the audit events it is handed (the agent tests' in-memory source). */
export class MemoryAuditSource implements SourceRunner<AuditEvent> {
  readonly name = 'k8s_audit';
  private ctx?: SourceContext<AuditEvent>;
  async start(ctx: SourceContext<AuditEvent>) {
    this.ctx = ctx;
  }
  async stop() {}
  ready() {
    return this.ctx !== undefined;
  }
  push(e: object) {
    this.ctx!.emit(new AuditEvent(e as JsonObject));
  }
}

export interface AuditAgent {
  agent: Agent;
  source: MemoryAuditSource;
  /** Alert lines printed (JSON), including the response outcome events. */
  lines(): Array<Record<string, unknown>>;
  logs: string[];
  /** The responses file written for this agent. */
  responsesFile: string;
  /** Waits for `n` response outcome events on the outputs and returns them. */
  responseEvents(n: number): Promise<Array<Record<string, unknown>>>;
}

/**
 * An agent with the upstream k8s_audit rules, responding per `responsesYaml` (kubeconfig given):
 * handed over parsed, or with `viaConfig` named by the agent config's responses_file (reloadable).
 */
export async function auditAgent(responsesYaml: string, kubeconfig?: string, viaConfig = false): Promise<AuditAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-respond-'));
  const file = join(dir, 'responses.yaml');
  const text = kubeconfig ? `kubernetes:\n  kubeconfig: ${kubeconfig}\n${responsesYaml}` : responsesYaml;
  writeFileSync(file, text);
  const responses = parseResponses(text, file);
  let out = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((out += c), cb()) });
  const logs: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  const config = configFrom({ rules_files: [UPSTREAM_K8S_RULES], webserver: { enabled: false }, json_output: true, rule_matching: 'all', sources: { syscall: { enabled: false } }, ...(viaConfig ? { responses_file: file } : {}) }, dir);
  const source = new MemoryAuditSource();
  const agent = await Agent.start({ config, log, stdout, ...(viaConfig ? {} : { responses }), runners: { k8s_audit: () => source } });
  const lines = () =>
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    agent,
    source,
    logs,
    responsesFile: file,
    lines,
    async responseEvents(n) {
      const until = Date.now() + 10_000;
      for (;;) {
        const events = lines().filter((l) => l.source === 'kestrel_response');
        if (events.length >= n) return events;
        if (Date.now() > until) throw new Error(`${events.length} response events on the outputs, expected ${n}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

/** kestrel_response_actions_total{action,result} as read from the registry. */
export async function actionCount(action: string, result: string): Promise<number> {
  const m = await registry.getSingleMetric('kestrel_response_actions_total')!.get();
  return m.values.find((v) => v.labels.action === action && v.labels.result === result)?.value ?? 0;
}

/** How many actions kestrel_response_action_duration_seconds{action} has timed. */
export async function timedCount(action: string): Promise<number> {
  const m = await registry.getSingleMetric('kestrel_response_action_duration_seconds')!.get();
  return m.values.find((v) => v.labels.action === action && (v as { metricName?: string }).metricName === 'kestrel_response_action_duration_seconds_count')?.value ?? 0;
}
