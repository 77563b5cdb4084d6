// A stand-in Kubernetes API server for the response tests. There is no real API server on these
// machines (no kind, no cluster, no container registry), so this HTTPS server on 127.0.0.1 (a free
// port, the test PKI) speaks the paths and verbs the response actions use, keeps the objects in
// memory, checks bearer tokens, and validates every request body and every object a patch yields
// against the Kubernetes schemas (kubernetes-models), answering as kube-apiserver does: 201/200,
// 401, 403 (a verb the "RBAC" here forbids), 404, 409 (AlreadyExists; a failed uid precondition),
// 415 and 422.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Pod, Node } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { DeleteOptions } from '@kubernetes-models/apimachinery/apis/meta/v1/DeleteOptions';
import type { Pki } from '../sources/k8saudit/certs.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API objects are handled loosely here
type Obj = Record<string, any>;

export interface Recorded {
  method: string;
  path: string;
  contentType?: string;
  body?: Obj;
  status: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MODELS: Record<string, new (o: Obj) => { validate(): void }> = { pods: Pod as any, nodes: Node as any, networkpolicies: NetworkPolicy as any, clusterrolebindings: ClusterRoleBinding as any };

const ROUTE = /^\/(?:api\/v1|apis\/([^/]+)\/v1)(?:\/namespaces\/([^/]+))?\/([a-z]+)(?:\/([^/]+))?$/;

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function validated(resource: string, o: Obj): string | undefined {
  const Model = MODELS[resource];
  if (!Model) return `no schema for ${resource}`;
  try {
    new Model(o).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** RFC 7386 merge patch. */
function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === 'object' && !Array.isArray(v) && typeof out[k] === 'object' && out[k] !== null) out[k] = mergePatch(out[k], v);
    else out[k] = v;
  }
  return out;
}

export class FakeApiServer {
  readonly requests: Recorded[] = [];
  /** Objects by REST path. */
  readonly objects = new Map<string, Obj>();
  /** `verb resource` pairs answered 403, e.g. 'delete pods'. */
  readonly forbidden = new Set<string>();
  private server!: Server;
  port = 0;

  constructor(
    private readonly pki: Pki,
    readonly token = 'kestrel-test-token',
  ) {}

  async start(): Promise<void> {
    this.server = createServer({ cert: this.pki.read(this.pki.serverCert), key: this.pki.read(this.pki.serverKey) }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Obj | undefined;
        try {
          body = text ? (JSON.parse(text) as Obj) : undefined;
        } catch {
          body = undefined;
        }
        const path = (req.url ?? '').split('?')[0]!;
        const [code, answer] = this.handle(req.method ?? '', path, req.headers['content-type'], req.headers.authorization, body, text);
        this.requests.push({ method: req.method ?? '', path, ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}), ...(body ? { body } : {}), status: code });
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Adds an object (with a uid) at its REST path. */
  put(path: string, o: Obj): Obj {
    const stored = { ...o, metadata: { uid: `uid-${Math.random().toString(16).slice(2)}`, ...o.metadata } };
    this.objects.set(path, stored);
    return stored;
  }

  /** Requests that changed something or tried to (everything but GET). */
  writes(): Recorded[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  private handle(method: string, path: string, contentType: string | undefined, auth: string | undefined, body: Obj | undefined, text: string): [number, Obj] {
    if (auth !== `Bearer ${this.token}`) return [401, status(401, 'Unauthorized', 'Unauthorized')];
    const m = ROUTE.exec(path);
    if (!m) return [404, status(404, 'NotFound', `the server could not find the requested resource (${path})`)];
    const [, , namespace, resource, name] = m;
    const verb = method === 'DELETE' ? 'delete' : method === 'PATCH' ? 'patch' : method === 'POST' ? 'create' : 'get';
    if (this.forbidden.has(`${verb} ${resource}`)) {
      return [403, status(403, 'Forbidden', `${resource} is forbidden: User "system:serviceaccount:kestrel:kestrel" cannot ${verb} resource "${resource}"${namespace ? ` in the namespace "${namespace}"` : ''}`)];
    }
    if (text && !body) return [400, status(400, 'BadRequest', 'body is not JSON')];
    const existing = this.objects.get(path);
    switch (method) {
      case 'DELETE': {
        if (body) {
          const bad = validated('deleteoptions', body) ?? deleteOptionsProblem(body);
          if (bad) return [422, status(422, 'Invalid', `DeleteOptions: ${bad}`)];
        }
        if (!existing) return [404, status(404, 'NotFound', `${resource} "${name}" not found`)];
        const uid = body?.preconditions?.uid;
        if (uid && uid !== existing.metadata.uid) return [409, status(409, 'Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${existing.metadata.uid}`)];
        this.objects.delete(path);
        return [200, existing];
      }
      case 'PATCH': {
        if (contentType !== 'application/merge-patch+json' && contentType !== 'application/strategic-merge-patch+json') return [415, status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json`)];
        if (!existing) return [404, status(404, 'NotFound', `${resource} "${name}" not found`)];
        const merged = mergePatch(existing, body ?? {});
        const bad = validated(resource!, merged);
        if (bad) return [422, status(422, 'Invalid', `${resource} "${name}" is invalid: ${bad}`)];
        this.objects.set(path, merged);
        return [200, merged];
      }
      case 'POST': {
        if (name) return [405, status(405, 'MethodNotAllowed', 'POST to a named object')];
        const bad = body ? validated(resource!, body) : 'no body';
        if (bad) return [422, status(422, 'Invalid', `${resource} is invalid: ${bad}`)];
        if (body!.metadata?.namespace && body!.metadata.namespace !== namespace) return [400, status(400, 'BadRequest', 'the namespace of the object does not match the namespace on the request')];
        const at = `${path}/${body!.metadata.name}`;
        if (this.objects.has(at)) return [409, status(409, 'AlreadyExists', `${resource} "${body!.metadata.name}" already exists`)];
        return [201, this.put(at, body!)];
      }
      default:
        return existing ? [200, existing] : [404, status(404, 'NotFound', `${resource} "${name}" not found`)];
    }
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** What DeleteOptions' schema does not say: its kind, and the values propagationPolicy allows. */
function deleteOptionsProblem(o: Obj): string | undefined {
  if (o.kind !== undefined && o.kind !== 'DeleteOptions') return `kind ${o.kind}`;
  if (o.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) return `propagationPolicy ${o.propagationPolicy}`;
  const known = ['kind', 'apiVersion', 'gracePeriodSeconds', 'preconditions', 'propagationPolicy', 'orphanDependents', 'dryRun'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  return unknown.length > 0 ? `unknown field(s) ${unknown.join(', ')}` : undefined;
}

// DeleteOptions bodies are checked with the apimachinery model too.
MODELS.deleteoptions = DeleteOptions as unknown as (typeof MODELS)[string];
