// Connection limits of the webhook server, against file-descriptor exhaustion by idle sockets:
// at most max_connections at a time (the excess is closed on accept and counted), a connection
// that has sent nothing within header_timeout_ms is closed (Node's headersTimeout only starts with
// the first byte and then answers 408 itself, and a TLS server waits 120 s for a handshake by default), and
// between requests a keep-alive connection idles at most idle_timeout_ms (Node's keepAliveTimeout).
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { counter, gauge } from '../../telemetry/metrics.js';

export const auditConnectionsRefused = counter(
  'kestrel_audit_connections_refused_total',
  'Webhook connections closed on accept because max_connections were open.',
);
export const auditConnectionsClosed = counter(
  'kestrel_audit_connections_closed_total',
  'Webhook connections the server closed for idling, by reason (no-request: no complete request within header_timeout_ms; tls-handshake: handshake not completed in time or failed).',
  ['reason'],
);

/** Open connections of every live webhook server (usually one), read at scrape time. */
const openCounts = new Set<() => number>();
gauge('kestrel_audit_connections_open', 'Webhook connections open (TLS handshakes in progress included).', [], function collect() {
  let n = 0;
  for (const count of openCounts) n += count();
  this.set(n);
});

export interface ConnectionLimits {
  maxConnections: number;
  /** A new connection must send its first request byte within this time (TLS handshake included). */
  firstRequestTimeoutMs: number;
  tls: boolean;
}

/**
 * Applies the limits to a started-or-not server. Returns `closeUnused`, which destroys every
 * connection that never carried a request (for shutdown: Fastify's forceCloseConnections: 'idle'
 * knows only connections HTTP saw).
 */
export function guardConnections(server: Server, limits: ConnectionLimits): { closeUnused(): void } {
  server.maxConnections = limits.maxConnections;
  server.on('drop', () => auditConnectionsRefused.inc());
  const closedNoRequest = auditConnectionsClosed.labels({ reason: 'no-request' });
  const closedHandshake = auditConnectionsClosed.labels({ reason: 'tls-handshake' });

  /** Connections that have not carried a request yet, with their timer (none while a TLS handshake runs). */
  const unused = new Map<Socket, NodeJS.Timeout | undefined>();
  const open = new Set<Socket>();
  const count = () => open.size;
  openCounts.add(count);
  server.once('close', () => openCounts.delete(count));

  const track = (socket: Socket, timeoutMs: number | undefined) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (!unused.delete(socket)) return;
            // a request under way is Node's (headersTimeout answers 408); this is for silence
            if (socket.bytesRead > 0) return;
            closedNoRequest.inc();
            socket.destroy();
          }, timeoutMs).unref();
    unused.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      unused.delete(socket);
    });
  };
  // The raw TCP connection counts as open from accept. Under TLS the handshake comes first
  // (bounded by the server's handshakeTimeout, which the caller sets to the same limit); the
  // first-request clock starts on the TLS socket once it is secure.
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    track(socket, limits.tls ? undefined : limits.firstRequestTimeoutMs);
  });
  if (limits.tls) {
    server.on('secureConnection', (tlsSocket: Socket) => {
      const raw = (tlsSocket as unknown as { _parent?: Socket })._parent;
      if (raw) unused.delete(raw);
      track(tlsSocket, limits.firstRequestTimeoutMs);
    });
    server.on('tlsClientError', () => closedHandshake.inc());
  }
  server.on('request', (req: { socket: Socket }) => {
    if (!unused.has(req.socket)) return;
    clearTimeout(unused.get(req.socket));
    unused.delete(req.socket);
  });
  return {
    closeUnused() {
      for (const [socket, timer] of unused) {
        clearTimeout(timer);
        socket.destroy();
      }
      unused.clear();
    },
  };
}
