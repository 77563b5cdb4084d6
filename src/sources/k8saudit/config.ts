// Settings of the k8s_audit webhook source (the `sources.k8s_audit` section of the agent config).
// Optional strings are '' when unset.

export interface K8sAuditConfig {
  enabled: boolean;
  /** Listen address; plain HTTP is refused off loopback unless allow_plain_http_off_loopback. */
  address: string;
  port: number;
  path: string;
  /** Serve plain HTTP instead of HTTPS. Must be set explicitly. */
  plain_http: boolean;
  allow_plain_http_off_loopback: boolean;
  tls: { cert_file?: string; key_file?: string; client_ca_file?: string };
  /** Accepted `Authorization: Bearer` tokens (inline and/or one per line in token_file). */
  bearer_tokens: string[];
  bearer_token_file?: string;
  /** Accept requests that present neither a verified client certificate nor a token. */
  allow_unauthenticated: boolean;
  max_body_bytes: number;
  max_event_bytes: number;
  max_queued_events: number;
  retry_after_seconds: number;
  header_timeout_ms: number;
  request_timeout_ms: number;
  idle_timeout_ms: number;
  /** How many (auditID, stage) pairs are remembered to drop duplicates; 0 disables. */
  dedupe_window: number;
  /** Audit stages evaluated; others are counted as skipped. */
  stages: string[];
  /** Reported by ka.cluster.name. */
  cluster_name?: string;
}

export const K8S_AUDIT_DEFAULTS: K8sAuditConfig = {
  enabled: true,
  address: '0.0.0.0',
  port: 9765,
  path: '/k8s-audit',
  plain_http: false,
  allow_plain_http_off_loopback: false,
  tls: { cert_file: '', key_file: '', client_ca_file: '' },
  bearer_tokens: [],
  bearer_token_file: '',
  allow_unauthenticated: false,
  max_body_bytes: 12 * 1024 * 1024,
  max_event_bytes: 256 * 1024,
  max_queued_events: 20_000,
  retry_after_seconds: 1,
  header_timeout_ms: 10_000,
  request_timeout_ms: 30_000,
  idle_timeout_ms: 60_000,
  dedupe_window: 65_536,
  stages: ['ResponseStarted', 'ResponseComplete'],
  cluster_name: '',
};
