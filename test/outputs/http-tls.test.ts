// http_output over TLS against a real HTTPS receiver that requires a client certificate (mTLS):
// the CA given as ca_cert, ca_bundle or ca_path verifies the receiver; without the client
// certificate the handshake fails and the alert stays queued (retried, never lost).
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpOutput, type HttpOutputConfig } from '../../src/outputs/http.js';
import { OutputSetupError } from '../../src/outputs/tls-files.js';
import { makePki, type Pki } from '../sources/k8saudit/certs.js';
import { metric, numberedAlerts, Receiver, waitUntil } from './receivers.js';

const log = pino({ level: 'silent' });
let pki: Pki;
let r: Receiver;

beforeAll(async () => {
  pki = makePki();
  r = await Receiver.start(() => 200, { key: pki.read(pki.serverKey), cert: pki.read(pki.serverCert), ca: pki.read(pki.caCert), requestCert: true, rejectUnauthorized: true });
});
afterAll(() => r.stop());

function https(cfg: Partial<HttpOutputConfig>): HttpOutput {
  return new HttpOutput(
    { format: 'json', maxQueued: 100, log, backoff: { initialMs: 5, maxMs: 50 } },
    { url: r.url, user_agent: 'kestrel-test', insecure: false, ca_cert: '', ca_bundle: '', ca_path: '', mtls: false, client_cert: '', client_key: '', echo: false, compress_uploads: false, custom_headers: {}, timeout_ms: 5000, ...cfg },
  );
}

describe('http output over TLS', () => {
  it('mtls with client_cert/client_key: verified by ca_cert, ca_bundle or ca_path alike', async () => {
    const caDir = mkdtempSync(join(tmpdir(), 'kestrel-capath-'));
    copyFileSync(pki.caCert, join(caDir, 'ca.pem'));
    const mtls = { mtls: true, client_cert: pki.clientCert, client_key: pki.clientKey };
    for (const trust of [{ ca_cert: pki.caCert }, { ca_bundle: pki.caCert }, { ca_path: caDir }]) {
      const out = https({ ...mtls, ...trust });
      out.write(numberedAlerts(1)[0]!);
      await out.close();
    }
    expect(r.acked).toHaveLength(3);
  });

  it('without the client certificate the receiver refuses the handshake: the alert is retried, not lost', async () => {
    const acked = r.acked.length;
    const before = await metric('kestrel_output_retries_total', { output: 'http' });
    const out = https({ ca_cert: pki.caCert });
    out.write(numberedAlerts(1)[0]!);
    await waitUntil(async () => (await metric('kestrel_output_retries_total', { output: 'http' })) - before >= 2, 'handshake failures being retried');
    expect(await out.close(0)).toEqual({ output: 'http', undelivered: 1, spooled: 0 });
    expect(r.acked.length).toBe(acked);
  });

  it('insecure: true skips verifying the receiver (no CA given); without it the same setup is retried, not delivered', async () => {
    const mtls = { mtls: true, client_cert: pki.clientCert, client_key: pki.clientKey };
    const acked = r.acked.length;
    const before = await metric('kestrel_output_retries_total', { output: 'http' });
    const strict = https(mtls);
    strict.write(numberedAlerts(1)[0]!);
    await waitUntil(async () => (await metric('kestrel_output_retries_total', { output: 'http' })) - before >= 1, 'verification failure retried');
    expect(await strict.close(0)).toMatchObject({ undelivered: 1 });
    const lax = https({ ...mtls, insecure: true });
    lax.write(numberedAlerts(1)[0]!);
    await lax.close();
    expect(r.acked.length).toBe(acked + 1);
  });

  it('an unreadable client_key is an error naming the setting', () => {
    expect(() => https({ mtls: true, client_cert: pki.clientCert, client_key: '/nonexistent/client.key' })).toThrow(OutputSetupError);
    expect(() => https({ mtls: true, client_cert: pki.clientCert, client_key: '/nonexistent/client.key' })).toThrow(/http_output.client_key: cannot read \/nonexistent\/client.key/);
  });
});
