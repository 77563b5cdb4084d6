// The k8s_audit webhook's own metrics (events it drops or skips go to the shared families in
// telemetry/metrics.ts).
import { counter } from '../../telemetry/metrics.js';

export const auditEventsRejected = counter(
  'kestrel_audit_events_rejected_total',
  'Audit events rejected by the webhook as not being valid audit events, by reason.',
  ['reason'],
);
export const auditRequests = counter('kestrel_audit_requests_total', 'Audit webhook HTTP requests answered, by status code.', ['code']);
