// Settings of the k8s_audit webhook source (the `sources.k8s_audit` section of the agent config):
// types, defaults, checks. Optional strings are '' when unset. What the webhook would refuse to
// run with (configProblem) is reported when the source starts, so the other sources still run.
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { ConfigSection } from '../source-module.js';

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
  /** Longest idle time of a kept-alive connection between requests. */
  idle_timeout_ms: number;
  /** Connections open at a time; the excess is closed on accept and counted. */
  max_connections: number;
  /** How many (auditID, stage) pairs are remembered to drop duplicates; 0 disables. */
  dedupe_window: number;
  /** Audit stages evaluated; others are counted as skipped. */
  stages: string[];
  /** Reported by ka.cluster.name. */
  cluster_name?: string;
  /**
   * Index request bodies and read each event's members when a rule asks (body.ts); false parses
   * every body whole with JSON.parse (the reference path; same results, more CPU).
   */
  lazy_parsing: boolean;
}

// The documented defaults (config/kestrel.yaml): setting only `port` keeps the loopback,
// plain-HTTP, unauthenticated receiver; serving off loopback takes explicit TLS settings.
export const K8S_AUDIT_DEFAULTS: K8sAuditConfig = {
  enabled: true,
  address: '127.0.0.1',
  port: 9765,
  path: '/k8s-audit',
  plain_http: true,
  allow_plain_http_off_loopback: false,
  tls: { cert_file: '', key_file: '', client_ca_file: '' },
  bearer_tokens: [],
  bearer_token_file: '',
  allow_unauthenticated: true,
  max_body_bytes: 12 * 1024 * 1024,
  max_event_bytes: 256 * 1024,
  max_queued_events: 20_000,
  retry_after_seconds: 1,
  header_timeout_ms: 10_000,
  request_timeout_ms: 30_000,
  idle_timeout_ms: 60_000,
  max_connections: 512,
  dedupe_window: 65_536,
  stages: ['ResponseStarted', 'ResponseComplete'],
  cluster_name: '',
  lazy_parsing: true,
};

export function isLoopback(address: string): boolean {
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  return address === '::1' || address.startsWith('::ffff:127.');
}

/** Checks the settings for what the server would refuse to run with; returns the problem. */
export function configProblem(cfg: K8sAuditConfig): string | undefined {
  if (cfg.plain_http) {
    if (!isLoopback(cfg.address) && !cfg.allow_plain_http_off_loopback) {
      return `plain HTTP on ${cfg.address} is refused: bind it to loopback (127.0.0.1) or set allow_plain_http_off_loopback: true`;
    }
  } else if (!cfg.tls.cert_file || !cfg.tls.key_file) {
    return 'HTTPS needs tls.cert_file and tls.key_file (or set plain_http: true to serve plain HTTP on loopback)';
  }
  if (cfg.plain_http && cfg.tls.client_ca_file) return 'tls.client_ca_file needs HTTPS (plain_http is set)';
  const hasAuth = Boolean(cfg.tls.client_ca_file) || cfg.bearer_tokens.length > 0 || Boolean(cfg.bearer_token_file);
  if (!hasAuth && !cfg.allow_unauthenticated) {
    return 'no authentication configured: set tls.client_ca_file and/or bearer_tokens/bearer_token_file, or allow_unauthenticated: true';
  }
  if (!cfg.path.startsWith('/')) return `path ${JSON.stringify(cfg.path)} must start with /`;
  return undefined;
}

export const k8sAuditConfigSection: ConfigSection<K8sAuditConfig> = {
  defaults: K8S_AUDIT_DEFAULTS,
  complete(c, user) {
    // Unauthenticated is the loopback default only: off loopback it must be asked for.
    if (user.allow_unauthenticated === undefined) c.allow_unauthenticated = isLoopback(c.address);
  },
  check(c, path) {
    const problems: string[] = [];
    if (!(Number.isInteger(c.port) && c.port >= 0 && c.port <= 65535)) problems.push(`${path}.port must be a port number (0-65535)`);
    if (!(Number.isInteger(c.max_connections) && c.max_connections >= 1)) problems.push(`${path}.max_connections must be a positive integer`);
    for (const key of ['header_timeout_ms', 'idle_timeout_ms'] as const) {
      if (!(Number.isInteger(c[key]) && c[key] >= 1)) problems.push(`${path}.${key} must be a positive integer (milliseconds)`);
    }
    return problems;
  },
  resolvePaths(c, base) {
    const abs = (p: string) => (p && !isAbsolute(p) ? resolve(base, p) : p);
    c.tls = { cert_file: abs(c.tls.cert_file ?? ''), key_file: abs(c.tls.key_file ?? ''), client_ca_file: abs(c.tls.client_ca_file ?? '') };
    c.bearer_token_file = abs(c.bearer_token_file ?? '');
  },
};
