import { syscallFields } from './fields/index.js';
import type { EventSource } from '../../engine/event-source.js';
import type { SyscallEvent } from './syscall-event.js';
import { EVENT_NAMES } from './record/event-table.js';

/** Syscall records from the eBPF collector or a capture: typed by Falco event name. */
export const syscallSource: EventSource<SyscallEvent> = {
  name: 'syscall',
  fields: syscallFields(),
  eventTypes: EVENT_NAMES,
  typeOf: (e) => e.type,
  timeOf: (e) => e.timeNs(),
  identify: (e) => ({ 'evt.num': e.num, 'evt.type': EVENT_NAMES[e.type] ?? String(e.type), tid: e.tid }),
};
