// deploy/base as kubectl renders it: valid Kubernetes objects, and DaemonSets that agree with
// the agent configuration they run (paths, ports, probes, mounts, privileges).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configProblem } from '../../src/sources/k8saudit/config.js';
import { SYSCALL_DEFAULTS } from '../../src/sources/syscall/config.js';
import { DEPLOY, ROOT, kubectlSkipReason, kustomize, schemaErrors, typeErrors, type K8sObject } from './k8s.js';
import { loadShipped, mountFor, volumeOf, workloadRunning, type Shipped, type Workload } from './shipped.js';

const skip = kubectlSkipReason();
if (skip) console.warn(`test/deploy: skipped: ${skip}`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function portNumber(container: Any, port: string | number): number {
  if (typeof port === 'number') return port;
  const p = container.ports.find((x: Any) => x.name === port);
  if (!p) throw new Error(`no container port named ${port}`);
  return p.containerPort;
}

function containerfile(): { workdir: string; text: string } {
  const text = readFileSync(join(DEPLOY, 'Containerfile'), 'utf8');
  const workdirs = [...text.matchAll(/^WORKDIR\s+(\S+)/gm)].map((m) => m[1]!);
  return { workdir: workdirs[workdirs.length - 1]!, text };
}

function hostPathMount(w: Workload, containerPath: string): { hostPath: string; readOnly: boolean } | undefined {
  const m = mountFor(w.container, containerPath);
  if (!m) return undefined;
  const v = volumeOf(w.pod, m.name);
  if (!v.hostPath) return undefined;
  return { hostPath: `${v.hostPath.path.replace(/\/$/, '')}${containerPath.slice(m.mountPath.replace(/\/$/, '').length)}`, readOnly: m.readOnly === true };
}

describe.skipIf(skip)('deploy/base', () => {
  let s: Shipped;
  beforeAll(() => {
    s = loadShipped();
  });

  it('renders valid Kubernetes objects (schema, and no unknown field anywhere)', () => {
    expect(s.objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort()).toEqual(
      ['ConfigMap/kestrel-config', 'ConfigMap/kestrel-rules', 'DaemonSet/kestrel', 'DaemonSet/kestrel-audit', 'Namespace/kestrel', 'Service/kestrel-metrics', 'ServiceAccount/kestrel'].sort(),
    );
    expect(schemaErrors(s.objects)).toEqual([]);
    expect(typeErrors(s.objects)).toEqual([]);
    for (const o of s.objects) if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('kestrel');
    const ns = s.objects.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('ships the repository rules unchanged (deploy/base/rules is what deploy/sync-rules.sh copies)', () => {
    const rulesDir = join(ROOT, 'rules');
    const wanted = readdirSync(rulesDir).filter((f) => /\.ya?ml$/.test(f) && statSync(join(rulesDir, f)).isFile()).sort();
    const copies = readdirSync(join(DEPLOY, 'base', 'rules')).sort();
    const hint = 'run deploy/sync-rules.sh and list the files in deploy/base/kustomization.yaml';
    expect(copies, hint).toEqual(wanted);
    expect(Object.keys(s.rulesMap.data).sort(), hint).toEqual(wanted);
    for (const f of wanted) {
      const original = readFileSync(join(rulesDir, f), 'utf8');
      expect(readFileSync(join(DEPLOY, 'base', 'rules', f), 'utf8') === original, `deploy/base/rules/${f} differs from rules/${f}: ${hint}`).toBe(true);
      expect(s.rulesMap.data[f] === original, `ConfigMap key ${f} differs from rules/${f}`).toBe(true);
    }
  });

  it('runs each source in exactly one DaemonSet: syscall on every node, k8s_audit on the control plane', () => {
    const node = workloadRunning(s, 'syscall');
    const audit = workloadRunning(s, 'k8s_audit');
    expect(node.daemonSet.metadata.name).toBe('kestrel');
    expect(audit.daemonSet.metadata.name).toBe('kestrel-audit');
    expect(node.config.sources.k8s_audit.enabled).toBe(false);
    expect(audit.config.sources.syscall.enabled).toBe(false);
    expect(node.pod.spec.affinity).toBeUndefined();
    expect(node.pod.spec.nodeSelector).toBeUndefined();
    const term = audit.pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(term).toEqual([{ matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] }]);
  });

  it('every DaemonSet runs the image command from its working directory, on every node, as node-critical', () => {
    const { workdir, text } = containerfile();
    const kustomization = parse(readFileSync(join(DEPLOY, 'base', 'kustomization.yaml'), 'utf8'));
    const image = kustomization.images[0];
    for (const w of s.workloads) {
      const name = w.daemonSet.metadata.name;
      expect(w.container.command, name).toEqual(['node', 'dist/cli.js', 'run', '-c', '/etc/kestrel/kestrel.yaml']);
      expect(w.container.workingDir, `${name}: workingDir is the Containerfile's WORKDIR`).toBe(workdir);
      expect(text).toMatch(/COPY --from=build \S+\/dist dist/);
      expect(text).toContain(`CMD ["node", "dist/cli.js", "run", "-c", "/etc/kestrel/kestrel.yaml"]`);
      expect(w.container.image, name).toBe(`${image.name}:${image.newTag}`);
      expect(w.pod.spec.tolerations, `${name} tolerates every taint`).toContainEqual({ operator: 'Exists' });
      expect(w.pod.spec.priorityClassName).toBe('system-node-critical');
      for (const k of ['cpu', 'memory']) {
        expect(w.container.resources.requests[k], `${name} requests ${k}`).toBeDefined();
        expect(w.container.resources.limits[k], `${name} limits ${k}`).toBeDefined();
      }
      // The pod's selector labels are what the DaemonSet selects and the metrics Service finds.
      expect(w.pod.metadata.labels).toMatchObject(w.daemonSet.spec.selector.matchLabels);
    }
  });

  it("mounts each agent's config and rules where the config says, and the agent's loader accepts them", () => {
    for (const w of s.workloads) {
      const name = w.daemonSet.metadata.name;
      expect(w.configPath).toBe('/etc/kestrel/kestrel.yaml');
      // The config loader checked sources.syscall against the syscall source's settings (shipped.ts
      // loads it with configFrom): every key is one the source knows, with defaults filled in.
      expect(Object.keys(w.config.sources.syscall).sort(), name).toEqual(Object.keys(SYSCALL_DEFAULTS).sort());
      expect(w.config.rules_files.length, name).toBeGreaterThan(0);
      for (const r of w.config.rules_files) {
        const m = mountFor(w.container, r);
        expect(m, `${name}: nothing mounted at rules path ${r}`).toBeDefined();
        expect(m.mountPath, `${name}: ${r} is the whole rules ConfigMap directory`).toBe(r);
        expect(volumeOf(w.pod, m.name).configMap.name).toBe(s.rulesMap.metadata.name);
      }
      expect(w.config.json_output, `${name}: alerts as JSON lines for log pipelines`).toBe(true);
    }
  });

  it('serves metrics and probes on the container port the probes, annotations and Service use', () => {
    const service = s.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'kestrel-metrics')!;
    expect(service.spec.publishNotReadyAddresses, 'a not-ready pod must still be scraped').toBe(true);
    expect(service.spec.clusterIP).toBe('None');
    for (const w of s.workloads) {
      const name = w.daemonSet.metadata.name;
      const web = w.config.webserver;
      expect(web.enabled, name).toBe(true);
      expect(web.listen_address, `${name}: kubelet probes and Prometheus come from outside the pod`).toBe('0.0.0.0');
      expect(portNumber(w.container, 'metrics'), name).toBe(web.listen_port);
      const probes = { startupProbe: '/healthz', livenessProbe: '/healthz', readinessProbe: '/readyz' } as const;
      for (const [probe, path] of Object.entries(probes)) {
        const p = w.container[probe];
        expect(p, `${name} ${probe}`).toBeDefined();
        expect(p.httpGet.path, `${name} ${probe}`).toBe(path);
        expect(portNumber(w.container, p.httpGet.port), `${name} ${probe} port`).toBe(web.listen_port);
      }
      const ann = w.pod.metadata.annotations;
      expect(ann['prometheus.io/scrape']).toBe('true');
      expect(Number(ann['prometheus.io/port'])).toBe(web.listen_port);
      expect(ann['prometheus.io/path']).toBe('/metrics');
      // The metrics Service selects this pod and targets the same port.
      for (const [k, v] of Object.entries(service.spec.selector as Record<string, string>)) expect(w.pod.metadata.labels[k], name).toBe(v);
      expect(portNumber(w.container, service.spec.ports[0].targetPort)).toBe(web.listen_port);
    }
  });

  it('gives the node agent what the eBPF collector needs, and no more', () => {
    const w = workloadRunning(s, 'syscall');
    const spec = w.pod.spec;
    const sc = w.container.securityContext;
    expect(spec.hostPID, 'records carry host pids; the collector skips its own (host) pid').toBe(true);
    expect(spec.hostNetwork).toBeUndefined();
    expect(sc.privileged).toBe(false);
    expect(sc.capabilities.drop).toEqual(['ALL']);
    expect([...sc.capabilities.add].sort()).toEqual(['BPF', 'DAC_READ_SEARCH', 'PERFMON', 'SYS_PTRACE']);
    expect(sc.seccompProfile).toEqual({ type: 'Unconfined' });
    expect(sc.appArmorProfile).toEqual({ type: 'Unconfined' });
    expect(sc.readOnlyRootFilesystem).toBe(true);

    const cfg = w.config.sources.syscall;
    expect(cfg.proc_root).toBe('/host/proc');
    expect(hostPathMount(w, cfg.proc_root), 'proc_root is the host /proc, read-only').toEqual({ hostPath: '/proc', readOnly: true });
    expect(hostPathMount(w, '/sys/kernel/tracing'), 'tracefs (tracepoint ids)').toEqual({ hostPath: '/sys/kernel/tracing', readOnly: true });
    // Container metadata: src/sources/syscall/state/live-context.ts derives the runtimes' host root from
    // proc_root (/host/proc -> /host); src/sources/syscall/state/runtimes.ts asks CRI-O at
    // <root>/var/run/crio/crio.sock and runs <root>/usr/{local/,}bin/crictl, which reads the
    // containerd endpoint from CONTAINER_RUNTIME_ENDPOINT.
    const hostRoot = cfg.proc_root.replace(/\/proc$/, '');
    expect(hostPathMount(w, `${hostRoot}/var/run/crio/crio.sock`)).toEqual({ hostPath: '/run/crio/crio.sock', readOnly: true });
    const endpoint = w.container.env.find((e: Any) => e.name === 'CONTAINER_RUNTIME_ENDPOINT').value as string;
    expect(hostPathMount(w, endpoint.replace(/^unix:\/\//, ''))).toEqual({ hostPath: '/run/containerd/containerd.sock', readOnly: true });
    expect(hostPathMount(w, `${hostRoot}/usr/bin/crictl`)).toEqual({ hostPath: '/usr/bin/crictl', readOnly: true });
    expect(hostPathMount(w, `${hostRoot}/usr/local/bin/crictl`)).toEqual({ hostPath: '/usr/local/bin/crictl', readOnly: true });
    // Every host path is read-only.
    for (const m of w.container.volumeMounts) if (volumeOf(w.pod, m.name).hostPath) expect(m.readOnly, m.mountPath).toBe(true);
  });

  it("both agents report the node's name as hostname (downward API), not the pod's", () => {
    for (const source of ['syscall', 'k8s_audit'] as const) {
      const w = workloadRunning(s, source);
      const env = w.container.env.find((e: Any) => e.name === 'KESTREL_HOSTNAME');
      expect(env?.valueFrom, source).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
    }
  });

  it('serves the audit webhook over mTLS on the node loopback, unprivileged', () => {
    const w = workloadRunning(s, 'k8s_audit');
    const a = w.config.sources.k8s_audit;
    expect(configProblem(a), 'the webhook server accepts these settings').toBeUndefined();
    expect(a.plain_http).toBe(false);
    expect(a.allow_unauthenticated).toBe(false);
    expect(a.tls.client_ca_file, 'kube-apiserver authenticates with its client certificate').not.toBe('');
    expect(a.address).toBe('127.0.0.1');
    expect(w.pod.spec.hostNetwork, 'kube-apiserver (host network) reaches 127.0.0.1 only from the same network namespace').toBe(true);
    expect(w.pod.spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(portNumber(w.container, 'audit-webhook')).toBe(a.port);
    for (const f of [a.tls.cert_file, a.tls.key_file, a.tls.client_ca_file]) {
      const m = mountFor(w.container, f!);
      expect(m, `nothing mounted at ${f}`).toBeDefined();
      expect(volumeOf(w.pod, m.name).secret.secretName).toBe('kestrel-audit-tls');
    }
    expect(w.pod.spec.hostPID).toBeUndefined();
    expect(w.pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(w.container.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    for (const v of w.pod.spec.volumes) expect(v.hostPath, `${v.name}: no host path`).toBeUndefined();
  });

  it('grants no Kubernetes API access, because the agent makes no API call (automatic responses, src/respond/, get theirs from deploy/respond)', () => {
    const rbac = s.objects.filter((o: K8sObject) => /^(Cluster)?Role(Binding)?$/.test(o.kind));
    expect(rbac).toEqual([]);
    const sa = s.objects.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.automountServiceAccountToken).toBe(false);
    for (const w of s.workloads) {
      expect(w.pod.spec.serviceAccountName).toBe(sa.metadata.name);
      expect(w.pod.spec.automountServiceAccountToken).toBe(false);
    }
    // If this fails, the agent started reading the API: ship a ClusterRole with exactly what it reads.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies ?? {}).filter((d) => /kubernetes|k8s/.test(d))).toEqual([]);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        // src/respond/ calls the API for the opt-in responses; deploy/respond grants its RBAC
        if (e.isDirectory()) {
          if (p !== join(ROOT, 'src', 'respond')) walk(p);
        } else if (/\.ts$/.test(e.name) && /KUBERNETES_SERVICE_HOST|\/var\/run\/secrets\/kubernetes\.io|serviceaccount\/token/.test(readFileSync(p, 'utf8'))) offenders.push(p);
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });

  it("renders the overlays deploy/README.md shows (image, extra rules files, no audit receiver)", () => {
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!));
    const overlay = Object.assign({}, ...blocks.filter((b) => b && (b.images || b.configMapGenerator || b.patches)));
    expect(overlay.resources).toEqual(['../deploy/base']);
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-overlay-'));
    try {
      symlinkSync(DEPLOY, join(dir, 'deploy'));
      const od = join(dir, 'my-overlay');
      const files: string[] = overlay.configMapGenerator[0].files;
      mkdirSync(od);
      for (const f of files) writeFileSync(join(od, f), `- list: ${f.replace(/\W/g, '_')}\n  items: []\n`);
      writeFileSync(join(od, 'kustomization.yaml'), JSON.stringify(overlay));
      const objs = kustomize(od);
      expect(schemaErrors(objs)).toEqual([]);
      expect(objs.filter((o) => o.kind === 'DaemonSet').map((o) => o.metadata.name)).toEqual(['kestrel']);
      const ds = objs.find((o) => o.kind === 'DaemonSet')!;
      const img = overlay.images[0];
      expect(ds.spec.template.spec.containers[0].image).toBe(`${img.newName}:${img.newTag}`);
      const rules = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('kestrel-rules-'))!;
      expect(Object.keys(rules.data).sort()).toEqual([...Object.keys(s.rulesMap.data), ...files].sort());
      expect(ds.spec.template.spec.volumes.find((v: Any) => v.name === 'rules').configMap.name).toBe(rules.metadata.name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
