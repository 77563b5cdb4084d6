// webserver.ssl_enabled: HTTPS with Falco's combined certificate+key PEM (falco.pem), the health
// path of k8s_healthz_endpoint, and /metrics only when prometheus_metrics_enabled.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Agent as HttpsAgent, fetch as undiciFetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer } from '../../src/agent/http-server.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function combinedPem(dir: string): { pem: string; cert: string } {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const pem = join(dir, 'falco.pem');
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { pem, cert };
}

describe('webserver TLS and paths', () => {
  it('serves HTTPS from one PEM holding certificate and key; healthz path configurable; /metrics off when disabled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-webtls-'));
    const { pem, cert } = combinedPem(dir);
    app = await startHealthServer({ address: '127.0.0.1', port: 0, tlsPem: pem, healthzPath: '/live', metrics: false, sources: () => [] });
    const port = (app.server.address() as { port: number }).port;
    const dispatcher = new HttpsAgent({ connect: { ca: readFileSync(cert) } });
    expect((await undiciFetch(`https://127.0.0.1:${port}/live`, { dispatcher })).status).toBe(200);
    expect((await undiciFetch(`https://127.0.0.1:${port}/healthz`, { dispatcher })).status).toBe(404);
    expect((await undiciFetch(`https://127.0.0.1:${port}/metrics`, { dispatcher })).status).toBe(404);
    await dispatcher.close();
  });

  it('refuses a PEM without the key, naming the setting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-webtls-'));
    const { cert } = combinedPem(dir);
    await expect(startHealthServer({ address: '127.0.0.1', port: 0, tlsPem: cert, sources: () => [] })).rejects.toThrow(
      `webserver.ssl_certificate ${cert} must hold both the certificate and its private key`,
    );
  });
});
