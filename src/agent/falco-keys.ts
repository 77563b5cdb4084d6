// Falco's configuration keys (falco.yaml, userspace/falco/config_json_schema.h and
// configuration.cpp) as Kestrel reads them. A Falco key is one of:
// - the same key in Kestrel's config (rules_files, priority, json_output, stdout_output, ...):
//   nothing here, the agent config has it;
// - renamed: moved to Kestrel's key before the settings are checked (RENAMED);
// - accepted with no effect: one warning naming the key and why (NO_EFFECT), never an error, so
//   a falco.yaml (or the Helm chart's render of it) starts the agent unchanged.
// Keys Kestrel's own config knows always win over this table (the outputs' keys are all its own:
// outputs/config.ts).
import type { Raw } from './config-source.js';

const BUILT_IN_PLUGINS = 'plugins are built in: k8saudit and json are the k8s_audit source (sources.k8s_audit), container is part of the syscall source';

/** Falco keys accepted without effect, by dotted path (a section covers everything below it). */
export const NO_EFFECT: Readonly<Record<string, string>> = {
  engine: "Kestrel has one syscall engine, its own CO-RE eBPF collector (sources.syscall; disable it with sources.syscall.enabled: false)",
  load_plugins: BUILT_IN_PLUGINS,
  plugins: BUILT_IN_PLUGINS,
  plugins_hostinfo: BUILT_IN_PLUGINS,
  container_engines: 'container metadata comes from the runtimes found on the node (podman, docker, CRI-O sockets; crictl for containerd)',
  static_fields: 'static fields are not supported',
  buffer_format_base64: 'data buffers are not rendered in base64',
  log_stderr: 'logs always go to stderr (JSON lines)',
  log_syslog: 'logs go to stderr only',
  libs_logger: 'there is no separate libs logger: log_level covers every log',
  output_timeout: 'each output has its own queue; a slow output never blocks evaluation (drops are counted in kestrel_output_dropped_total)',
  syscall_event_timeouts: 'the collector has no consecutive-timeout detection',
  syscall_event_drops: 'dropped syscall events are counted (kestrel_events_dropped_total) and logged; no drop alert or exit action',
  metrics: 'Prometheus metrics are always collected and served on /metrics (webserver.prometheus_metrics_enabled); no metrics snapshot rule or file',
  base_syscalls: 'the collector hooks what the loaded rules and its state tracking need',
  'falco_libs.thread_table_auto_purging_interval_s': 'threads are evicted by table size (sources.syscall), not by a purge timer',
  'falco_libs.thread_table_auto_purging_thread_timeout_s': 'threads are evicted by table size (sources.syscall), not by a purge timer',
  'falco_libs.thread_table_size': 'the thread table bound is fixed (262,144 threads)',
  grpc: 'gRPC is not supported (deprecated in Falco)',
  grpc_output: 'gRPC is not supported (deprecated in Falco)',
  'webserver.threadiness': 'the server runs on the event loop',
  'webserver.k8s_audit_endpoint': 'the audit webhook is the k8s_audit source (sources.k8s_audit.path)',
};

/** Why a Falco key has no effect here, or undefined when `path` is not such a key. */
export function noEffectReason(path: string): string | undefined {
  let p = path;
  for (;;) {
    const r = NO_EFFECT[p];
    if (r) return r;
    const cut = p.lastIndexOf('.');
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
}

/** Whether the table has keys below `path` (a Falco section only some of whose keys are here). */
export function hasNoEffectKeysBelow(path: string): boolean {
  return Object.keys(NO_EFFECT).some((k) => k.startsWith(path + '.'));
}

interface Rename {
  from: string;
  to: string;
  /** Converts the value (default: as is); undefined drops it. */
  value?(v: unknown): unknown;
}

/** Falco keys whose Kestrel equivalent has another name or place. */
export const RENAMED: readonly Rename[] = [
  { from: 'rules_file', to: 'rules_files' }, // Falco < 0.38
  { from: 'rule_files', to: 'rules_files' }, // accepted by Falco's schema
  // Falco's 0 means unbounded; Kestrel's outputs always have a bound, so 0 keeps the default.
  { from: 'outputs_queue.capacity', to: 'outputs_queue_capacity', value: (v) => (v === 0 || v === '0' ? undefined : v) },
  { from: 'falco_libs.snaplen', to: 'sources.syscall.data_snaplen' },
];

function getPath(raw: Raw, parts: string[]): unknown {
  let n: unknown = raw;
  for (const p of parts) {
    if (n === null || typeof n !== 'object' || Array.isArray(n)) return undefined;
    n = (n as Raw)[p];
  }
  return n;
}

function deletePath(raw: Raw, parts: string[]): void {
  const parent = getPath(raw, parts.slice(0, -1));
  if (parent && typeof parent === 'object' && !Array.isArray(parent)) {
    delete (parent as Raw)[parts.at(-1)!];
    // An emptied Falco-only section (outputs_queue, falco_libs) leaves nothing to check.
    if (parts.length > 1 && Object.keys(parent as Raw).length === 0) deletePath(raw, parts.slice(0, -1));
  }
}

function setPath(raw: Raw, parts: string[], value: unknown): void {
  let n: Raw = raw;
  for (const p of parts.slice(0, -1)) {
    const next = n[p];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) n[p] = {};
    n = n[p] as Raw;
  }
  n[parts.at(-1)!] = value;
}

/**
 * Moves renamed Falco keys to Kestrel's (a Kestrel key set explicitly wins), in place. Returns
 * notes for conflicts. Locations follow the keys.
 */
export function renameFalcoKeys(raw: Raw, locations: Map<string, string>): string[] {
  const notes: string[] = [];
  for (const r of RENAMED) {
    const from = r.from.split('.');
    const v = getPath(raw, from);
    if (v === undefined) continue;
    deletePath(raw, from);
    const value = r.value ? r.value(v) : v;
    if (value === undefined) continue;
    const to = r.to.split('.');
    const at = locations.get(r.from);
    if (getPath(raw, to) !== undefined) {
      notes.push(`${at ?? r.from}: ${r.from} is ignored: ${r.to} is set too`);
      continue;
    }
    setPath(raw, to, value);
    if (at) locations.set(r.to, at);
  }
  return notes;
}
