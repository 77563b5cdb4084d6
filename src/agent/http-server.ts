// The agent's own HTTP server (Falco's `webserver`, app/actions/start_webserver.cpp): Prometheus
// metrics and health probes, over HTTPS with Falco's combined certificate+key PEM when
// ssl_enabled.
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { registry } from '../telemetry/metrics.js';

export interface SourceStatus {
  name: string;
  ready: boolean;
  reason?: string;
}

export interface HealthServerOptions {
  address: string;
  port: number;
  /** Path of the liveness probe (Falco's k8s_healthz_endpoint). */
  healthzPath?: string;
  /** Serve /metrics (Falco's prometheus_metrics_enabled). */
  metrics?: boolean;
  /** PEM file with the certificate and its private key: serve HTTPS. */
  tlsPem?: string;
  /** The enabled sources and whether each is attached. */
  sources(): SourceStatus[];
}

/**
 * GET /metrics (Prometheus text format), GET /healthz (200 while the process runs),
 * GET /readyz (200 only when every enabled source is ready, else 503 with the reasons).
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<FastifyInstance> {
  let https: { key: Buffer; cert: Buffer } | undefined;
  if (opts.tlsPem) {
    let pem: Buffer;
    try {
      pem = readFileSync(opts.tlsPem);
    } catch (err) {
      throw new Error(`webserver.ssl_certificate ${opts.tlsPem}: ${(err as Error).message}`, { cause: err });
    }
    if (!pem.includes('PRIVATE KEY-----') || !pem.includes('BEGIN CERTIFICATE')) {
      throw new Error(`webserver.ssl_certificate ${opts.tlsPem} must hold both the certificate and its private key (PEM), as Falco's falco.pem`);
    }
    https = { key: pem, cert: pem };
  }
  // One route table for both: the HTTPS instance only differs in its server.
  const app = (https ? Fastify({ logger: false, forceCloseConnections: true, https }) : Fastify({ logger: false, forceCloseConnections: true })) as unknown as FastifyInstance;
  app.get(opts.healthzPath ?? '/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const sources = opts.sources();
    const ready = sources.every((s) => s.ready);
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      sources: Object.fromEntries(sources.map((s) => [s.name, s.ready ? { ready: true } : { ready: false, reason: s.reason ?? 'not ready' }])),
    });
  });
  if (opts.metrics !== false) {
    app.get('/metrics', async (_req, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  }
  await app.listen({ host: opts.address, port: opts.port });
  return app;
}
