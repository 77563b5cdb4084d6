import type { EventSource } from './source.js';
import { syscallSource } from './syscall/source.js';
import { k8sAuditSource } from './k8saudit/source.js';

/** Every event source Kestrel knows, by name (rules name them in `source:`). */
export function builtinSources(): Map<string, EventSource> {
  return new Map<string, EventSource>([
    [syscallSource.name, syscallSource],
    [k8sAuditSource.name, k8sAuditSource],
  ]);
}
