// The syscall source as the agent runs it: the eBPF collector feeding the record processor
// (state + fields), each event evaluated against the syscall rules. The kernel filter follows
// the rules: on every reload it is reprogrammed with what the new rules can match. Rules with
// `capture: true` start captures of what follows (capture/rule-captures.ts).
import type { CaptureRequest, CaptureStarted, RuleCaptureSettings, RulesView, SourceContext, SourceRunner } from '../source-module.js';
import type { SourceRuleSet } from '../../engine/ruleset.js';
import { SyscallCollector, collectorUnavailableReason, type CollectorOptions } from './collector/collector.js';
import { kernelEventNames } from './collector/interest.js';
import { exportCollectorMetrics, syncDropCounter } from './collector/metrics.js';
import { exportStateMetrics } from './state/metrics.js';
import type { SyscallContext } from './state/context.js';
import { newLiveContext } from './state/live-context.js';
import type { SyscallEvent } from './syscall-event.js';
import { RecordError, SyscallProcessor } from './batch-processor.js';
import { ProcFs } from './state/procfs.js';
import type { SyscallSourceConfig } from './config.js';
import { RuleCaptures } from './capture/rule-captures.js';
import { exportCaptureMetrics } from './capture/metrics.js';

/** No rule captures (a context without the agent's `capture` settings): responses may still ask for some. */
const NO_RULE_CAPTURES: RuleCaptureSettings = { enabled: false, path_prefix: '', mode: 'rules', default_duration: 0, max_file_size_mb: 0, scope: 'process', max_active: 4 };

export class SyscallRunner implements SourceRunner<SyscallEvent> {
  readonly name = 'syscall';
  private collector: SyscallCollector | undefined;
  private processor: SyscallProcessor | undefined;
  private reason: string | undefined = 'not started';
  private ctx: SourceContext<SyscallEvent> | undefined;
  private badBatches = 0;
  private dropTimer: NodeJS.Timeout | undefined;
  private droppedLogged = 0;
  /** Rule-triggered captures (the agent's `capture` section) and the ones responses ask for. */
  captures: RuleCaptures | undefined;

  constructor(private readonly cfg: SyscallSourceConfig) {}

  async start(ctx: SourceContext<SyscallEvent>): Promise<void> {
    this.ctx = ctx;
    const unavailable = collectorUnavailableReason();
    if (unavailable) return this.fail(unavailable);
    const options: CollectorOptions = {
      ringBufferBytes: this.cfg.ring_buffer_bytes,
      batchBytes: this.cfg.batch_bytes,
      maxPendingBatches: this.cfg.max_pending_batches,
      pollIntervalMs: this.cfg.poll_interval_ms,
      dataSnaplen: this.cfg.data_snaplen,
    };
    let collector: SyscallCollector;
    try {
      collector = new SyscallCollector(options);
    } catch (err) {
      return this.fail((err as Error).message);
    }
    const bootEpochNs = collector.bootEpochNs();
    const state: SyscallContext = newLiveContext({ bootEpochNs, procRoot: this.cfg.proc_root });
    const procfs = new ProcFs({ root: this.cfg.proc_root, bootEpochNs });
    let captures: RuleCaptures | undefined;
    const processor = new SyscallProcessor(state, { procfs, onCgroup: (id, entries) => captures?.cgroup(id, entries) });
    const evaluate = ctx.evaluate;
    // Built even when capture.enabled is false: response actions may ask for captures (captureFor).
    if (evaluate) {
      captures = new RuleCaptures(ctx.capture ?? NO_RULE_CAPTURES, state, processor.parser.cgroupPaths, ctx.rules, ctx.log);
      this.captures = captures;
      exportCaptureMetrics(() => this.captures);
    }
    this.collector = collector;
    this.processor = processor;
    exportCollectorMetrics(() => ({ collector: this.collector?.counters(), stats: state.stats }));
    exportStateMetrics(() => state);
    this.program(ctx.rules());

    // Attach first, then read /proc: a process started in between is in one or the other.
    // Batches wait (in the reader, then the kernel) until the scan below has finished.
    const emit = captures && evaluate ? (e: SyscallEvent) => captures.onEvent(e, evaluate(e)) : ctx.emit;
    collector.start((batch) => {
      this.onBatch(processor, batch, emit);
      captures?.endBatch();
    });
    const t0 = Date.now();
    const n = procfs.scan(state.threads);
    this.reason = undefined;
    this.dropTimer = setInterval(() => this.checkDrops(), 1000);
    this.dropTimer.unref();
    ctx.log.info(
      { processes: n, scanMs: Date.now() - t0, ringBufferBytes: this.cfg.ring_buffer_bytes, syscalls: collector.wanted.length },
      `syscall: eBPF collector attached; ${n} processes read from ${procfs.root}`,
    );
  }

  private fail(reason: string): never {
    this.reason = reason;
    throw new Error(reason);
  }

  private onBatch(processor: SyscallProcessor, batch: Buffer, emit: (e: SyscallEvent) => void): void {
    try {
      processor.process(batch, emit);
    } catch (err) {
      // The kernel wrote something the decoder rejects: a bug, not input. Say so (once per burst).
      if (this.badBatches++ % 1000 === 0) {
        const where = err instanceof RecordError ? ` at byte ${err.offset} of a ${batch.length}-byte batch` : '';
        this.ctx?.log.error({ err, badBatches: this.badBatches }, `syscall: batch rejected${where}: ${(err as Error).message}`);
      }
    }
  }

  /** Kernel drops go to kestrel_events_dropped_total and, once per second at most, to the log. */
  private checkDrops(): void {
    const c = this.collector?.counters();
    if (!c) return;
    syncDropCounter(c);
    if (c.dropped > this.droppedLogged) {
      this.ctx?.log.warn(
        { dropped: c.dropped - this.droppedLogged, totalDropped: c.dropped, produced: c.produced },
        'syscall: records dropped in the kernel: the ring buffer was full (raise sources.syscall.ring_buffer_bytes, or fewer/cheaper rules)',
      );
      this.droppedLogged = c.dropped;
    }
  }

  /** Programs the kernel filter for the rules (plus what state tracking needs). */
  private program(rules: RulesView): void {
    const c = this.collector;
    if (!c) return;
    const rs = rules.forSource(this.name) as SourceRuleSet<SyscallEvent> | undefined;
    const wanted = kernelEventNames(rs ? rs.interestingEventTypes() : new Set());
    const { unknown, unavailable } = c.setEventNames(wanted);
    const log = this.ctx?.log;
    if (unknown.length > 0) log?.warn({ events: unknown }, `syscall: the rules name event types the collector does not produce: ${unknown.join(', ')}`);
    for (const u of unavailable) log?.warn(`syscall: no records for ${u.name} on this kernel: ${u.reason}`);
    log?.info({ syscalls: c.wanted }, `syscall: kernel filter set to ${wanted === 'all' ? 'every covered syscall' : `${c.wanted.length} event types`}`);
  }

  captureFor(event: SyscallEvent, request: CaptureRequest): CaptureStarted {
    if (!this.captures) return { error: 'the syscall source records no captures (it is not running with the agent)' };
    return this.captures.request(event, request);
  }

  /** The running collector (learning mode attaches its syscall capture to it). */
  liveCollector(): SyscallCollector | undefined {
    return this.collector;
  }

  rulesChanged(rules: RulesView): void {
    this.program(rules);
  }

  /** The collector's counters (tests, benchmarks). */
  counters() {
    return this.collector?.counters();
  }

  /** The state the records are applied to (tests). */
  get state(): SyscallContext | undefined {
    return this.processor?.ctx;
  }

  async stop(): Promise<void> {
    this.reason = 'stopped';
    clearInterval(this.dropTimer);
    const c = this.collector;
    if (!c) return;
    await c.stop(); // every record read so far is evaluated
    this.captures?.close();
    this.checkDrops();
    this.collector = undefined;
    await c.close();
  }

  ready(): boolean {
    return this.reason === undefined;
  }

  notReadyReason(): string | undefined {
    return this.reason;
  }
}
