// What a scap replay read, merged, mapped and skipped: every skip is counted by reason (and the
// events without a Kestrel type by their Falco name), printed at the end of `kestrel replay` and
// exported as Prometheus counters for `kestrel run -e`.
import { eventsSkipped, registry, tally, type Tally } from '../../../telemetry/metrics.js';
import { scrapedCounter } from '../state/metrics.js';

export interface ScapStats {
  sections: number;
  blocks: number;
  /** Event blocks read. */
  events: number;
  /** Kestrel records made (one per syscall: exit merged with its enter). */
  records: number;
  /** Enter events merged into their exit event. */
  mergedEnters: number;
  /** Enter events whose exit never came, or that the next enter of the thread replaced. */
  unmatchedEnters: number;
  /** Event types newer than the PPM table (libs after the table's snapshot). */
  unknownTypes: number;
  /** Events of a type Kestrel has no record for (read, mmap, switch, ...), by Falco name below. */
  noKestrelEvent: number;
  noKestrelEventByName: Map<string, number>;
  /** The second exit of a clone/fork (parent's and child's): one Kestrel record is made per new task. */
  cloneSecondHalf: number;
  /** Blocks of a type this reader does not know, by type. */
  unknownBlocks: number;
  unknownBlocksByType: Map<number, number>;
  /** Params cut to fit a Kestrel record. */
  truncatedParams: number;
  /** Container metadata events applied to the container table. */
  containerEvents: number;
  /** Container metadata events skipped: bad JSON, or a runtime Kestrel does not name (lxc, mesos, ...). */
  containerEventsSkipped: number;
  /** Kernel-side drops the capture recorded (PPME_DROP_E events). */
  dropEvents: number;
  threadsListed: number;
  fdsListed: number;
  /** fd lists of threads the process list does not have (skipped, as libscap does). */
  orphanFdLists: number;
  /** fds of a type this reader does not know (kept as unknown fds). */
  unknownFdTypes: number;
  users: number;
  groups: number;
  interfaces: number;
}

export function newScapStats(): ScapStats {
  return {
    sections: 0,
    blocks: 0,
    events: 0,
    records: 0,
    mergedEnters: 0,
    unmatchedEnters: 0,
    unknownTypes: 0,
    noKestrelEvent: 0,
    noKestrelEventByName: new Map(),
    cloneSecondHalf: 0,
    unknownBlocks: 0,
    unknownBlocksByType: new Map(),
    truncatedParams: 0,
    containerEvents: 0,
    containerEventsSkipped: 0,
    dropEvents: 0,
    threadsListed: 0,
    fdsListed: 0,
    orphanFdLists: 0,
    unknownFdTypes: 0,
    users: 0,
    groups: 0,
    interfaces: 0,
  };
}

/** One line for people: what was read and what was skipped, by reason. */
export function describeScapStats(s: ScapStats): string {
  const top = [...s.noKestrelEventByName].sort((a, b) => b[1] - a[1]);
  const names = top.slice(0, 8).map(([n, c]) => `${n} ${c}`).join(', ') + (top.length > 8 ? ', ...' : '');
  const blocks = [...s.unknownBlocksByType].map(([t, c]) => `0x${t.toString(16)} ${c}`).join(', ');
  const parts = [
    `${s.events} event(s) in ${s.blocks} block(s): ${s.records} record(s), ${s.mergedEnters} enter event(s) merged`,
    `process list ${s.threadsListed} thread(s), ${s.fdsListed} fd(s), ${s.users} user(s), ${s.groups} group(s), ${s.interfaces} interface(s), ${s.containerEvents} container(s)`,
    `skipped: ${s.noKestrelEvent} without a Kestrel event type${names ? ` (${names})` : ''}`,
    `${s.unknownTypes} of an unknown event type`,
    `${s.cloneSecondHalf} second clone exit(s)`,
    `${s.unmatchedEnters} enter(s) without exit`,
    `${s.unknownBlocks} unknown block(s)${blocks ? ` (${blocks})` : ''}`,
    `${s.containerEventsSkipped} container event(s)`,
    `${s.orphanFdLists} fd list(s) of unlisted threads`,
    `${s.truncatedParams} param(s) truncated`,
  ];
  if (s.dropEvents) parts.push(`the capture records ${s.dropEvents} kernel drop event(s)`);
  return parts.join('; ');
}

let latest: () => ScapStats | undefined = () => undefined;
let registered = false;

/** Exports the counters of the scap replay `stats` returns (the latest one) as Prometheus counters. */
export function exportScapMetrics(stats: () => ScapStats | undefined): void {
  latest = stats;
  if (registered || registry.getSingleMetric('kestrel_scap_events_total')) return;
  registered = true;
  scrapedCounter(
    'kestrel_scap_events_total',
    'Events of replayed scap files, by result (record: made a Kestrel record; merged_enter: enter event merged into its exit; container: container metadata applied; skipped_no_kestrel_event, skipped_unknown_type, skipped_clone_second_half, skipped_unmatched_enter, skipped_container: bad JSON or a runtime Kestrel does not name).',
    ['result'],
    () => {
      const s = latest();
      return s
        ? {
            record: s.records,
            merged_enter: s.mergedEnters,
            skipped_no_kestrel_event: s.noKestrelEvent,
            skipped_unknown_type: s.unknownTypes,
            skipped_clone_second_half: s.cloneSecondHalf,
            skipped_unmatched_enter: s.unmatchedEnters,
            container: s.containerEvents,
            skipped_container: s.containerEventsSkipped,
          }
        : undefined;
    },
  );
  scrapedCounter('kestrel_scap_blocks_skipped_total', 'Blocks of replayed scap files of a type the reader does not know (skipped).', [], () => {
    const s = latest();
    return s ? { '': s.unknownBlocks } : undefined;
  });
  scrapedCounter('kestrel_scap_params_truncated_total', 'Params of replayed scap events cut to fit a Kestrel record.', [], () => {
    const s = latest();
    return s ? { '': s.truncatedParams } : undefined;
  });
}

let skipTallies: Record<'noKestrelEvent' | 'unknownTypes' | 'cloneSecondHalf' | 'unmatchedEnters' | 'containerEventsSkipped', Tally> | undefined;

/**
 * Adds a finished replay's skipped events to the family every source reports into
 * (kestrel_events_skipped_total{source="syscall", reason="scap_..."}).
 */
export function reportScapSkips(s: ScapStats): void {
  skipTallies ??= {
    noKestrelEvent: tally(eventsSkipped, { source: 'syscall', reason: 'scap_no_kestrel_event' }),
    unknownTypes: tally(eventsSkipped, { source: 'syscall', reason: 'scap_unknown_type' }),
    cloneSecondHalf: tally(eventsSkipped, { source: 'syscall', reason: 'scap_clone_second_half' }),
    unmatchedEnters: tally(eventsSkipped, { source: 'syscall', reason: 'scap_unmatched_enter' }),
    containerEventsSkipped: tally(eventsSkipped, { source: 'syscall', reason: 'scap_container_event' }),
  };
  for (const [k, t] of Object.entries(skipTallies) as [keyof typeof skipTallies, Tally][]) t.inc(s[k]);
}
