// A small Kubernetes API client for the response actions: HTTPS with the agent's service account
// (in-cluster: the mounted token and CA, KUBERNETES_SERVICE_HOST/PORT) or a kubeconfig (server,
// CA, token or client certificate of a context), keep-alive connections, a timeout per request.
// The same credentials client-go's rest.InClusterConfig and clientcmd would pick.
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConnection {
  server: string;
  ca?: Buffer;
  insecure?: boolean;
  token?: string;
  /** Re-read for each request (projected service account tokens rotate). */
  tokenFile?: string;
  cert?: Buffer;
  key?: Buffer;
}

export interface KubeResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API objects are read loosely
  body: any;
}

export class KubeConfigError extends Error {}

/** In-cluster settings, or undefined when not running in a pod with a service account token. */
export function inClusterConnection(env = process.env, dir = SA_DIR): KubeConnection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  try {
    return { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ca: readFileSync(`${dir}/ca.crt`), tokenFile: `${dir}/token` };
  } catch {
    return undefined;
  }
}

type Named<T> = { name: string } & T;

/** The connection of a kubeconfig's context (the current one unless `context` names another). */
export function kubeconfigConnection(file: string, context = ''): KubeConnection {
  let cfg: Record<string, unknown>;
  try {
    cfg = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${file}: ${(err as Error).message}`);
  }
  const base = dirname(resolve(file));
  const path = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const pick = <T>(list: unknown, name: string, what: string): T => {
    const found = (Array.isArray(list) ? (list as Named<T>[]) : []).find((x) => x?.name === name);
    if (!found) throw new KubeConfigError(`kubeconfig ${file}: no ${what} named ${JSON.stringify(name)}`);
    return found;
  };
  const ctxName = context || String(cfg['current-context'] ?? '');
  if (!ctxName) throw new KubeConfigError(`kubeconfig ${file}: no current-context and no kubernetes.context given`);
  const ctx = pick<{ context: { cluster: string; user: string } }>(cfg.contexts, ctxName, 'context').context;
  const cluster = pick<{ cluster: Record<string, string | boolean> }>(cfg.clusters, ctx.cluster, 'cluster').cluster;
  const user = pick<{ user: Record<string, string> }>(cfg.users, ctx.user, 'user').user ?? {};
  const bytes = (data: string | undefined, file2: string | undefined) => (data ? Buffer.from(data, 'base64') : file2 ? readFileSync(path(file2)) : undefined);
  const conn: KubeConnection = { server: String(cluster.server ?? '') };
  if (!/^https:\/\//.test(conn.server)) throw new KubeConfigError(`kubeconfig ${file}: cluster ${ctx.cluster} server must be an https:// URL`);
  const ca = bytes(cluster['certificate-authority-data'] as string, cluster['certificate-authority'] as string);
  if (ca) conn.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) conn.insecure = true;
  if (user.token) conn.token = user.token;
  if (user.tokenFile) conn.tokenFile = path(user.tokenFile);
  const cert = bytes(user['client-certificate-data'], user['client-certificate']);
  const key = bytes(user['client-key-data'], user['client-key']);
  if (cert && key) Object.assign(conn, { cert, key });
  return conn;
}

export class KubeClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(
    private readonly conn: KubeConnection,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(conn.server);
    this.agent = new Agent({ keepAlive: true, maxSockets: 8, ...(conn.ca ? { ca: conn.ca } : {}), ...(conn.cert ? { cert: conn.cert, key: conn.key } : {}), rejectUnauthorized: !conn.insecure });
  }

  get server(): string {
    return this.conn.server;
  }

  private token(): string | undefined {
    if (this.conn.tokenFile) return readFileSync(this.conn.tokenFile, 'utf8').trim();
    return this.conn.token;
  }

  /** One request; resolves with any HTTP status (callers decide), rejects on network errors and timeouts. */
  send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const token = this.token();
    const opts: RequestOptions = {
      agent: this.agent,
      method,
      hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
      port: this.url.port || 443,
      path: `${this.url.pathname.replace(/\/$/, '')}${path}`,
      headers: {
        accept: 'application/json',
        'user-agent': 'kestrel-respond',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload ? { 'content-type': contentType, 'content-length': payload.length } : {}),
      },
      timeout: this.timeoutMs,
    };
    return new Promise((resolvePromise, reject) => {
      const req = request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (a proxy's error page): keep the text for the message
          }
          resolvePromise({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.conn.server} within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The client the config asks for: a kubeconfig when given, else in-cluster, else none. */
export function kubeClientFor(cfg: { kubeconfig: string; context: string; timeout_ms: number }): KubeClient | undefined {
  if (cfg.kubeconfig) return new KubeClient(kubeconfigConnection(cfg.kubeconfig, cfg.context), cfg.timeout_ms);
  const conn = inClusterConnection();
  return conn ? new KubeClient(conn, cfg.timeout_ms) : undefined;
}
