// A scenario's events in memory, as replay would yield them from its capture: the state snapshot
// restored, then every record decoded with the state updates applied in order (the reader of
// capture/reader.ts, without the file).
import { SyscallProcessor } from '../batch-processor.js';
import { newContext } from '../state/context.js';
import { restoreSnapshot } from '../state/snapshot.js';
import type { SyscallEvent } from '../syscall-event.js';
import type { Scenario } from './synthetic.js';

/**
 * The scenario's events, in order. The same event object is reused for every record: use each one
 * before asking for the next.
 */
export function* scenarioEvents(s: Scenario): Generator<SyscallEvent> {
  const ctx = newContext();
  ctx.bootEpochNs = s.bootEpochNs;
  ctx.hostname = s.hostname;
  const processor = new SyscallProcessor(ctx);
  restoreSnapshot(ctx, processor.parser.cgroupPaths, s.snapshot);
  processor.load(s.records);
  try {
    for (let e = processor.next(); e; e = processor.next()) yield e;
  } finally {
    processor.finish();
  }
}
