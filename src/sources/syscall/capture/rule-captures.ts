// Rule-triggered captures, as Falco's `capture` section (falco.yaml; Falco's capture manager):
// when a rule with `capture: true` fires (any rule in `all_rules` mode), the events that follow
// are written to a capture file until the rule's `capture_duration` (else `default_duration`)
// has passed; another trigger while it records extends it (the longest deadline wins), and
// `max_file_size_mb` stops it hard. Files are Kestrel captures (`kestrel replay FILE`), starting
// with the state the records need, then the triggering record and the ones after it.
// Unlike Falco, which records every event of the host, a capture records by default what the
// alert is about (`scope: process`): the triggering event's container, or for a host process
// that process and the processes it starts; `scope: all` records everything. At most
// `max_active` captures record at once; triggers beyond are counted and skipped.
// The responder's `capture` action asks for a capture through request() (the agent hands it the
// syscall runner's captureFor): same scope, bounds and metrics, whether or not `capture.enabled`
// (the response rule is the opt-in), with its own duration, path prefix and size cap.
import type { Logger } from 'pino';
import type { Alert } from '../../../engine/alert.js';
import type { CompiledRule, SourceRuleSet } from '../../../engine/ruleset.js';
import type { CaptureRequest, CaptureStarted, RuleCaptureSettings, RulesView } from '../../source-module.js';
import type { SyscallContext } from '../state/context.js';
import type { ContainerInfo } from '../state/containers.js';
import { takeSnapshot, type StateSnapshot } from '../state/snapshot.js';
import type { UserTables } from '../state/users.js';
import type { SyscallEvent } from '../syscall-event.js';
import { CaptureWriter, liveCaptureInfo } from './writer.js';

export interface RuleCaptureStats {
  started: number;
  /** Triggers that extended a capture already recording their container/process. */
  extended: number;
  /** Triggers skipped because max_active captures were recording. */
  skippedLimit: number;
  /** Captures that could not be started (the file could not be created) or failed while writing. */
  failed: number;
  /** Captures closed, by why. */
  stoppedDuration: number;
  stoppedSize: number;
  stoppedShutdown: number;
  /** Records written into captures. */
  records: number;
}

interface Active {
  key: string;
  path: string;
  writer: CaptureWriter;
  /** Wall-clock deadline (ms). */
  deadline: number;
  startedAt: number;
  /** Container captures: the container id; process captures: the pids followed. */
  containerId: string;
  pids: Set<number> | undefined;
  parts: Uint8Array[];
  count: number;
  rules: Set<string>;
  /** Hard cap on the file (bytes; Infinity: none). */
  maxBytes: number;
}

export class RuleCaptures {
  readonly stats: RuleCaptureStats = { started: 0, extended: 0, skippedLimit: 0, failed: 0, stoppedDuration: 0, stoppedSize: 0, stoppedShutdown: 0, records: 0 };
  private readonly active = new Map<string, Active>();
  private ruleSet: SourceRuleSet<SyscallEvent> | undefined;
  private byName = new Map<string, CompiledRule<SyscallEvent>>();
  private readonly maxBytes: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: RuleCaptureSettings,
    private readonly ctx: SyscallContext,
    private readonly cgroupPaths: Map<bigint, string[]>,
    private readonly rules: () => RulesView,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.maxBytes = mib(settings.max_file_size_mb);
    // State learned while capturing goes into the files, as `kestrel capture` records it.
    ctx.containers.onUpdate = (c) => this.eachWriter((w) => w.container({ ...c } as ContainerInfo));
    ctx.users.onLoad = (key, t) => this.eachWriter((w) => w.users(key, t as UserTables));
  }

  /** A cgroup id resolved live (the state parser's onCgroup). */
  cgroup(id: bigint, entries: string[]): void {
    this.eachWriter((w) => w.cgroup(id, entries));
  }

  get recording(): number {
    return this.active.size;
  }

  /** After an event was evaluated: start or extend captures for its alerts, record it where it belongs. */
  onEvent(e: SyscallEvent, alerts: readonly Alert[]): void {
    for (let i = 0; i < alerts.length; i++) this.trigger(e, alerts[i]!);
    if (this.active.size === 0) return;
    const now = this.now();
    for (const a of this.active.values()) {
      if (now >= a.deadline) {
        this.stop(a, 'duration');
        continue;
      }
      if (this.inScope(a, e)) {
        a.parts.push(e.buf.subarray(e.off, e.off + e.len));
        a.count++;
      }
    }
  }

  /** After a batch: the records gathered for each capture go out as one chunk (the batch buffer is about to be reused). */
  endBatch(): void {
    for (const a of this.active.values()) {
      if (a.count === 0) continue;
      try {
        a.writer.recordParts(a.parts, a.count);
      } catch (err) {
        this.fail(a, err);
        continue;
      }
      this.stats.records += a.count;
      a.parts = [];
      a.count = 0;
      if (a.writer.bytes >= a.maxBytes) this.stop(a, 'size');
    }
  }

  /** Closes every capture (agent shutdown). */
  close(): void {
    this.endBatch();
    for (const a of [...this.active.values()]) this.stop(a, 'shutdown');
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private captureDuration(alert: Alert): number | undefined {
    const rs = this.rules().forSource('syscall') as SourceRuleSet<SyscallEvent> | undefined;
    if (rs !== this.ruleSet) {
      this.ruleSet = rs;
      this.byName = new Map((rs?.rules ?? []).map((r) => [r.name, r]));
    }
    const spec = this.byName.get(alert.rule)?.spec;
    if (!spec) return undefined;
    if (!spec.capture && this.settings.mode !== 'all_rules') return undefined;
    return spec.captureDuration ?? this.settings.default_duration;
  }

  private trigger(e: SyscallEvent, alert: Alert): void {
    if (!this.settings.enabled) return;
    const duration = this.captureDuration(alert);
    if (duration === undefined) return;
    this.begin(e, duration, this.settings.path_prefix, this.maxBytes, alert.rule);
  }

  /**
   * A capture asked for by a response action, for the event being evaluated now (call it while
   * that event's alerts are handed out: the event itself is recorded right after). Starts one, or
   * extends the one recording the event's container/process (its file and size cap stay).
   */
  request(e: SyscallEvent, r: CaptureRequest): CaptureStarted {
    // the size cap asked for, never above capture.max_file_size_mb when that is set
    const maxBytes = Math.min(mib(r.maxSizeMb), this.maxBytes);
    return this.begin(e, r.durationMs, r.pathPrefix, maxBytes, r.reason);
  }

  private begin(e: SyscallEvent, duration: number, pathPrefix: string, maxBytes: number, rule: string): CaptureStarted {
    const p = e.proc;
    const containerId = p?.containerId ?? '';
    const key = this.settings.scope === 'all' ? '*' : containerId ? `container:${containerId}` : `pid:${e.pid}`;
    const deadline = this.now() + duration;
    const a = this.active.get(key);
    if (a) {
      a.deadline = Math.max(a.deadline, deadline);
      a.rules.add(rule);
      this.stats.extended++;
      return { path: a.path, extended: true, scope: key };
    }
    if (this.active.size >= this.settings.max_active) {
      this.stats.skippedLimit++;
      const why = `${this.active.size} captures are recording (capture.max_active)`;
      this.log.warn({ rule, recording: this.active.size }, `capture for "${rule}" skipped: ${why}`);
      return { error: why };
    }
    return this.start(e, key, containerId, deadline, rule, pathPrefix, maxBytes);
  }

  private start(e: SyscallEvent, key: string, containerId: string, deadline: number, rule: string, pathPrefix: string, maxBytes: number): CaptureStarted {
    const ns = e.timeNs();
    const path = `${pathPrefix}_${ns.toString().padStart(20, '0')}_${String(e.num).padStart(17, '0')}.kcap`;
    const pids = key.startsWith('pid:') ? new Set([e.pid]) : undefined;
    let writer: CaptureWriter;
    try {
      writer = new CaptureWriter(path, liveCaptureInfo(this.ctx.hostname, this.ctx.bootEpochNs));
      writer.state(this.scopedSnapshot(containerId, pids, key === '*'));
    } catch (err) {
      this.stats.failed++;
      this.log.error({ rule, path, err: (err as Error).message }, `capture for "${rule}" could not start: ${(err as Error).message}`);
      return { error: `cannot write ${path}: ${(err as Error).message}` };
    }
    const a: Active = { key, path, writer, deadline, startedAt: this.now(), containerId, pids, parts: [], count: 0, rules: new Set([rule]), maxBytes };
    this.active.set(key, a);
    this.stats.started++;
    this.log.info({ rule, path, scope: key, durationMs: deadline - a.startedAt }, `capture started by "${rule}": ${path}`);
    if (!this.timer) {
      // closes captures whose deadline passed while no event of theirs came
      this.timer = setInterval(() => this.expire(), 250);
      this.timer.unref();
    }
    return { path, extended: false, scope: key };
  }

  private expire(): void {
    const now = this.now();
    for (const a of [...this.active.values()]) if (now >= a.deadline) this.stop(a, 'duration');
    if (this.active.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private inScope(a: Active, e: SyscallEvent): boolean {
    if (a.key === '*') return true;
    const p = e.proc;
    if (!p) return false;
    if (a.pids === undefined) return p.containerId === a.containerId;
    if (a.pids.has(p.pid)) return true;
    // a process started by one followed is followed too (its first record names its parent)
    if (a.pids.has(p.ppid)) {
      a.pids.add(p.pid);
      return true;
    }
    return false;
  }

  /** The state a replay needs: the processes in scope and their ancestors (for proc.p*, proc.a*). */
  private scopedSnapshot(containerId: string, pids: Set<number> | undefined, all: boolean): StateSnapshot {
    const s = takeSnapshot(this.ctx, this.cgroupPaths);
    if (all) return s;
    const byPid = new Map(s.processes.map((p) => [p.pid, p]));
    const keep = new Set<number>();
    for (const p of s.processes) {
      if (pids ? !pids.has(p.pid) : p.containerId !== containerId) continue;
      for (let q: typeof p | undefined = p; q && !keep.has(q.pid); q = byPid.get(q.ppid)) keep.add(q.pid);
    }
    return {
      ...s,
      processes: s.processes.filter((p) => keep.has(p.pid)),
      containers: containerId ? s.containers.filter((c) => c.id === containerId) : [],
      users: s.users.filter(([k]) => k === '' || k === containerId),
    };
  }

  private stop(a: Active, why: 'duration' | 'size' | 'shutdown'): void {
    this.active.delete(a.key);
    try {
      if (a.count) a.writer.recordParts(a.parts, a.count);
      this.stats.records += a.count;
      a.writer.close({ durationNs: (BigInt(this.now() - a.startedAt) * 1_000_000n).toString() });
    } catch (err) {
      this.active.set(a.key, a);
      this.fail(a, err);
      return;
    }
    if (why === 'duration') this.stats.stoppedDuration++;
    else if (why === 'size') this.stats.stoppedSize++;
    else this.stats.stoppedShutdown++;
    this.log.info({ path: a.path, records: a.writer.records, bytes: a.writer.bytes, rules: [...a.rules], reason: why }, `capture closed (${why}): ${a.path}`);
  }

  private fail(a: Active, err: unknown): void {
    this.active.delete(a.key);
    try {
      a.writer.abort();
    } catch {
      // already reported below
    }
    this.stats.failed++;
    this.log.error({ path: a.path, err: (err as Error).message }, `capture ${a.path} failed: ${(err as Error).message}`);
  }

  private eachWriter(f: (w: CaptureWriter) => void): void {
    for (const a of [...this.active.values()]) {
      try {
        f(a.writer);
      } catch (err) {
        this.fail(a, err);
      }
    }
  }
}

/** MiB to bytes; 0 (or less) is no cap. */
function mib(n: number): number {
  return n > 0 ? n * 1024 * 1024 : Infinity;
}
