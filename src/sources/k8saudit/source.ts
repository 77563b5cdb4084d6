import { k8sAuditFields } from '../../fields/k8saudit/index.js';
import type { EventSource } from '../source.js';
import type { AuditEvent } from './event.js';

/** Kubernetes audit events (kube-apiserver's webhook and log backends). No evt.type index. */
export const k8sAuditSource: EventSource<AuditEvent> = {
  name: 'k8s_audit',
  fields: k8sAuditFields(),
  timeOf: (e) => e.timeNs,
};
