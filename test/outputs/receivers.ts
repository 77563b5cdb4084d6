// Real local receivers for the output tests: an HTTP(S) server whose answer to each request the
// test decides (status, or never answering), a free port, polling for a positive signal, and
// reading the outputs' metrics.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { Alert } from '../../src/engine/alert.js';
import { registry } from '../../src/telemetry/metrics.js';
import { makeAlerts } from './alerts.js';

export async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value ?? 0;
}

/** Polls until `cond` holds (a positive signal), failing with `label` after `timeoutMs`. */
export async function waitUntil(cond: () => boolean | Promise<boolean>, label: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port nothing listens on (bound and released): connections to it are refused. */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** `n` distinct alerts: alert i carries `seq=i` at the end of its output. */
export function numberedAlerts(n: number, from = 0): Alert[] {
  const base = makeAlerts(1)[0]!;
  return Array.from({ length: n }, (_, i) => ({ ...base, output: `${base.output} seq=${from + i}` }));
}

/** The seq numbers of received JSON alert bodies. */
export function seqs(bodies: string[]): number[] {
  return bodies.map((b) => Number(/seq=(\d+)/.exec(JSON.parse(b).output)![1]));
}

export type Answer = number | 'hang';

export interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

/**
 * An HTTP(S) receiver on 127.0.0.1. `answer(i)` decides request i's fate: a status code, or
 * 'hang' (read the body, never answer). `acked` holds the requests answered 2xx: what the sender
 * may count as delivered.
 */
export class Receiver {
  server!: Server;
  port = 0;
  requests = 0;
  readonly acked: Received[] = [];
  readonly all: Received[] = [];
  private readonly hung: ServerResponse[] = [];

  constructor(
    private answer: (i: number, r: Received) => Answer,
    private readonly tls?: ServerOptions,
  ) {}

  static async start(answer: (i: number, r: Received) => Answer, tls?: ServerOptions, port = 0): Promise<Receiver> {
    const r = new Receiver(answer, tls);
    await r.listen(port);
    return r;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}/alerts`;
  }

  async listen(port = this.port): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString();
        const rec = { body, headers: req.headers };
        this.all.push(rec);
        const a = this.answer(this.requests++, rec);
        if (a === 'hang') {
          this.hung.push(res);
          return;
        }
        if (a >= 200 && a < 300) this.acked.push(rec);
        res.statusCode = a;
        if (a === 429) res.setHeader('retry-after', '0');
        res.end();
      });
    };
    this.server = this.tls ? createHttpsServer(this.tls, handler) : createHttpServer(handler);
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  setAnswer(answer: (i: number, r: Received) => Answer): void {
    this.answer = answer;
  }

  /** Stops listening and drops every connection (the receiver goes down). */
  async stop(): Promise<void> {
    for (const res of this.hung.splice(0)) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
