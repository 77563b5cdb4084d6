#!/usr/bin/env node
// Kernel-side cost of learning mode's syscall capture (native/bpf/progs_learn.h, attached only
// while `kestrel learn --duration` runs). A syscall-bound process (dd copying 1-byte blocks: two
// syscalls per block) is timed with the capture detached and attached, on the host (the capture's
// early exit: one comparison) and in its own mount namespace (`unshare -m`, as a container: a map
// lookup and an atomic or). Only the sys_enter program is attached (no records, no rules), so the
// difference is the capture alone. Root only. Prints medians and the ratio, with the load average.
//
//   node bench/learn-capture.mjs [--blocks N] [--runs R]
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const BLOCKS = arg('--blocks', 1_000_000);
const RUNS = arg('--runs', 5);

const { SyscallCollector } = await import('../dist/sources/syscall/collector/collector.js');
const collector = new SyscallCollector({});

function timeDd(ownMountNs) {
  const dd = ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', `count=${BLOCKS}`, 'status=none'];
  const cmd = ownMountNs ? ['unshare', '-m', '--', ...dd] : dd;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd.slice(1));
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const results = {};
for (const where of ['host', 'own mount namespace']) {
  const own = where !== 'host';
  const off = [];
  const on = [];
  for (let i = 0; i < RUNS; i++) {
    // interleaved, so load changes hit both sides alike
    off.push(timeDd(own));
    collector.learnSyscalls(true, statSync('/proc/self/ns/mnt').ino);
    on.push(timeDd(own));
    collector.learnSyscalls(false, 0);
  }
  results[where] = { off: median(off), on: median(on) };
}
await collector.close();
const syscalls = 2 * BLOCKS;
console.log(`learn-capture: dd, ${BLOCKS} 1-byte blocks (${syscalls} syscalls), median of ${RUNS}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const [where, r] of Object.entries(results)) {
  console.log(
    `  ${where.padEnd(20)} capture off ${r.off.toFixed(0)} ms, on ${r.on.toFixed(0)} ms: x${(r.on / r.off).toFixed(3)}, ` +
      `~${(((r.on - r.off) * 1e6) / syscalls).toFixed(0)} ns per syscall`,
  );
}
