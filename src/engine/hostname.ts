// The hostname alerts, metrics and evt.hostname report. Falco lets FALCO_HOSTNAME override the
// kernel's (a pod without hostNetwork would otherwise report its own name, not the node's);
// Kestrel reads KESTREL_HOSTNAME first, then FALCO_HOSTNAME, then the kernel's hostname. The
// DaemonSets set it from spec.nodeName (downward API).
import { hostname as kernelHostname } from 'node:os';

export function agentHostname(env: NodeJS.ProcessEnv = process.env): string {
  return env.KESTREL_HOSTNAME || env.FALCO_HOSTNAME || kernelHostname();
}
