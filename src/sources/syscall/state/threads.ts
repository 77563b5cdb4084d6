// The thread and process tables, bounded: when full, dead entries go first, then the least
// recently seen. Every eviction is counted.
import { ProcessInfo, ThreadInfo } from './process.js';

export interface ThreadTableOptions {
  /** Maximum threads tracked (default 262144). */
  maxThreads?: number;
}

export class ThreadTable {
  /** Change through the methods below only (thread() remembers its last answer). */
  readonly threads = new Map<number, ThreadInfo>();
  readonly procs = new Map<number, ProcessInfo>();
  readonly maxThreads: number;
  evicted = 0;
  /** Optional liveness probe (live mode: does /proc/<tid> still exist?). */
  isAlive: ((tid: number) => boolean) | undefined;

  constructor(opts: ThreadTableOptions = {}) {
    this.maxThreads = opts.maxThreads ?? 262144;
  }

  get size(): number {
    return this.threads.size;
  }

  // The last lookup: records come in bursts from one thread. Forgotten on any change of the table
  // (the tables are changed through these methods only).
  private lastTid = -1;
  private lastThread: ThreadInfo | undefined;

  thread(tid: number): ThreadInfo | undefined {
    if (tid === this.lastTid) return this.lastThread;
    const t = this.threads.get(tid);
    this.lastTid = tid;
    this.lastThread = t;
    return t;
  }

  private forgetLookup(): void {
    this.lastTid = -1;
    this.lastThread = undefined;
  }

  process(pid: number): ProcessInfo | undefined {
    return this.procs.get(pid);
  }

  /** Parent process, or undefined at the top of the tree (pid 0/1 parent 0) or when unknown. */
  parent(p: ProcessInfo): ProcessInfo | undefined {
    if (p.ppid === 0 || p.ppid === p.pid) return undefined;
    return this.procs.get(p.ppid);
  }

  /** Adds a process (and nothing else). */
  addProcess(p: ProcessInfo): void {
    const old = this.procs.get(p.pid);
    if (old && old !== p) old.dead = true;
    this.procs.set(p.pid, p);
  }

  /** Adds a thread of a process already in the table. */
  addThread(t: ThreadInfo): void {
    const old = this.threads.get(t.tid);
    if (old && old !== t) this.dropThread(old);
    this.forgetLookup();
    this.threads.set(t.tid, t);
    t.proc.threads++;
    if (this.threads.size > this.maxThreads) this.evict();
  }

  /** Removes a thread; the process goes with its last thread. */
  removeThread(tid: number): void {
    const t = this.threads.get(tid);
    if (t) this.dropThread(t);
  }

  private dropThread(t: ThreadInfo): void {
    this.forgetLookup();
    if (this.threads.get(t.tid) === t) this.threads.delete(t.tid);
    const p = t.proc;
    p.threads--;
    if (p.threads <= 0) {
      p.dead = true;
      if (this.procs.get(p.pid) === p) this.procs.delete(p.pid);
    }
  }

  /** Frees room: threads the probe says are gone, then the least recently seen tenth. */
  evict(): void {
    const target = Math.floor(this.maxThreads * 0.9);
    if (this.isAlive) {
      for (const t of [...this.threads.values()]) {
        if (this.threads.size <= target) break;
        if (!this.isAlive(t.tid)) {
          this.dropThread(t);
          this.evicted++;
        }
      }
    }
    if (this.threads.size <= target) return;
    const byAge = [...this.threads.values()].sort((a, b) => a.lastSeen - b.lastSeen);
    for (const t of byAge) {
      if (this.threads.size <= target) break;
      this.dropThread(t);
      this.evicted++;
    }
  }

  clear(): void {
    this.forgetLookup();
    this.threads.clear();
    this.procs.clear();
  }
}
