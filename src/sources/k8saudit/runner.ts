// The k8s_audit source as the agent runs it: the webhook server feeding a bounded queue whose
// drain loop hands events to the engine.
import type { FastifyInstance } from 'fastify';
import { eventsDropped } from '../../telemetry/metrics.js';
import type { SourceContext, SourceRunner } from '../source-module.js';
import type { K8sAuditConfig } from './config.js';
import type { AuditEvent } from './event.js';
import { EventQueue } from './queue.js';
import { buildWebhookServer } from './server.js';

export class K8sAuditRunner implements SourceRunner<AuditEvent> {
  readonly name = 'k8s_audit';
  private app: FastifyInstance | undefined;
  private queue: EventQueue<AuditEvent> | undefined;
  private stopping = false;
  private reason: string | undefined = 'not started';
  private boundAddress: { address: string; port: number } | undefined;

  constructor(private readonly cfg: K8sAuditConfig) {}

  async start(ctx: SourceContext<AuditEvent>): Promise<void> {
    const lostInSink = eventsDropped.labels({ source: this.name, reason: 'evaluation-error' });
    this.queue = new EventQueue<AuditEvent>(this.cfg.max_queued_events, ctx.emit, 256, (err) => {
      lostInSink.inc();
      ctx.log.error({ err }, 'k8s_audit: event evaluation failed');
    });
    try {
      this.app = await buildWebhookServer(this.cfg, {
        queue: this.queue,
        accepting: () => !this.stopping,
        log: ctx.log,
      });
      await this.app.listen({ host: this.cfg.address, port: this.cfg.port });
    } catch (err) {
      this.reason = `webhook on ${this.cfg.address}:${this.cfg.port}: ${(err as Error).message}`;
      await this.app?.close().catch(() => {});
      this.app = undefined;
      throw new Error(this.reason, { cause: err });
    }
    const addr = this.app.server.address();
    if (addr && typeof addr === 'object') this.boundAddress = { address: addr.address, port: addr.port };
    this.reason = undefined;
    ctx.log.info(
      { address: this.boundAddress?.address, port: this.boundAddress?.port, path: this.cfg.path, tls: !this.cfg.plain_http },
      `k8s_audit: webhook listening on ${this.cfg.plain_http ? 'http' : 'https'}://${this.cfg.address}:${this.boundAddress?.port}${this.cfg.path}`,
    );
  }

  /** Where the server listens (port 0 in the config picks a free one). */
  address(): { address: string; port: number } | undefined {
    return this.boundAddress;
  }

  /** Events accepted (answered 200) and not yet evaluated. */
  queued(): number {
    return this.queue?.length ?? 0;
  }

  /** Resolves once every accepted event has been evaluated. */
  idle(): Promise<void> {
    return this.queue?.drained() ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.reason = 'stopped';
    // Closing waits for in-flight requests; then everything they queued is evaluated.
    await this.app?.close();
    await this.queue?.drained();
  }

  ready(): boolean {
    return this.reason === undefined;
  }

  notReadyReason(): string | undefined {
    return this.reason;
  }
}
