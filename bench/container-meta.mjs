#!/usr/bin/env node
// How long a new container's metadata takes to resolve, by the two ways the syscall source has
// (root and podman; run after `npm run bootstrap`):
//   node bench/container-meta.mjs [--containers 5] [--runs 5]
// 1. the OCI bundle read (src/sources/syscall/state/bundle.ts), synchronous, on the event loop,
//    when the container's first record arrives: this is what lets rules see privileged/mounts on
//    the first exec;
// 2. the runtime lookup (`podman inspect` here: no podman socket), asynchronous, what the events
//    would have to be held for if the bundle were not read.
// Containers are created (podman create) with unique names and removed at the end. Prints the
// medians and the load average.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = opt('containers', 5);
const RUNS = opt('runs', 5);
const { readBundleMeta } = await import(pathToFileURL(join(ROOT, 'dist/sources/syscall/state/bundle.js')).href);
const { runtimeLookup } = await import(pathToFileURL(join(ROOT, 'dist/sources/syscall/state/runtimes.js')).href);

const suffix = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const tag = `localhost/kestrel-bench-meta:${suffix}`;
const dir = mkdtempSync(join(tmpdir(), 'kestrel-bench-meta-'));
mkdirSync(join(dir, 'bin'));
copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
writeFileSync(join(dir, 'x'), '');
spawnSync('tar', ['-C', dir, '-cf', `${dir}.tar`, '.']);
if (spawnSync('podman', ['import', `${dir}.tar`, tag]).status !== 0) throw new Error('podman import failed');
const ids = [];
try {
  for (let i = 0; i < N; i++) {
    const r = spawnSync('podman', ['--cgroup-manager', 'cgroupfs', '--runtime', 'runc', 'create', '--name', `kestrel-bench-meta-${suffix}-${i}`, '--privileged', '-v', '/proc:/host/proc:ro', tag, '/bin/busybox', 'true'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`podman create: ${r.stderr}`);
    ids.push(r.stdout.trim());
  }
  // podman create writes the bundle at init (start); `podman init` makes it without running the process
  for (const id of ids) spawnSync('podman', ['init', id]);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const bundleMs = [];
  const stats = { found: 0, missing: 0, bad: 0 };
  for (let r = 0; r < RUNS; r++) {
    for (const id of ids) {
      const t0 = process.hrtime.bigint();
      const m = readBundleMeta({ fullId: id }, '', stats);
      bundleMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!m?.privileged) throw new Error(`bundle of ${id} not read as privileged`);
    }
  }
  const lookup = runtimeLookup({ podmanSocket: '/nonexistent' });
  const inspectMs = [];
  for (let r = 0; r < Math.min(RUNS, 3); r++) {
    for (const id of ids) {
      const t0 = process.hrtime.bigint();
      const m = await lookup({ id: id.slice(0, 12), fullId: id, type: 'podman', lookup: 'pending' });
      inspectMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!m?.privileged) throw new Error(`podman inspect of ${id} not privileged`);
    }
  }
  const [l1, l5] = loadavg();
  console.log(`containers=${N} bundle reads=${bundleMs.length} (found=${stats.found} missing=${stats.missing} bad=${stats.bad})`);
  console.log(`bundle read (sync):       median ${median(bundleMs).toFixed(3)} ms, max ${Math.max(...bundleMs).toFixed(3)} ms`);
  console.log(`podman inspect (async):   median ${median(inspectMs).toFixed(1)} ms, max ${Math.max(...inspectMs).toFixed(1)} ms`);
  console.log(`ratio inspect/bundle: ${(median(inspectMs) / median(bundleMs)).toFixed(0)}x   load average ${l1.toFixed(2)} ${l5.toFixed(2)}`);
} finally {
  for (const id of ids) spawnSync('podman', ['rm', '-f', id], { stdio: 'ignore' });
  spawnSync('podman', ['rmi', '-f', tag], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.tar`, { force: true });
}
