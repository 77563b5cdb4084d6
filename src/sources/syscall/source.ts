import { syscallFields } from '../../fields/syscall/index.js';
import type { EventSource } from '../source.js';
import type { SyscallEvent } from './event.js';
import { EVENT_NAMES } from './events.js';

/** Syscall records from the eBPF collector or a capture: typed by Falco event name. */
export const syscallSource: EventSource<SyscallEvent> = {
  name: 'syscall',
  fields: syscallFields(),
  eventTypes: EVENT_NAMES,
  typeOf: (e) => e.type,
  timeOf: (e) => e.timeNs(),
};
