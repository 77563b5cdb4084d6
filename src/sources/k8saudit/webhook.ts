// The audit webhook endpoint as a fastify plugin: authenticate, read (gunzip) and parse the body,
// split it into events, validate each, skip stages nobody evaluates and duplicates, and queue
// the rest. A 200 means every accepted event is queued and will be evaluated.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BurstLog } from '../../telemetry/burst-log.js';
import { eventsSkipped, tally } from '../../telemetry/metrics.js';
import { auditEventsRejected } from './metrics.js';
import { SeenEvents } from './dedupe.js';
import type { AuditEvent } from './event.js';
import type { EventQueue } from './queue.js';
import { eventsOf, splitBody } from './body.js';

const gunzipAsync = promisify(gunzip);

export interface WebhookOptions {
  path: string;
  maxBodyBytes: number;
  maxEventBytes: number;
  /** Accepted bearer tokens; empty: tokens do not authenticate. */
  bearerTokens: string[];
  /** A client certificate verified against the configured CA authenticates. */
  clientCertAuth: boolean;
  allowUnauthenticated: boolean;
  stages: ReadonlySet<string>;
  /** Index bodies and read events lazily (body.ts); false: parse every body whole (the reference path). */
  indexedBodies: boolean;
  dedupe: SeenEvents;
  queue: EventQueue<AuditEvent>;
  retryAfterSeconds: number;
  clusterName?: string;
  /** False while the source is stopping or has no rules yet: answer 503. */
  accepting(): boolean;
  log: Logger;
}

/** How many rejections a response lists in full (all are counted). */
const MAX_LISTED = 50;

export async function auditWebhook(app: FastifyInstance, opts: WebhookOptions): Promise<void> {
  const tokens = opts.bearerTokens.map(digest);
  const rejectedLog = new BurstLog(opts.log, 'k8s_audit: rejected audit events');
  const badRequestLog = new BurstLog(opts.log, 'k8s_audit: bad webhook requests');
  const overloadLog = new BurstLog(opts.log, 'k8s_audit: queue full, answering 429 (apiserver will retry)');
  const skipStage = tally(eventsSkipped, { source: 'k8s_audit', reason: 'stage' });
  const skipDuplicate = tally(eventsSkipped, { source: 'k8s_audit', reason: 'duplicate' });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: opts.maxBodyBytes }, (_req, body, done) =>
    done(null, body),
  );

  const authenticated = (req: FastifyRequest): boolean => {
    if (opts.allowUnauthenticated) return true;
    if (opts.clientCertAuth && (req.raw.socket as TLSSocket).authorized === true) return true;
    const h = req.headers.authorization;
    if (tokens.length > 0 && typeof h === 'string' && h.length > 7 && h.slice(0, 7).toLowerCase() === 'bearer ') {
      const given = digest(h.slice(7).trim());
      return tokens.some((t) => timingSafeEqual(t, given));
    }
    return false;
  };

  // Events the last accepted request carried: a request is refused before its body is read and
  // parsed when a batch that size would not fit (parsing it only to refuse it wastes the CPU the
  // queue is waiting for).
  let typicalBatch = 1;

  const busy = (reply: FastifyReply, code: 429 | 503, message: string) =>
    reply.code(code).header('retry-after', String(opts.retryAfterSeconds)).send({ error: message });

  app.route({
    method: 'POST',
    url: opts.path,
    onRequest: async (req, reply) => {
      if (!authenticated(req)) {
        badRequestLog.note({ status: 401, remote: req.ip });
        return reply.code(401).header('www-authenticate', 'Bearer realm="kestrel"').send({ error: 'authentication required: client certificate or bearer token' });
      }
      if (!opts.accepting()) return busy(reply, 503, 'not accepting audit events right now (starting or shutting down)');
      if (!opts.queue.fits(typicalBatch)) {
        overloadLog.note({ queued: opts.queue.length });
        return busy(reply, 429, 'audit event queue is full, retry later');
      }
    },
    handler: async (req, reply) => {
      const raw = req.body as Buffer;
      const enc = String(req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
      let data: Buffer;
      if (enc === 'gzip' || enc === 'x-gzip') {
        try {
          data = await gunzipAsync(raw, { maxOutputLength: opts.maxBodyBytes });
        } catch (err) {
          const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
          badRequestLog.note({ status: tooLarge ? 413 : 400, remote: req.ip, error: (err as Error).message });
          return tooLarge
            ? reply.code(413).send({ error: `decompressed body exceeds ${opts.maxBodyBytes} bytes` })
            : reply.code(400).send({ error: `body is not valid gzip: ${(err as Error).message}` });
        }
      } else if (enc === 'identity' || enc === '') {
        data = raw;
      } else {
        return reply.code(415).send({ error: `unsupported Content-Encoding ${JSON.stringify(enc)} (gzip or identity)` });
      }

      const split = splitBody(data, opts.maxEventBytes, opts.indexedBodies);
      if (split.malformed !== undefined) {
        badRequestLog.note({ status: 400, remote: req.ip, error: split.malformed });
        return reply.code(400).send({ error: `malformed JSON: ${split.malformed}` });
      }
      const problem = split.problem;
      if (problem) {
        auditEventsRejected.labels({ reason: problem.reason }).inc();
        rejectedLog.note({ remote: req.ip, reason: problem.reason, message: problem.message });
        return reply.code(400).send({ error: problem.message, accepted: 0, rejected: [problem] });
      }

      const now = BigInt(Date.now()) * 1_000_000n;
      const { accepted, rejected, stageSkipped, duplicates } = eventsOf(split, now, opts);
      const count = split.count;

      if (accepted.length > 0) typicalBatch = accepted.length;
      if (!opts.queue.tryPush(accepted)) {
        for (const e of accepted) opts.dedupe.delete(e.top('auditID') as string, e.stage!);
        overloadLog.note({ queued: opts.queue.length, batch: accepted.length });
        return busy(reply, 429, 'audit event queue is full, retry later');
      }

      if (stageSkipped) skipStage.inc(stageSkipped);
      if (duplicates) skipDuplicate.inc(duplicates);
      if (rejected.length) {
        for (const r of rejected) auditEventsRejected.labels({ reason: r.reason }).inc();
        rejectedLog.note({ remote: req.ip, first: rejected[0], inRequest: rejected.length }, rejected.length);
      }
      const summary = {
        accepted: accepted.length,
        skipped: stageSkipped + duplicates,
        rejected: rejected.slice(0, MAX_LISTED),
        ...(rejected.length > MAX_LISTED ? { rejectedTotal: rejected.length } : {}),
      };
      // Only when nothing in the request was usable is the request itself refused.
      const nothingUsable = rejected.length > 0 && rejected.length === count;
      return reply.code(nothingUsable ? 400 : 200).send(summary);
    },
  });

  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'], // HEAD comes with GET
    url: opts.path,
    handler: async (_req, reply) => reply.code(405).header('allow', 'POST').send({ error: 'method not allowed: use POST' }),
  });

  app.addHook('onClose', async () => {
    rejectedLog.flush();
    badRequestLog.flush();
    overloadLog.flush();
  });
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
