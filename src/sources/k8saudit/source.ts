import { FieldRegistry } from '../../fields/registry.js';
import type { EventSource } from '../source.js';

// Placeholder until the k8s audit work lands: fields come from there.
export const k8sAuditSource: EventSource = {
  name: 'k8s_audit',
  fields: new FieldRegistry('k8s_audit'),
  timeOf: () => 0n,
};
