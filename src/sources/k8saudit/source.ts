import { k8sAuditFields } from './fields/index.js';
import type { EventSource } from '../../engine/event-source.js';
import type { AuditEvent } from './event.js';

/** Kubernetes audit events (kube-apiserver's webhook and log backends). No evt.type index. */
export const k8sAuditSource: EventSource<AuditEvent> = {
  name: 'k8s_audit',
  fields: k8sAuditFields(),
  timeOf: (e) => e.timeNs,
  identify: (e) => ({ auditID: String(e.top('auditID')).slice(0, 100), stage: e.stage ?? '', verb: e.verb ?? '', requestURI: String(e.top('requestURI')).slice(0, 200) }),
};
