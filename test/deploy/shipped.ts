// The shipped deployment as objects: deploy/base rendered by kubectl, and for each DaemonSet the
// agent configuration it runs (the ConfigMap key its -c path mounts), parsed by the agent's own
// config loader.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configFrom, type AgentConfig } from '../../src/agent/config.js';
import { DEPLOY, find, kustomize, type K8sObject } from './k8s.js';

export interface Workload {
  daemonSet: K8sObject;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  pod: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  container: any;
  /** The -c argument of the agent's command line. */
  configPath: string;
  /** The ConfigMap key mounted at configPath, and its text. */
  configKey: string;
  configText: string;
  config: AgentConfig;
}

export interface Shipped {
  objects: K8sObject[];
  configMap: K8sObject;
  rulesMap: K8sObject;
  workloads: Workload[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function volumeOf(pod: any, mountName: string): any {
  const v = pod.spec.volumes.find((x: { name: string }) => x.name === mountName);
  if (!v) throw new Error(`volume ${mountName} is mounted but not defined`);
  return v;
}

/** The volume mount whose mountPath is `path` or a parent directory of it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mountFor(container: any, path: string): any {
  const mounts = [...container.volumeMounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return mounts.find((m: { mountPath: string }) => path === m.mountPath || path.startsWith(m.mountPath.replace(/\/$/, '') + '/'));
}

/** `dir`: the kustomization to render (deploy/base, or an overlay such as deploy/respond). */
export function loadShipped(dir = join(DEPLOY, 'base')): Shipped {
  const objects = kustomize(dir);
  const configMap = find(objects, 'ConfigMap', 'kestrel-config');
  const rulesMap = find(objects, 'ConfigMap', 'kestrel-rules');
  const workloads = objects
    .filter((o) => o.kind === 'DaemonSet')
    .map((daemonSet): Workload => {
      const pod = daemonSet.spec.template;
      const container = pod.spec.containers[0];
      const cmd: string[] = [...(container.command ?? []), ...(container.args ?? [])];
      const c = cmd.indexOf('-c');
      if (c < 0) throw new Error(`${daemonSet.metadata.name}: the command has no -c CONFIG: ${cmd.join(' ')}`);
      const configPath = cmd[c + 1]!;
      const mount = mountFor(container, configPath);
      if (!mount) throw new Error(`${daemonSet.metadata.name}: nothing is mounted at ${configPath}`);
      const volume = volumeOf(pod, mount.name);
      if (volume.configMap?.name !== configMap.metadata.name) {
        throw new Error(`${daemonSet.metadata.name}: ${configPath} comes from ${JSON.stringify(volume)}, not ConfigMap ${configMap.metadata.name}`);
      }
      const configKey: string = mount.subPath ?? configPath.slice(mount.mountPath.length + 1);
      const configText = configMap.data?.[configKey];
      if (typeof configText !== 'string') throw new Error(`${daemonSet.metadata.name}: ConfigMap ${configMap.metadata.name} has no key ${configKey}`);
      const config = configFrom(parse(configText), '/etc/kestrel', `${configMap.metadata.name}:${configKey}`);
      return { daemonSet, pod, container, configPath, configKey, configText, config };
    });
  return { objects, configMap, rulesMap, workloads };
}

/** The workload whose config enables `source`. */
export function workloadRunning(s: Shipped, source: 'syscall' | 'k8s_audit'): Workload {
  const w = s.workloads.filter((x) => x.config.sources[source].enabled);
  if (w.length !== 1) throw new Error(`expected exactly one DaemonSet running ${source}, found ${w.map((x) => x.daemonSet.metadata.name).join(', ') || 'none'}`);
  return w[0]!;
}

/** Writes ConfigMap data the way the kubelet's atomic writer does; returns the mount directory. */
export function configMapVolume(dir: string, data: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  const stamp = '..2025_01_01_00_00_00.000000001';
  mkdirSync(join(dir, stamp));
  for (const [k, v] of Object.entries(data)) writeFileSync(join(dir, stamp, k), v);
  symlinkSync(stamp, join(dir, '..data'));
  for (const k of Object.keys(data)) symlinkSync(join('..data', k), join(dir, k));
  return dir;
}
