// Telling people what was done: the webhook (one JSON POST per notify action: the alert, what the
// rule's actions did), and the alert-like event each action outcome becomes on the outputs (so it
// reaches whatever already reads Kestrel's alerts: a SIEM, falcosidekick, a log pipeline).
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostname } from 'node:os';
import { alertToJson, rfc3339Nano, type Alert } from '../engine/alert.js';
import type { Priority } from '../engine/rule.js';
import type { ResponsesConfig } from './config.js';
import type { Outcome } from './outcome.js';

export interface ActionReport {
  action: string;
  target: string;
  dry_run: boolean;
  outcome: Outcome;
}

export interface Notification {
  alert_id: string;
  response_rule: string;
  alert: Alert;
  actions: ActionReport[];
  time: string;
}

export class Webhook {
  private readonly ca: Buffer | undefined;

  constructor(private readonly cfg: ResponsesConfig['webhook']) {
    this.ca = cfg.ca_cert ? readFileSync(cfg.ca_cert) : undefined;
  }

  /** POSTs once, retrying once on a network error or 5xx; resolves with the final status. */
  async send(n: Notification): Promise<{ status: number } | { error: string }> {
    let last: { status: number } | { error: string } = { error: 'not sent' };
    for (let attempt = 0; attempt < 2; attempt++) {
      last = await this.post(notificationJson(n));
      if ('status' in last && last.status < 500) return last;
    }
    return last;
  }

  private post(body: string): Promise<{ status: number } | { error: string }> {
    const url = new URL(this.cfg.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = send(
        url,
        {
          method: 'POST',
          timeout: this.cfg.timeout_ms,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'kestrel-respond', ...this.cfg.headers },
          ...(this.ca ? { ca: this.ca } : {}),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.cfg.timeout_ms} ms`)));
      req.on('error', (err) => resolve({ error: err.message }));
      req.end(body);
    });
  }
}

/** The notification as JSON; the alert exactly as Kestrel prints it (its bigints as integers). */
export function notificationJson(n: Notification): string {
  const { alert, ...rest } = n;
  return `${JSON.stringify(rest).slice(0, -1)},"alert":${alertToJson(alert)}}`;
}

const HOST = hostname();

function priorityFor(o: Outcome): Priority {
  if (o.result === 'failed') return 'Error';
  if (o.result === 'ok') return 'Notice';
  return 'Informational';
}

/** The outcome of one action as an alert on the outputs (source `kestrel_response`). */
export function outcomeEvent(alertId: string, responseRule: string, alert: Alert, report: ActionReport): Alert {
  const ns = BigInt(Date.now()) * 1_000_000n;
  const priority = priorityFor(report.outcome);
  const text =
    `Kestrel response ${report.action} ${report.outcome.result}${report.dry_run ? ' (dry run)' : ''} for alert "${alert.rule}" ` +
    `(alert_id=${alertId} target=${report.target} response_rule=${responseRule} detail=${report.outcome.detail})`;
  return {
    hostname: HOST,
    output: `${rfc3339Nano(ns)}: ${priority} ${text}`,
    output_fields: {
      'evt.time': ns,
      'response.action': report.action,
      'response.alert_id': alertId,
      'response.alert_rule': alert.rule,
      'response.detail': report.outcome.detail,
      'response.dry_run': report.dry_run,
      'response.result': report.outcome.result,
      'response.rule': responseRule,
      'response.target': report.target,
      ...(report.outcome.file ? { 'response.file': report.outcome.file } : {}),
    },
    priority,
    rule: 'Kestrel Response',
    source: 'kestrel_response',
    tags: ['kestrel', 'response'],
    time: rfc3339Nano(ns),
  };
}
