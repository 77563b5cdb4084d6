import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { QueuedOutput, type QueuedOutputOptions } from './alert-output.js';

export interface HttpOutputConfig {
  url: string;
  user_agent: string;
  /** Skip server certificate verification (testing only). */
  insecure: boolean;
  ca_cert?: string;
  timeout_ms: number;
  /** Attempts per alert before it is dropped and counted. */
  max_attempts: number;
}

/** Alerts POSTed one per request (as Falco's http_output): JSON, or text/plain without --json. */
export class HttpOutput extends QueuedOutput {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    opts: QueuedOutputOptions,
    private readonly cfg: HttpOutputConfig,
  ) {
    super('http', opts);
    this.url = new URL(cfg.url);
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, rejectUnauthorized: !cfg.insecure, ...(cfg.ca_cert ? { ca: readFileSync(cfg.ca_cert) } : {}) })
        : new http.Agent({ keepAlive: true });
  }

  protected async deliver(lines: string[]): Promise<void> {
    let failed: Error | undefined;
    let failures = 0;
    for (const line of lines) {
      try {
        await this.postWithRetry(line);
      } catch (err) {
        failed = err as Error;
        failures++;
      }
    }
    if (failed) {
      // Count only the lost ones; the rest were delivered.
      throw Object.assign(new Error(`${failures} of ${lines.length} alerts not delivered: ${failed.message}`), { failures });
    }
  }

  private async postWithRetry(line: string): Promise<void> {
    let last: Error | undefined;
    for (let attempt = 0; attempt < this.cfg.max_attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      try {
        return await this.post(line);
      } catch (err) {
        last = err as Error;
      }
    }
    throw last ?? new Error('not delivered');
  }

  private post(body: string): Promise<void> {
    const mod = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.cfg.timeout_ms,
          headers: {
            'content-type': this.opts.format === 'json' ? 'application/json' : 'text/plain',
            'user-agent': this.cfg.user_agent,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const code = res.statusCode ?? 0;
            if (code >= 200 && code < 300) resolve();
            else reject(new Error(`HTTP ${code} from ${this.url.origin}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${this.cfg.timeout_ms} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  protected override async release(): Promise<void> {
    this.agent.destroy();
  }
}
