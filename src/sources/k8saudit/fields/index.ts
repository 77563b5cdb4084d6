import { FieldRegistry } from '../../../fields/registry.js';
import type { AuditEvent } from '../event.js';
import { evtFields } from './evt.js';
import { jsonPluginFields } from './jevt.js';
import { kaFields } from './ka.js';

/** Every field a k8s_audit rule may use: the k8saudit plugin's, the json plugin's, and evt.*. */
export function k8sAuditFields(): FieldRegistry<AuditEvent> {
  return new FieldRegistry<AuditEvent>('k8s_audit').add(...kaFields, ...jsonPluginFields, ...evtFields);
}
