import type { FieldRegistry } from '../fields/registry.js';
import type { AnyEvent } from '../fields/types.js';

/**
 * What the rules compiler needs to know of an event source: its fields, and for sources
 * with event types (syscall) the type of each event, so rules are indexed by type.
 */
export interface EventSource<E = AnyEvent> {
  readonly name: string;
  readonly fields: FieldRegistry<E>;
  /** Event type names; the index in this array is the type code. Absent: no `evt.type` index. */
  readonly eventTypes?: readonly string[];
  /** The type code of an event (index into eventTypes). Required when eventTypes is set. */
  typeOf?(event: E): number;
  /** Event time, nanoseconds since the Unix epoch. */
  timeOf(event: E): bigint;
  /** What identifies the event in a log line (an audit ID, a record number): a few short values. */
  identify?(event: E): Record<string, string | number>;
}
