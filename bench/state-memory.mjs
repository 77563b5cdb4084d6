#!/usr/bin/env node
// Memory of the syscall state with many tracked processes: --procs processes (10,000) made the
// way the kernel reports them -- clone + execve records with realistic args and a Kubernetes
// pod's environment (24 variables), inside 50 containers, each then opening 8 files and 2 TCP
// connections it keeps open -- replayed through the real decoder and state parser (no rules).
// Reports the heap and RSS the tables hold (after a full GC, minus the same process before the
// records were replayed) per process, as medians of --runs fresh processes per build.
//
//   bash scripts/build.sh
//   node bench/state-memory.mjs [--procs 10000] [--runs 3] [--before DIR] [--json]
//
// With --before, a build in DIR (its dist/) is measured the same way, runs alternating, and the
// after/before ratios are printed. Each run is its own process: RSS is per process.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const PROCS = Number(arg('procs', 10_000));
const CONTAINERS = 50;

/** The containers and their shims (the state snapshot the records start from). */
function headerText() {
  const lines = ['proc systemd pid=1 exe=/sbin/init', 'proc containerd pid=2 parent=1 exe=/usr/bin/containerd'];
  for (let c = 0; c < CONTAINERS; c++) {
    const id = (c + 1).toString(16).padStart(12, '0');
    lines.push(`container ${id} name=app-${c} image=registry.example.com/team/app-${c % 7}:1.${c}`);
    lines.push(`proc containerd-shim pid=${100 + c} parent=2 exe=/usr/bin/containerd-shim-runc-v2 container=${id}`);
  }
  return lines;
}

/** The scenario: container shims, then per process a spawn, 8 opens and 2 connects. */
function scenarioText(procs) {
  const lines = headerText();
  for (let i = 0; i < procs; i++) {
    const c = i % CONTAINERS;
    const pid = 10_000 + i;
    const env = [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `HOSTNAME=app-${c}-7d9f8c6b5-x${(c * 7919) % 100000}`,
      'LANG=C.UTF-8',
      'HOME=/home/app',
      'KUBERNETES_SERVICE_HOST=10.96.0.1',
      'KUBERNETES_SERVICE_PORT=443',
      'KUBERNETES_SERVICE_PORT_HTTPS=443',
      'KUBERNETES_PORT=tcp://10.96.0.1:443',
      'KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443',
      'KUBERNETES_PORT_443_TCP_PROTO=tcp',
      'KUBERNETES_PORT_443_TCP_PORT=443',
      'KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1',
      `APP_NAME=app-${c}`,
      'APP_ENV=production',
      'LOG_LEVEL=info',
      "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75.0",
      `DB_HOST=db-${c % 5}.data.svc.cluster.local`,
      'DB_PORT=5432',
      `REDIS_URL=redis://cache-${c % 3}.data.svc.cluster.local:6379/0`,
      'OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector.observability:4317',
      `POD_NAME=app-${c}-7d9f8c6b5-x${(c * 7919) % 100000}`,
      `POD_NAMESPACE=team-${c % 4}`,
      `POD_IP=10.244.${c % 250}.2`,
      'TZ=UTC',
    ].join(',');
    lines.push(`${100 + c} spawn pid=${pid} env=${env} /usr/bin/app-${c % 7} --config /etc/app/${c}.yaml --port ${8000 + (c % 10)} --workers 4 --log-format json`);
    for (let f = 0; f < 8; f++) lines.push(`${pid} openat /var/lib/app-${c}/data/shard-${i % 64}/segment-${f}.db O_RDWR|O_CLOEXEC`);
    lines.push(`${pid} connect from=10.244.${c % 250}.${(i % 250) + 2}:${30000 + (i % 30000)} 10.96.${c % 250}.10:5432`);
    lines.push(`${pid} connect from=10.244.${c % 250}.${(i % 250) + 2}:${30001 + (i % 30000)} 10.96.${c % 250}.20:6379`);
  }
  return lines.join('\n');
}

// A child run: replay the records (made by the parent, in a file) with one build, print what the
// state holds. The record bytes stay in memory throughout: the difference is the state's.
if (process.argv.includes('--child')) {
  const root = arg('root');
  const dist = (p) => import(pathToFileURL(resolve(root, 'dist', p)).href);
  const { buildScenario } = await dist('sources/syscall/scenario/synthetic.js');
  const { newContext } = await dist('sources/syscall/state/context.js');
  const { SyscallProcessor } = await dist('sources/syscall/batch-processor.js');
  const { restoreSnapshot } = await dist('sources/syscall/state/snapshot.js');
  const { snapshot, bootEpochNs } = buildScenario(headerText().join('\n'));
  const records = readFileSync(arg('records'));
  const settle = () => {
    for (let i = 0; i < 3; i++) globalThis.gc();
  };
  const ctx = newContext({ bootEpochNs });
  const p = new SyscallProcessor(ctx);
  restoreSnapshot(ctx, p.parser.cgroupPaths, snapshot);
  settle();
  const m0 = process.memoryUsage();
  // in batches of at most 512 KiB, as the collector delivers them
  for (let off = 0; off < records.length; ) {
    let end = off;
    while (end < records.length && end - off < 512 << 10) end += records.readUInt32LE(end + 8);
    p.process(records.subarray(off, end), () => {});
    off = end;
  }
  settle();
  const m1 = process.memoryUsage();
  if (process.env.KESTREL_HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.KESTREL_HEAP_SNAPSHOT);
  let fds = 0;
  for (const proc of ctx.threads.procs.values()) fds += proc.fds.size;
  console.log(
    JSON.stringify({
      procs: ctx.threads.procs.size,
      threads: ctx.threads.threads.size,
      fds,
      unknownFds: ctx.stats.fdMisses,
      heap: m1.heapUsed - m0.heapUsed,
      rss: m1.rss - m0.rss,
      rssTotal: m1.rss,
    }),
  );
  process.exit(0);
}

const BEFORE = arg('before');
const AFTER = resolve(fileURLToPath(new URL('..', import.meta.url)));
const RUNS = Number(arg('runs', 3));
const builds = [['after', AFTER], ...(BEFORE ? [['before', resolve(BEFORE)]] : [])];
for (const [, root] of builds) {
  if (!existsSync(resolve(root, 'dist/sources/syscall/batch-processor.js'))) {
    console.error(`bench/state-memory: ${root} has no build (run bash scripts/build.sh there)`);
    process.exit(1);
  }
}
// the records, made once by the after build's scenario encoder (both builds read this layout)
const { buildScenario } = await import(pathToFileURL(resolve(AFTER, 'dist/sources/syscall/scenario/synthetic.js')).href);
const dir = mkdtempSync(join(tmpdir(), 'kestrel-state-memory-'));
const recordsFile = join(dir, 'records.bin');
writeFileSync(recordsFile, Buffer.concat(buildScenario(scenarioText(PROCS)).list));
const runOnce = (root) =>
  JSON.parse(execFileSync(process.execPath, ['--expose-gc', HERE, '--child', '--root', root, '--records', recordsFile], { encoding: 'utf8', maxBuffer: 1 << 20 }));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load0 = loadavg();
const samples = Object.fromEntries(builds.map(([label]) => [label, []]));
for (let r = 0; r < RUNS; r++) for (const [label, root] of r % 2 ? [...builds].reverse() : builds) samples[label].push(runOnce(root));
const load1 = loadavg();
rmSync(dir, { recursive: true, force: true });
const summary = {};
for (const [label] of builds) {
  const xs = samples[label];
  summary[label] = { procs: xs[0].procs, fds: xs[0].fds, unknownFds: xs[0].unknownFds, heap: median(xs.map((x) => x.heap)), rss: median(xs.map((x) => x.rss)), external: median(xs.map((x) => x.external)), rssTotal: median(xs.map((x) => x.rssTotal)) };
}
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ load0, load1, summary }));
  process.exit(0);
}
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const la = (l) => l.map((x) => x.toFixed(2)).join(' ');
console.log(`bench/state-memory: ${PROCS.toLocaleString()} processes (24 env vars, 7 args, 8 files + 2 TCP connections open each, ${CONTAINERS} containers); medians of ${RUNS} runs per build`);
console.log(`  load average at start ${la(load0)}, at end ${la(load1)}`);
for (const [label] of builds) {
  const s = summary[label];
  console.log(
    `  ${label.padEnd(7)} ${s.procs.toLocaleString()} processes, ${s.fds.toLocaleString()} fds: heap ${mib(s.heap)} (${Math.round(s.heap / s.procs).toLocaleString()} B/process), ` +
      `RSS ${mib(s.rss)} (${Math.round(s.rss / s.procs).toLocaleString()} B/process; process total ${mib(s.rssTotal)})`,
  );
}
if (BEFORE) console.log(`  after/before: heap ${(summary.after.heap / summary.before.heap).toFixed(2)}x, RSS ${(summary.after.rss / summary.before.rss).toFixed(2)}x`);
