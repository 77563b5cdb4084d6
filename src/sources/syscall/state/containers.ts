// Container metadata by id. Records only ever read this table. When a container is first seen,
// what its runtime left on disk (the OCI bundle, bundle.ts) is read at once, so its first record
// already knows privileged, mounts and (for CRI) the pod; lookups against the runtime's API run
// asynchronously (runtimes.ts) and complete the entry when they answer. Until then (or when no
// runtime answers) the fields the bundle does not carry have no value.
import type { CgroupContainer } from './cgroup.js';

export interface ContainerMount {
  source: string;
  dest: string;
  mode: string;
  rdwr: boolean;
  propagation: string;
}

export interface ContainerMeta {
  name?: string;
  image?: string;
  imageId?: string;
  imageRepository?: string;
  imageTag?: string;
  imageDigest?: string;
  privileged?: boolean;
  mounts?: ContainerMount[];
  labels?: Record<string, string>;
  ip?: string;
  hostPid?: boolean;
  hostNetwork?: boolean;
  hostIpc?: boolean;
  /** Container start time, ns since the epoch. */
  startTs?: string;
  /** Which runtime answered. */
  source?: string;
}

export interface ContainerInfo extends ContainerMeta {
  /** 12-hex short id (container.id). */
  id: string;
  fullId: string;
  type: CgroupContainer['type'];
  /** none: not asked yet; pending; ok; failed: no runtime knew it. */
  lookup: 'none' | 'pending' | 'ok' | 'failed';
}

export type ContainerLookup = (c: ContainerInfo) => Promise<ContainerMeta | undefined>;
/** Metadata available at once, without waiting (the OCI bundle on disk); counts into `stats`. */
export type ContainerInitialLookup = (c: ContainerInfo, stats: InitialLookupStats) => ContainerMeta | undefined;

export interface InitialLookupStats {
  /** Containers whose bundle was found and read. */
  found: number;
  /** Containers with no bundle at any known place (their metadata waits for the runtime). */
  missing: number;
  /** Bundles found but unreadable (bad JSON): the runtime's answer is awaited instead. */
  bad: number;
}

export interface ContainerStats {
  lookupsStarted: number;
  lookupsOk: number;
  lookupsFailed: number;
}

/** Time spent reading initial metadata on first sight (ns): the bundle read holds the event loop. */
export interface InitialLookupTiming {
  count: number;
  totalNs: bigint;
  maxNs: bigint;
}

export class ContainerStore {
  private readonly byId = new Map<string, ContainerInfo>();
  readonly stats: ContainerStats = { lookupsStarted: 0, lookupsOk: 0, lookupsFailed: 0 };
  /** Called when an entry is added or its metadata arrives (capture records it). */
  onUpdate: ((c: ContainerInfo) => void) | undefined;
  private readonly inflight = new Set<Promise<void>>();
  readonly initialTiming: InitialLookupTiming = { count: 0, totalNs: 0n, maxNs: 0n };
  readonly initialStats: InitialLookupStats = { found: 0, missing: 0, bad: 0 };

  constructor(
    private readonly lookup?: ContainerLookup,
    private readonly initial?: ContainerInitialLookup,
  ) {}

  get(id: string): ContainerInfo | undefined {
    return this.byId.get(id);
  }

  all(): ContainerInfo[] {
    return [...this.byId.values()];
  }

  /** Stores an entry as given (snapshot restore, replayed metadata). */
  put(c: ContainerInfo): void {
    this.byId.set(c.id, c);
  }

  /** The entry for a container seen in a cgroup, creating it (and starting a lookup) on first sight. */
  ensure(cg: CgroupContainer): ContainerInfo {
    const id = cg.fullId.slice(0, 12);
    let c = this.byId.get(id);
    if (c) return c;
    c = { id, fullId: cg.fullId, type: cg.type, lookup: 'none' };
    if (this.initial) this.readInitial(c, this.initial);
    this.byId.set(id, c);
    this.onUpdate?.(c);
    if (this.lookup) this.startLookup(c, this.lookup);
    return c;
  }

  private readInitial(c: ContainerInfo, initial: ContainerInitialLookup): void {
    const t0 = process.hrtime.bigint();
    const meta = initial(c, this.initialStats);
    const dt = process.hrtime.bigint() - t0;
    const t = this.initialTiming;
    t.count++;
    t.totalNs += dt;
    if (dt > t.maxNs) t.maxNs = dt;
    if (meta) Object.assign(c, meta);
  }

  private startLookup(c: ContainerInfo, lookup: ContainerLookup): void {
    c.lookup = 'pending';
    this.stats.lookupsStarted++;
    const p = lookup(c)
      .then(
        (meta) => {
          if (meta) {
            Object.assign(c, meta);
            c.lookup = 'ok';
            this.stats.lookupsOk++;
          } else {
            c.lookup = 'failed';
            this.stats.lookupsFailed++;
          }
        },
        () => {
          c.lookup = 'failed';
          this.stats.lookupsFailed++;
        },
      )
      .then(() => {
        this.inflight.delete(p);
        this.onUpdate?.(c);
      });
    this.inflight.add(p);
  }

  /** Resolves when every lookup started so far has finished (tests, orderly shutdown). */
  async settle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }
}

/** `registry/repo:tag@sha256:d` -> parts, as Falco splits container.image. */
export function splitImage(image: string): { repository: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}
