// The generic event fields libsinsp offers for every plugin event source, for k8s_audit.
import { agentHostname } from '../../../engine/hostname.js';
import type { FieldDef } from '../../../fields/types.js';
import type { AuditEvent } from '../event.js';
import { datetimeNs, datetimeS, iso8601Ns, timeNs, timeS } from './time.js';

type Def = FieldDef<AuditEvent>;

const host = agentHostname();

export const evtFields: Def[] = [
  { name: 'evt.time', type: 'CHARBUF', desc: 'Event timestamp as a time string that includes the nanosecond part.', bind: () => (e) => timeNs(e.timeNs) },
  { name: 'evt.time.s', type: 'CHARBUF', desc: 'Event timestamp as a time string with no nanoseconds.', bind: () => (e) => timeS(e.timeNs) },
  { name: 'evt.time.iso8601', type: 'CHARBUF', desc: 'Event timestamp in ISO 8601 format, including nanoseconds and time zone offset (in UTC).', bind: () => (e) => iso8601Ns(e.timeNs) },
  { name: 'evt.datetime', type: 'CHARBUF', desc: 'Event timestamp as a time string that includes the date.', bind: () => (e) => datetimeNs(e.timeNs) },
  { name: 'evt.datetime.s', type: 'CHARBUF', desc: 'Event timestamp as a datetime string with no nanoseconds.', bind: () => (e) => datetimeS(e.timeNs) },
  { name: 'evt.rawtime', type: 'ABSTIME', desc: 'Absolute event timestamp, i.e. nanoseconds from epoch.', bind: () => (e) => e.timeNs },
  { name: 'evt.rawtime.s', type: 'ABSTIME', desc: 'Integer part of the event timestamp (e.g. seconds since epoch).', bind: () => (e) => e.timeNs / 1_000_000_000n },
  { name: 'evt.rawtime.ns', type: 'ABSTIME', desc: 'Fractional part of the absolute event timestamp.', bind: () => (e) => e.timeNs % 1_000_000_000n },
  { name: 'evt.source', type: 'CHARBUF', desc: 'The name of the source producing the current event.', bind: () => () => 'k8s_audit' },
  { name: 'evt.hostname', type: 'CHARBUF', desc: 'The hostname of the underlying host running Kestrel.', bind: () => () => host },
];
