#!/usr/bin/env node
// Runs the benchmarks that need neither root nor a live kernel, one after another, each in its own
// process (what `npm run bench` runs, after scripts/bootstrap.sh has built dist/).
//
//   node bench/run.js [NAME...] [--quick] [--list] [OPTION...]
//
//   NAME      eval-synthetic (or eval), syscall, load; default: all three, in that order
//   --quick   tiny sizes (one run, few events): checks that each benchmark still runs against the
//             current dist/, measures nothing worth comparing
//   --list    prints the names and exits
//   OPTION    from the first option that is none of the above (or everything after `--`): passed on
//             to every benchmark named (bench/README.md lists each one's own), e.g.
//             `npm run bench -- syscall --runs 3`
//
// Each benchmark's output is shown as it comes; a summary of every run (status and wall time)
// closes the report. Exits non-zero if any benchmark failed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = [
  {
    name: 'eval-synthetic',
    aliases: ['eval'],
    script: 'eval-synthetic.js',
    what: 'rule evaluation throughput (synthetic and upstream rules)',
    quick: ['--runs', '1', '--events', '20000', '--pool', '200'],
  },
  {
    name: 'syscall',
    aliases: [],
    script: 'syscall.js',
    what: 'syscall pipeline: decode + state + upstream rules',
    quick: ['--runs', '1', '--records', '5000', '--repeat', '1', '--procs', '100'],
  },
  {
    name: 'load',
    aliases: [],
    script: 'load.js',
    what: 'load + compile of the upstream rules, warm and cold',
    quick: ['--runs', '2', '--cold', '1'],
  },
];

function usage(stream = process.stdout) {
  stream.write(
    'usage: node bench/run.js [NAME...] [--quick] [--list] [OPTION...]\n' +
      `names: ${BENCHMARKS.map((b) => b.name).join(', ')} (default: all, in that order)\n`,
  );
}

// Our names and flags first; from the first option that is not ours (or after `--`), everything is
// passed on to the benchmarks.
const argv = process.argv.slice(2);
const own = new Set();
const names = [];
let passed = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') {
    passed = argv.slice(i + 1);
    break;
  }
  if (['--quick', '--list', '--help', '-h'].includes(a)) own.add(a);
  else if (a.startsWith('-')) {
    passed = argv.slice(i);
    break;
  } else names.push(a);
}

if (own.has('--help') || own.has('-h')) {
  usage();
  process.exit(0);
}
if (own.has('--list')) {
  for (const b of BENCHMARKS) console.log(`${b.name.padEnd(16)}bench/${b.script}: ${b.what}`);
  process.exit(0);
}
const quick = own.has('--quick');
const chosen = [];
for (const name of names) {
  const b = BENCHMARKS.find((x) => x.name === name || x.aliases.includes(name) || x.script === name || `bench/${x.script}` === name);
  if (!b) {
    console.error(`bench/run: no benchmark named '${name}'`);
    usage(process.stderr);
    process.exit(2);
  }
  if (!chosen.includes(b)) chosen.push(b);
}
if (chosen.length === 0) chosen.push(...BENCHMARKS);

/** Runs one benchmark, its output going straight to ours; resolves with its exit status. */
function runOne(b) {
  const args = [fileURLToPath(new URL(b.script, import.meta.url)), ...(quick ? b.quick : []), ...passed];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let skipped = false;
    child.stdout.on('data', (chunk) => {
      if (/: SKIPPED\b/.test(chunk.toString())) skipped = true;
      process.stdout.write(chunk);
    });
    child.on('error', (err) => resolve({ code: -1, signal: null, skipped, error: err }));
    child.on('close', (code, signal) => resolve({ code, signal, skipped }));
  });
}

const results = [];
for (const b of chosen) {
  console.log(`\n=== ${b.name} (bench/${b.script}${quick ? ', --quick' : ''}${passed.length ? ` ${passed.join(' ')}` : ''})\n`);
  const t0 = performance.now();
  const r = await runOne(b);
  results.push({ b, ...r, seconds: (performance.now() - t0) / 1000 });
}

console.log('\n=== summary');
for (const r of results) {
  const status =
    r.code === 0 ? (r.skipped ? 'skipped' : 'ok') : r.error ? `failed: ${r.error.message}` : `failed (${r.signal ?? `exit ${r.code}`})`;
  console.log(`  ${r.b.name.padEnd(16)}${status.padEnd(10)}${r.seconds.toFixed(1).padStart(7)} s`);
}
if (results.some((r) => r.code !== 0)) process.exitCode = 1;
