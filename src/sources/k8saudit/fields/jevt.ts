// The json plugin's fields (json.*, with the jevt.* aliases Falco's k8s audit rules use), plus
// jevt.time/jevt.time.iso8601 from Falco's original k8s audit support.
import type { FieldDef } from '../../../fields/types.js';
import { EventPath, type AuditEvent } from '../event.js';
import { parsePointer } from './json.js';
import { iso8601Ns, timeNs } from './time.js';

type Def = FieldDef<AuditEvent>;

function jsonFields(prefix: 'json' | 'jevt', alias: boolean): Def[] {
  const also = alias ? ` Alias for json.*, provided for backwards compatibility.` : '';
  return [
    {
      name: `${prefix}.value`,
      type: 'CHARBUF',
      arg: { required: true, kind: 'key' },
      desc: `Extracts a value from the event's JSON. Syntax is ${prefix}.value[<json pointer>], where <json pointer> is an RFC 6901 json pointer (e.g. /user/username).${also}`,
      bind: (arg) => {
        const keys = parsePointer(arg ?? '');
        if (keys.length === 1 && keys[0] === 'stage') return (e) => e.stage;
        const path = new EventPath(keys);
        return (e) => e.textOf(path);
      },
    },
    {
      name: `${prefix}.obj`,
      type: 'CHARBUF',
      desc: `The full json message as a text string.${also}`,
      bind: () => (e) => e.jsonText,
    },
    {
      name: `${prefix}.rawtime`,
      type: 'CHARBUF',
      desc: `The time of the event, identical to evt.rawtime.${also}`,
      bind: () => (e) => e.rawTimeText,
    },
  ];
}

export const jsonPluginFields: Def[] = [
  ...jsonFields('json', false),
  ...jsonFields('jevt', true),
  {
    name: 'jevt.time',
    type: 'CHARBUF',
    desc: 'The time of the event as a string with nanoseconds (HH:MM:SS.nnnnnnnnn, local time)',
    bind: () => (e) => timeNs(e.timeNs),
  },
  {
    name: 'jevt.time.iso8601',
    type: 'CHARBUF',
    desc: 'The time of the event in ISO 8601 format with nanoseconds (UTC)',
    bind: () => (e) => iso8601Ns(e.timeNs),
  },
];
