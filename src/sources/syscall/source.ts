import { FieldRegistry } from '../../fields/registry.js';
import type { EventSource } from '../source.js';

// Placeholder until the syscall record/state work lands: fields and event types come from there.
export const syscallSource: EventSource = {
  name: 'syscall',
  fields: new FieldRegistry('syscall'),
  eventTypes: [],
  typeOf: () => 0,
  timeOf: () => 0n,
};
