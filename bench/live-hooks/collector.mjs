#!/usr/bin/env node
// The collector's own kernel-side cost to syscalls nobody asked for, without the agent's user-space
// work: CPU time of `dd if=/dev/zero of=/dev/null bs=512 count=2000000` (read/write: never hooked)
// with the eBPF collector attached for different sets of event types, divided by the time with no
// BPF at all. Alternating runs, medians. Root; after `npm run bootstrap`.
//   node bench/live-hooks/collector.mjs [--runs 9]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { SyscallCollector } = await import(pathToFileURL(join(root, 'dist/sources/syscall/collector/collector.js')).href);
const { FD_STATE_EVENTS, PROCESS_STATE_EVENTS, kernelEventNames } = await import(
  pathToFileURL(join(root, 'dist/sources/syscall/collector/interest.js')).href
);
const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 9;

// dd's CPU time (user + system; /usr/bin/time): its wall time on a shared machine mostly
// measures the other tenants, while what the hooks cost is in its system time
const cpuTime = (cmd, args) =>
  new Promise((resolve) => {
    let out = '';
    const c = spawn('/usr/bin/time', ['-f', '%U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr.on('data', (d) => (out += d));
    c.on('close', () => {
      const [user, sys] = out.trim().split('\n').pop().split(' ').map(Number);
      resolve(user + sys);
    });
  });
const dd = () => cpuTime('dd', ['if=/dev/zero', 'of=/dev/null', 'bs=512', 'count=2000000']);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

// what the upstream Falco rules make the kernel filter (their event types + state tracking)
const upstream = kernelEventNames(new Set([...FD_STATE_EVENTS, 'mkdir', 'rmdir', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'symlink', 'symlinkat', 'chmod', 'fchmod', 'fchmodat', 'listen', 'sendto', 'sendmsg', 'ptrace']));
const SETS = {
  'no BPF': null,
  'lifecycle hooks only (fork/exec/exit)': [],
  'one syscall tracepoint (chroot)': ['chroot'],
  'process state (exec-only rules)': [...PROCESS_STATE_EVENTS],
  'upstream rules set': [...upstream],
  'every covered syscall': 'all',
};

const times = Object.fromEntries(Object.keys(SETS).map((k) => [k, []]));
for (let r = 0; r < RUNS; r++) {
  for (const [label, names] of Object.entries(SETS)) {
    let c;
    if (names !== null) {
      c = new SyscallCollector();
      c.setEventNames(names);
      c.start(() => {});
    }
    await new Promise((res) => setTimeout(res, 500));
    times[label].push(await dd());
    await c?.close();
  }
}
const base = median(times['no BPF']);
for (const [label, xs] of Object.entries(times)) {
  console.log(`${label.padEnd(40)} ${median(xs).toFixed(3)} s CPU  ratio ${(median(xs) / base).toFixed(3)}`);
}
console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
