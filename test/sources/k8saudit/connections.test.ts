// The webhook's connection limits over real sockets: idle connections (plain TCP, a TLS handshake
// never started, a TLS session that never sends a request, a kept-alive connection after its
// request) are closed by the server, and beyond max_connections the excess is refused on accept
// and counted. Each "closed" is the socket's 'close' event, awaited (no sleeps).
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './certs.js';
import * as fx from './fixtures.js';
import { metric, post, start } from './webhook-harness.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
});

interface Opened {
  socket: Socket;
  /** Resolves when the socket closes (whoever closed it). */
  closed: Promise<void>;
  /** Whether the socket ever connected (the server may close it right after accept). */
  connected: Promise<void>;
}

function tcp(port: number): Opened {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  return {
    socket,
    closed: new Promise((r) => socket.once('close', () => r())),
    connected: new Promise((r) => socket.once('connect', () => r())),
  };
}

function tlsSession(port: number): Opened {
  const socket = tlsConnect({ port, host: '127.0.0.1', ca: pki.read(pki.caCert) });
  socket.on('error', () => {});
  return {
    socket,
    closed: new Promise((r) => socket.once('close', () => r())),
    connected: new Promise((r) => socket.once('secureConnect', () => r())),
  };
}

/** Polls an asynchronous condition (a metric) until it holds. */
async function waitFor(what: string, pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const portOf = (url: string) => Number(new URL(url).port);
const closedBy = (reason: string) => metric('kestrel_audit_connections_closed_total', { reason });
const openConnections = () => metric('kestrel_audit_connections_open', {});

describe('webhook connection limits', () => {
  it('a plain HTTP connection that never sends a request is closed after header_timeout_ms, and counted', async () => {
    const h = await start({ plain_http: true, allow_unauthenticated: true, header_timeout_ms: 500, idle_timeout_ms: 60_000 });
    try {
      const before = await closedBy('no-request');
      const idle = Array.from({ length: 200 }, () => tcp(portOf(h.url)));
      await Promise.all(idle.map((c) => c.connected));
      await Promise.all(idle.map((c) => c.closed));
      expect(await closedBy('no-request')).toBe(before + 200);
    } finally {
      await h.runner.stop();
    }
  }, 20_000);

  it('under TLS: a handshake never started and a session that never sends a request are both closed, each counted', async () => {
    const h = await start({ tls: { cert_file: pki.serverCert, key_file: pki.serverKey }, allow_unauthenticated: true, header_timeout_ms: 500 });
    try {
      const handshakesBefore = await closedBy('tls-handshake');
      const noRequestBefore = await closedBy('no-request');
      const raw = Array.from({ length: 20 }, () => tcp(portOf(h.url)));
      const sessions = Array.from({ length: 20 }, () => tlsSession(portOf(h.url)));
      await Promise.all([...raw, ...sessions].map((c) => c.connected));
      await Promise.all([...raw, ...sessions].map((c) => c.closed));
      expect(await closedBy('tls-handshake')).toBe(handshakesBefore + 20);
      expect(await closedBy('no-request')).toBe(noRequestBefore + 20);
    } finally {
      await h.runner.stop();
    }
  }, 20_000);

  it('a kept-alive connection idle after its request is closed after idle_timeout_ms', async () => {
    const h = await start({ plain_http: true, allow_unauthenticated: true, header_timeout_ms: 10_000, idle_timeout_ms: 500 });
    try {
      const c = tcp(portOf(h.url));
      await c.connected;
      const body = JSON.stringify(fx.eventList([fx.execDeckhouse()]));
      let response = '';
      c.socket.on('data', (d: Buffer) => (response += d.toString()));
      c.socket.write(`POST ${new URL(h.url).pathname} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      await c.closed;
      expect(response).toMatch(/^HTTP\/1.1 200 /);
      expect(response).toMatch(/keep-alive/i);
      expect(h.events).toHaveLength(1);
    } finally {
      await h.runner.stop();
    }
  }, 20_000);

  it('beyond max_connections the excess is closed on accept and counted; a freed slot serves requests again', async () => {
    const h = await start({ plain_http: true, allow_unauthenticated: true, header_timeout_ms: 60_000, max_connections: 10 });
    try {
      const refusedBefore = await metric('kestrel_audit_connections_refused_total', {});
      const held = Array.from({ length: 10 }, () => tcp(portOf(h.url)));
      await Promise.all(held.map((c) => c.connected));
      await waitFor('the server to hold 10 connections', async () => (await openConnections()) === 10, 10_000);
      const excess = Array.from({ length: 5 }, () => tcp(portOf(h.url)));
      await Promise.all(excess.map((c) => c.closed));
      expect(await metric('kestrel_audit_connections_refused_total', {})).toBe(refusedBefore + 5);
      // the held ones are still open: only the excess was refused
      expect(held.every((c) => !c.socket.destroyed)).toBe(true);
      held[0]!.socket.destroy();
      await held[0]!.closed;
      await waitFor('a slot to free', async () => (await openConnections()) === 9, 10_000);
      const r = await post(h.url, fx.eventList([fx.execDeckhouse()]));
      expect(r.status).toBe(200);
      expect(r.json.accepted).toBe(1);
    } finally {
      await h.runner.stop();
    }
  }, 20_000);

  it('stopping the server closes connections that never sent a request, a TLS handshake in progress included', async () => {
    const h = await start({ tls: { cert_file: pki.serverCert, key_file: pki.serverKey }, allow_unauthenticated: true, header_timeout_ms: 60_000 });
    const raw = tcp(portOf(h.url));
    const session = tlsSession(portOf(h.url));
    await Promise.all([raw.connected, session.connected]);
    await h.runner.stop();
    await Promise.all([raw.closed, session.closed]);
  }, 10_000);
});
