// The output settings of the agent's configuration file, with Falco's names and defaults where
// Falco has the setting (falco.yaml: json_include_*_property, time_format_iso_8601,
// buffered_outputs, stdout/syslog/file/http/program_output) and Kestrel's delivery settings
// beside them (queue bound, drain time, retries, spool). The agent's config loader merges these
// defaults with the file like every other section; checkOutputs adds what the types cannot say.
import type { AppendOutput } from '../engine/append-output.js';
import type { HttpOutputConfig } from './http.js';
import type { ProgramOutputConfig } from './program.js';
import { FACILITIES, type SyslogOutputConfig } from './syslog.js';

export interface HttpDelivery {
  /** Attempts per alert before it is dropped (counted as gave-up); 0: for as long as it is queued. */
  max_attempts: number;
  backoff_initial_ms: number;
  backoff_max_ms: number;
  /** Falco's: TCP keep-alive. Kestrel always reuses connections with keep-alive on. */
  keep_alive: boolean;
  /** Falco's libcurl retry count for timeouts; Kestrel retries every timeout (accepted, no effect). */
  max_consecutive_timeouts: number;
  /** Request headers, "Name: value" each. */
  custom_headers: string[];
  /** An on-disk queue: undelivered alerts survive a restart (directory empty: memory only). */
  spool: { directory: string; max_bytes: number };
}

export interface OutputsConfig {
  /** Alerts each output may hold in memory while it catches up; beyond that they are dropped and counted. */
  outputs_queue_capacity: number;
  /** On SIGTERM, how long outputs may take to deliver what is queued before the rest is spooled or dropped. */
  outputs_drain_timeout_ms: number;
  json_include_output_property: boolean;
  json_include_tags_property: boolean;
  json_include_message_property: boolean;
  json_include_output_fields_property: boolean;
  time_format_iso_8601: boolean;
  buffered_outputs: boolean;
  stdout_output: { enabled: boolean };
  syslog_output: { enabled: boolean } & SyslogOutputConfig;
  file_output: { enabled: boolean; keep_alive: boolean; filename: string };
  http_output: { enabled: boolean } & Omit<HttpOutputConfig, 'custom_headers'> & HttpDelivery;
  program_output: { enabled: boolean } & ProgramOutputConfig;
  /** Falco's append_output (read by outputs/config-extras.ts, applied when rules compile). */
  append_output: AppendOutput[];
}

export const OUTPUT_DEFAULTS: OutputsConfig = {
  outputs_queue_capacity: 10_000,
  outputs_drain_timeout_ms: 10_000,
  json_include_output_property: true,
  json_include_tags_property: true,
  json_include_message_property: false,
  json_include_output_fields_property: true,
  time_format_iso_8601: false,
  buffered_outputs: false,
  stdout_output: { enabled: true },
  syslog_output: { enabled: false, socket: '/dev/log', facility: 'user', ident: 'kestrel' },
  file_output: { enabled: false, keep_alive: false, filename: '' },
  http_output: {
    enabled: false,
    url: '',
    user_agent: 'kestrel',
    insecure: false,
    ca_cert: '',
    ca_bundle: '',
    ca_path: '',
    mtls: false,
    client_cert: '',
    client_key: '',
    echo: false,
    compress_uploads: false,
    keep_alive: true,
    max_consecutive_timeouts: 5,
    custom_headers: [],
    timeout_ms: 5000,
    max_attempts: 0,
    backoff_initial_ms: 200,
    backoff_max_ms: 30_000,
    spool: { directory: '', max_bytes: 256 * 1024 * 1024 },
  },
  program_output: { enabled: false, program: '', keep_alive: false },
  append_output: [],
};

// RFC 9110 token characters; and headers the output sets itself.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const OWN_HEADERS = new Set(['content-length', 'content-encoding', 'transfer-encoding', 'host', 'connection']);

/** custom_headers as a header map; problems go to `errors`. */
export function parseHeaders(list: readonly string[], errors: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  list.forEach((h, i) => {
    const at = h.indexOf(':');
    const name = at > 0 ? h.slice(0, at).trim() : '';
    const value = at > 0 ? h.slice(at + 1).trim() : '';
    if (!HEADER_NAME.test(name)) errors.push(`http_output.custom_headers[${i}] must be "Name: value", not ${JSON.stringify(h)}`);
    else if (OWN_HEADERS.has(name.toLowerCase())) errors.push(`http_output.custom_headers[${i}]: ${name} is set by the output itself`);
    else if (/[\r\n]/.test(value)) errors.push(`http_output.custom_headers[${i}]: the value of ${name} contains a line break`);
    else out[name.toLowerCase()] = value;
  });
  return out;
}

/** What the types cannot check: required settings of enabled outputs, ranges, names. */
export function checkOutputs(c: OutputsConfig, errors: string[]): void {
  if (c.outputs_queue_capacity < 1 || !Number.isInteger(c.outputs_queue_capacity)) errors.push('outputs_queue_capacity must be a whole number of at least 1');
  if (c.file_output.enabled && !c.file_output.filename) errors.push('file_output.filename is required when file_output is enabled');
  const h = c.http_output;
  if (h.enabled && !/^https?:\/\/[^/]/.test(h.url)) errors.push('http_output.url must be an http:// or https:// URL');
  if (h.enabled && h.mtls && (!h.client_cert || !h.client_key)) errors.push('http_output.mtls needs client_cert and client_key');
  if (h.timeout_ms < 1) errors.push('http_output.timeout_ms must be at least 1');
  if (h.backoff_initial_ms < 1 || h.backoff_max_ms < h.backoff_initial_ms) errors.push('http_output.backoff_initial_ms must be at least 1 and at most backoff_max_ms');
  if (h.spool.directory && h.spool.max_bytes < 4096) errors.push('http_output.spool.max_bytes must be at least 4096');
  parseHeaders(h.custom_headers, errors);
  if (c.program_output.enabled && !c.program_output.program) errors.push('program_output.program is required when program_output is enabled');
  if (!(c.syslog_output.facility in FACILITIES)) errors.push(`syslog_output.facility ${JSON.stringify(c.syslog_output.facility)} is not one of ${Object.keys(FACILITIES).join(', ')}`);
  if (c.syslog_output.enabled && !c.syslog_output.socket) errors.push('syslog_output.socket is required when syslog_output is enabled');
}

/** Relative paths of the output settings, resolved against `abs` (the config file's directory). */
export function resolveOutputPaths(c: OutputsConfig, abs: (p: string) => string): void {
  c.file_output.filename = abs(c.file_output.filename);
  const h = c.http_output;
  for (const k of ['ca_cert', 'ca_bundle', 'ca_path', 'client_cert', 'client_key'] as const) h[k] = abs(h[k]);
  h.spool.directory = abs(h.spool.directory);
}
