// The HTTP(S) listener kube-apiserver's webhook backend talks to: TLS with optional client
// certificate verification, timeouts against slow clients, and the audit webhook plugin.
import { readFile } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { auditRequests } from './metrics.js';
import { configProblem, type K8sAuditConfig } from './config.js';
import { SeenEvents } from './dedupe.js';
import type { AuditEvent } from './event.js';
import type { EventQueue } from './queue.js';
import { auditWebhook } from './webhook.js';
import { guardConnections } from './connections.js';

export interface WebhookServerDeps {
  queue: EventQueue<AuditEvent>;
  accepting(): boolean;
  log: Logger;
}

async function readTokens(cfg: K8sAuditConfig): Promise<string[]> {
  // A blank token can never match: the Authorization header's token is trimmed before comparing.
  const tokens = cfg.bearer_tokens.filter((t) => t.trim().length > 0);
  if (cfg.bearer_token_file) {
    const text = await readFile(cfg.bearer_token_file, 'utf8');
    for (const line of text.split('\n')) if (line.trim()) tokens.push(line.trim());
  }
  return tokens;
}

/** The token settings that were given but hold no token (configProblem ensured one was given). */
function emptyTokenSettings(cfg: K8sAuditConfig): string[] {
  const empty: string[] = [];
  if (cfg.bearer_tokens.length > 0) empty.push(`bearer_tokens holds only empty tokens (${cfg.bearer_tokens.length} given)`);
  if (cfg.bearer_token_file) empty.push(`bearer_token_file ${cfg.bearer_token_file} holds no token`);
  return empty;
}

/** Builds (does not start) the webhook server. Throws with a readable reason on bad settings. */
export async function buildWebhookServer(cfg: K8sAuditConfig, deps: WebhookServerDeps): Promise<FastifyInstance> {
  const problem = configProblem(cfg);
  if (problem) throw new Error(problem);
  const tokens = await readTokens(cfg);
  if (!cfg.allow_unauthenticated && !cfg.tls.client_ca_file && tokens.length === 0) {
    throw new Error(`no usable bearer token: ${emptyTokenSettings(cfg).join('; ')}`);
  }

  const read = async (what: string, file: string) => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new Error(`cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  // Slow clients: headers must arrive within header_timeout_ms and the whole request within
  // request_timeout_ms (checked every second); a new connection (TLS handshake included) must
  // complete a request header within header_timeout_ms, and a kept-alive connection idle for
  // idle_timeout_ms between requests closes (connections.ts).
  const timeouts = {
    headersTimeout: Math.min(cfg.header_timeout_ms, cfg.request_timeout_ms || cfg.header_timeout_ms),
    requestTimeout: cfg.request_timeout_ms,
    connectionsCheckingInterval: 1000,
  };
  const https = cfg.plain_http
    ? null
    : {
        ...timeouts,
        handshakeTimeout: timeouts.headersTimeout,
        cert: await read('tls.cert_file', cfg.tls.cert_file!),
        key: await read('tls.key_file', cfg.tls.key_file!),
        ...(cfg.tls.client_ca_file
          ? {
              ca: await read('tls.client_ca_file', cfg.tls.client_ca_file),
              requestCert: true,
              // With tokens as an alternative, a missing/unknown certificate is checked per request (401);
              // with certificates only, the TLS handshake itself refuses it.
              rejectUnauthorized: tokens.length === 0,
            }
          : {}),
        minVersion: 'TLSv1.2' as const,
      };

  const app = Fastify({
    ...(https ? { https } : { http: timeouts }),
    logger: false,
    bodyLimit: cfg.max_body_bytes,
    connectionTimeout: cfg.idle_timeout_ms,
    keepAliveTimeout: cfg.idle_timeout_ms,
    requestTimeout: cfg.request_timeout_ms,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = timeouts.headersTimeout;
  const connections = guardConnections(app.server, {
    maxConnections: cfg.max_connections,
    firstRequestTimeoutMs: timeouts.headersTimeout,
    tls: !cfg.plain_http,
  });
  app.addHook('preClose', async () => connections.closeUnused());

  app.addHook('onResponse', async (_req, reply) => {
    auditRequests.labels({ code: String(reply.statusCode) }).inc();
  });
  await app.register(auditWebhook, {
    path: cfg.path,
    maxBodyBytes: cfg.max_body_bytes,
    maxEventBytes: cfg.max_event_bytes,
    bearerTokens: tokens,
    clientCertAuth: Boolean(cfg.tls.client_ca_file),
    allowUnauthenticated: cfg.allow_unauthenticated,
    stages: new Set(cfg.stages),
    indexedBodies: cfg.lazy_parsing,
    dedupe: new SeenEvents(cfg.dedupe_window),
    queue: deps.queue,
    retryAfterSeconds: cfg.retry_after_seconds,
    ...(cfg.cluster_name ? { clusterName: cfg.cluster_name } : {}),
    accepting: deps.accepting,
    log: deps.log,
  });
  return app;
}
