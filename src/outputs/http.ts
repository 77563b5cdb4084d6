// Falco's http_output (outputs_http.cpp): each alert POSTed in its own request, JSON
// (application/json) or text (text/plain), with Falco's TLS settings (insecure, ca_cert /
// ca_bundle / ca_path in that order of precedence, mtls with client_cert and client_key). Unlike
// Falco, which logs a failed request and moves on, a request that fails on the connection, times
// out, or gets 408, 425, 429 or 5xx is retried (backoff with jitter, Retry-After honoured) for as
// long as the alert is queued; any other non-2xx answer refuses the alert for good (counted as
// rejected). compress_uploads gzips the body (Content-Encoding: gzip).
import http from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import { DeliveryError, QueuedOutput, type QueuedOutputOptions } from './alert-output.js';
import { readCaFiles, readTlsFile } from './tls-files.js';

export interface HttpOutputConfig {
  url: string;
  user_agent: string;
  /** Skip server certificate verification (testing only). */
  insecure: boolean;
  ca_cert: string;
  ca_bundle: string;
  ca_path: string;
  mtls: boolean;
  client_cert: string;
  client_key: string;
  /** Write the receiver's answers to standard output (Falco's echo). */
  echo: boolean;
  compress_uploads: boolean;
  /** Extra request headers (e.g. Authorization). */
  custom_headers: Record<string, string>;
  /** A request without an answer for this long fails (and is retried). */
  timeout_ms: number;
}

const RETRYABLE = new Set([408, 425, 429]);

export class HttpOutput extends QueuedOutput {
  private readonly agent: http.Agent;
  private readonly url: URL;
  private readonly headers: Record<string, string>;

  constructor(
    opts: QueuedOutputOptions,
    private readonly cfg: HttpOutputConfig,
  ) {
    super('http', opts);
    this.url = new URL(cfg.url);
    this.agent = this.url.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...tlsOptions(cfg) }) : new http.Agent({ keepAlive: true });
    this.headers = {
      'content-type': this.json ? 'application/json' : 'text/plain',
      'user-agent': cfg.user_agent,
      ...cfg.custom_headers,
      ...(cfg.compress_uploads ? { 'content-encoding': 'gzip' } : {}),
    };
  }

  protected async deliver(lines: string[], signal: AbortSignal): Promise<void> {
    for (let i = 0; i < lines.length; i++) {
      try {
        await this.post(lines[i]!, signal);
      } catch (err) {
        const e = err as Error & { permanent?: boolean; retryAfterMs?: number };
        throw new DeliveryError(e.message, {
          delivered: i,
          ...(e.permanent ? { permanent: true, reason: 'rejected' } : {}),
          ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
        });
      }
    }
  }

  private post(line: string, signal: AbortSignal): Promise<void> {
    const body = this.cfg.compress_uploads ? gzipSync(line) : Buffer.from(line);
    const mod = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        this.url,
        { method: 'POST', agent: this.agent, signal, headers: { ...this.headers, 'content-length': String(body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => this.cfg.echo && chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            if (this.cfg.echo && chunks.length > 0) process.stdout.write(Buffer.concat(chunks).toString() + '\n');
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) return resolve();
            const err = Object.assign(new Error(`HTTP ${code} from ${this.url.origin}`), {
              permanent: !(RETRYABLE.has(code) || code >= 500),
              retryAfterMs: retryAfter(res.headers['retry-after']),
            });
            reject(err);
          });
        },
      );
      // No byte from the receiver for timeout_ms (it accepted and never answers): fail and retry.
      req.setTimeout(this.cfg.timeout_ms, () => req.destroy(new Error(`no answer from ${this.url.origin} within ${this.cfg.timeout_ms} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  protected override async release(): Promise<void> {
    this.agent.destroy();
  }

  protected override releaseNow(): void {
    this.agent.destroy();
  }
}

function tlsOptions(cfg: HttpOutputConfig): https.AgentOptions {
  const o: https.AgentOptions = { rejectUnauthorized: !cfg.insecure };
  // Falco's precedence: ca_cert, else ca_bundle, else ca_path; none of them: Node's own roots.
  const ca = cfg.ca_cert
    ? [readTlsFile(cfg.ca_cert, 'http_output.ca_cert')]
    : cfg.ca_bundle
      ? [readTlsFile(cfg.ca_bundle, 'http_output.ca_bundle')]
      : cfg.ca_path
        ? readCaFiles(cfg.ca_path)
        : [];
  if (ca.length > 0) o.ca = ca;
  if (cfg.mtls) {
    o.cert = readTlsFile(cfg.client_cert, 'http_output.client_cert');
    o.key = readTlsFile(cfg.client_key, 'http_output.client_key');
  }
  return o;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
function retryAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
