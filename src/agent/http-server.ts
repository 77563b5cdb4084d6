// The agent's own HTTP server (Falco's `webserver`): Prometheus metrics and health probes.
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
  /** The enabled sources and whether each is attached. */
  sources(): SourceStatus[];
}

/**
 * GET /metrics (Prometheus text format), GET /healthz (200 while the process runs),
 * GET /readyz (200 only when every enabled source is ready, else 503 with the reasons).
 */
export async function startHealthServer(opts: HealthServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const sources = opts.sources();
    const ready = sources.every((s) => s.ready);
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready',
      sources: Object.fromEntries(sources.map((s) => [s.name, s.ready ? { ready: true } : { ready: false, reason: s.reason ?? 'not ready' }])),
    });
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await registry.metrics();
    return reply.type(registry.contentType).send(text);
  });
  await app.listen({ host: opts.address, port: opts.port });
  return app;
}
