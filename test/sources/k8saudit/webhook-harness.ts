// A k8s_audit webhook runner on a free loopback port for tests, a POST helper that reads the
// webhook's JSON reply, and a metric reader.
import { Writable } from 'node:stream';
import pino from 'pino';
import { request, type Agent } from 'undici';
import { K8S_AUDIT_DEFAULTS, type K8sAuditConfig } from '../../../src/sources/k8saudit/config.js';
import type { AuditEvent } from '../../../src/sources/k8saudit/event.js';
import { K8sAuditRunner } from '../../../src/sources/k8saudit/runner.js';
import { registry } from '../../../src/telemetry/metrics.js';

export interface Harness {
  runner: K8sAuditRunner;
  events: AuditEvent[];
  logs: string[];
  url: string;
}

export async function start(cfg: Partial<K8sAuditConfig>, sink?: (e: AuditEvent) => void): Promise<Harness> {
  const events: AuditEvent[] = [];
  const logs: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  // HTTPS with authentication unless a test says otherwise (the documented defaults are the
  // loopback plain-HTTP receiver).
  const full: K8sAuditConfig = { ...K8S_AUDIT_DEFAULTS, plain_http: false, allow_unauthenticated: false, address: '127.0.0.1', port: 0, ...cfg, tls: { ...cfg.tls } };
  const runner = new K8sAuditRunner(full);
  await runner.start({ emit: sink ?? ((e) => events.push(e)), rules: () => ({ forSource: () => undefined }), log });
  const { port } = runner.address()!;
  return { runner, events, logs, url: `${full.plain_http ? 'http' : 'https'}://127.0.0.1:${port}${full.path}` };
}

/** The webhook's JSON reply (the fields these tests read). */
export interface Reply {
  accepted?: number;
  skipped?: number;
  rejected: Array<{ index: number; reason: string }>;
  error?: string;
}

export async function post(url: string, body: unknown, dispatcher?: Agent, headers: Record<string, string> = {}) {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await request(url, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', ...headers }, dispatcher });
  const text = await res.body.text();
  let json: Reply;
  try {
    json = JSON.parse(text) as Reply;
  } catch {
    json = { rejected: [], error: `not JSON: ${text}` };
  }
  return { status: res.statusCode, headers: res.headers, json };
}

export async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

