#!/usr/bin/env node
// What each record costs the process that made the syscall, in the kernel: the run time per
// invocation of the collector's programs (kx_openat, kx_close) while a C loop opens and closes
// /etc/hostname, from the kernel's own BPF statistics (kernel.bpf_stats_enabled, switched on for
// the measurement only and restored). Also an empty program on the same tracepoint, for the cost
// of the statistics and of calling a program at all. Root; after `npm run bootstrap`.
//   node bench/live-hooks/bpf-cost.mjs [--pairs 300000] [--runs 5]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { SyscallCollector } = await import(pathToFileURL(join(root, 'dist/sources/syscall/collector/collector.js')).href);
const opt = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PAIRS = opt('pairs', 300_000);
const RUNS = opt('runs', 5);
const STATS = '/proc/sys/kernel/bpf_stats_enabled';
const PROGS = ['kx_openat', 'kx_close', 'tp_close'];

const work = mkdtempSync(join(tmpdir(), 'kestrel-bpf-cost-'));
const openloop = join(work, 'openloop');
execFileSync('cc', ['-O2', '-o', openloop, join(root, 'bench/live/openloop.c')]);
// the empty-program reference: hookcost.bpf.c's tp_close (a per-CPU counter increment)
execFileSync('make', ['-s', '-C', join(root, 'native'), 'bpf/vmlinux.h'], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } });
execFileSync('clang', ['-g', '-O2', '-target', 'bpf', '-D__TARGET_ARCH_x86', `-I${join(root, 'native/bpf')}`, '-c', join(here, 'hookcost.bpf.c'), '-o', join(work, 'hookcost.bpf.o')]);
execFileSync('gcc', ['-O2', join(here, 'loader.c'), '-o', join(work, 'loader'), '-lbpf', '-lelf', '-lz']);

const run = (cmd, args) =>
  new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: 'ignore' });
    c.on('error', reject);
    c.on('close', resolve);
  });
/** run_time_ns and run_cnt by program name, from bpftool. */
const stats = () => {
  const out = new Map();
  for (const p of JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json'], { encoding: 'utf8' })))
    if (PROGS.includes(p.name)) out.set(p.name, { ns: p.run_time_ns ?? 0, n: p.run_cnt ?? 0 });
  return out;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const loader = spawn(join(work, 'loader'), ['tp_close'], { env: { ...process.env, HOOKCOST_OBJ: join(work, 'hookcost.bpf.o') }, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => loader.stdout.on('data', (d) => d.toString().includes('ready') && resolve()));
const c = new SyscallCollector();
c.setEventNames(['openat', 'close']);
let records = 0;
c.start((_b, n) => (records += n));
const previous = readFileSync(STATS, 'utf8').trim();
const per = Object.fromEntries(PROGS.map((p) => [p, []]));
try {
  writeFileSync(STATS, '1');
  for (let r = 0; r < RUNS; r++) {
    const s0 = stats();
    await run(openloop, ['/etc/hostname', String(PAIRS)]);
    const s1 = stats();
    for (const p of PROGS) {
      const a = s0.get(p), b = s1.get(p);
      if (a && b && b.n > a.n) per[p].push((b.ns - a.ns) / (b.n - a.n));
    }
  }
} finally {
  writeFileSync(STATS, previous);
  loader.kill();
  await c.close();
  rmSync(work, { recursive: true, force: true });
}
console.log(`BPF run time per invocation, medians of ${RUNS} runs of ${PAIRS} open/close pairs (${records} records delivered):`);
const label = { kx_openat: 'kx_openat (collector)', kx_close: 'kx_close (collector)', tp_close: 'empty program on sys_exit_close' };
for (const p of PROGS) console.log(`  ${label[p].padEnd(34)} ${per[p].length ? median(per[p]).toFixed(0) : '-'} ns`);
console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
