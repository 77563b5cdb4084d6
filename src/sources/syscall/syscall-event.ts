// The event object syscall rules are evaluated against: the record cursor plus the state the
// record was resolved to (thread, process, fd). One instance is reused for every record.
import { RecordView } from './record/record-view.js';
import type { FdInfo } from './state/fd.js';
import type { ProcessInfo, ThreadInfo } from './state/process.js';
import type { SyscallContext } from './state/context.js';

/** SyscallEvent.fdNum of an event that has no fd at all. */
export const NO_FD = -2147483648;

export class SyscallEvent extends RecordView {
  /** evt.num: 1-based sequence number of the record in this stream. */
  num = 0;
  thread: ThreadInfo | undefined;
  proc: ProcessInfo | undefined;
  /** The fd the event works on or created (undefined: none, or unknown to the state). */
  fd: FdInfo | undefined;
  /** The fd number the event refers to (-1: the creating call failed; NO_FD: no fd). */
  fdNum = NO_FD;
  /** fd.name_changed: this event changed the name of its fd (e.g. a new UDP peer). */
  fdNameChanged = false;

  constructor(readonly ctx: SyscallContext) {
    super();
  }

  private timeFor = -1;
  private time = 0n;
  private openFlagsFor = -1;
  private openFlagsValue: number | undefined;

  /** Event time, ns since the epoch (computed once per record). */
  timeNs(): bigint {
    if (this.timeFor !== this.seq) {
      this.time = this.tsBoot() + this.ctx.bootEpochNs;
      this.timeFor = this.seq;
    }
    return this.time;
  }

  /** An int param, read once per record (for params many rules test, like open flags). */
  memoFlags(i: number): number | undefined {
    if (this.openFlagsFor !== this.seq) {
      this.openFlagsValue = this.int(i);
      this.openFlagsFor = this.seq;
    }
    return this.openFlagsValue;
  }

  // evt.arg texts of this record (fields/args.ts), by param index
  argsFor = -1;
  argsMask = 0;
  readonly argTexts: (string | undefined)[] = new Array<string | undefined>(32).fill(undefined);
}
