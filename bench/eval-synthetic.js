#!/usr/bin/env node
// Raw evaluation throughput of a compiled RuleSet on synthetic events, one core.
//
//   bash scripts/build.sh && node bench/eval-synthetic.js [--runs 7] [--events 1000000] [--json]
//
// Part 1: ~120 synthetic rules shaped like Falco's (evt.type restrictions, long `in` lists, pmatch,
// startswith/contains/glob, negations, a few rules for every type) over a synthetic source.
// Part 2 (when the loader and the syscall fields exist in dist/): the upstream Falco syscall rules
// (falco_rules, incubating, sandbox), compiled against the real syscall field table with every
// field re-bound to read a plain object, over the same kind of synthetic events.
// Each part reports the median events/s of several runs, and for events that match no rule the
// heap growth per event and the number of garbage collections during the run (0 = no allocation).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = (p) => pathToFileURL(join(root, 'dist', p)).href;

if (typeof globalThis.gc !== 'function') {
  // The allocation check needs explicit GCs: re-run with --expose-gc.
  execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(0);
}

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const RUNS = opt('runs', 7);
const EVENTS = opt('events', 1_000_000);
const JSON_OUT = args.includes('--json');
const POOL = opt("pool", 2000);

const { FieldRegistry } = await import(dist('fields/registry.js'));
const { compileRule } = await import(dist('engine/compile-rule.js'));
const { RuleSet } = await import(dist('engine/ruleset.js'));
const { parseCondition } = await import(dist('condition/parse.js'));

// Deterministic pseudo-random numbers (mulberry32).
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const pick = (a) => a[Math.floor(rand() * a.length)];
const sample = (a, n) => Array.from({ length: n }, () => pick(a));

// ---- synthetic source ---------------------------------------------------------------------------

const TYPE_NAMES = (
  'open openat openat2 creat execve execveat connect accept accept4 bind listen socket sendto recvfrom read write ' +
  'close clone clone3 fork vfork unlink unlinkat rename renameat renameat2 mkdir mkdirat rmdir chmod fchmod fchmodat ' +
  'chown fchown setuid setgid setresuid ptrace mount umount2 kill dup dup2 dup3 mmap mprotect finit_module init_module ' +
  'bpf memfd_create symlink symlinkat link linkat prctl capset setns unshare pipe pipe2 ioctl'
).split(' ');
const EVENT_TYPES = TYPE_NAMES.flatMap((n) => [n, n]); // enter and exit codes share a name
const codeOf = new Map(TYPE_NAMES.map((n) => [n, EVENT_TYPES.indexOf(n) + 1])); // the exit code

const FIELDS = {
  'evt.dir': 'CHARBUF', 'proc.name': 'CHARBUF', 'proc.pname': 'CHARBUF', 'proc.exepath': 'CHARBUF', 'proc.cmdline': 'CHARBUF',
  'user.name': 'CHARBUF', 'user.uid': 'UINT32', 'container.id': 'CHARBUF', 'container.image.repository': 'CHARBUF',
  'fd.name': 'CHARBUF', 'fd.directory': 'CHARBUF', 'fd.filename': 'CHARBUF', 'fd.typechar': 'CHARBUF', 'fd.sip': 'IPADDR',
  'fd.snet': 'IPNET', 'fd.sport': 'PORT', 'evt.rawres': 'INT64', 'proc.tty': 'INT64', 'proc.is_exe_upper_layer': 'BOOL',
  'k8s.ns.name': 'CHARBUF',
};

/**
 * A getter of its own per field, like a real source's extractors: one shared `(e) => e.f[name]`
 * would make its keyed load megamorphic and measure the bench's source rather than the engine.
 */
function accessor(key) {
  return new Function('e', `return e.f[${JSON.stringify(key)}];`);
}

function syntheticSource() {
  const fields = new FieldRegistry('synthetic');
  fields.add({ name: 'evt.type', type: 'CHARBUF', desc: '', bind: () => (e) => EVENT_TYPES[e.code] });
  for (const [name, type] of Object.entries(FIELDS)) fields.add({ name, type, desc: '', bind: () => accessor(name) });
  fields.add({
    name: 'proc.aname', type: 'CHARBUF', desc: '', arg: { required: false, kind: 'index' },
    bind: (arg) => {
      if (arg === undefined) return (e) => e.f.anames;
      const i = Number(arg) - 1;
      return (e) => e.f.anames?.[i];
    },
  });
  fields.add({
    name: 'evt.arg', type: 'CHARBUF', desc: '', arg: { required: true, kind: 'key', dotted: true },
    bind: (arg) => accessor(`evt.arg.${arg}`),
  });
  return { name: 'syscall', fields, eventTypes: EVENT_TYPES, typeOf: (e) => e.code, timeOf: (e) => e.ts };
}

// ---- value pools and events ------------------------------------------------------------------------

const PROCS = [
  ...'bash sh zsh dash ksh csh tcsh fish ash busybox nc ncat socat curl wget python python3 perl ruby node java php'.split(' '),
  ...Array.from({ length: 180 }, (_, i) => `worker${i}`),
];
const DIRS = ['/etc', '/usr/bin', '/usr/sbin', '/bin', '/sbin', '/tmp', '/var/log', '/var/lib/app', '/home/user', '/root', '/proc/self', '/dev', '/opt/app', '/run'];
const FILES = ['passwd', 'shadow', 'sudoers', 'hosts', 'config.yaml', 'app.log', 'data.db', 'id_rsa', 'authorized_keys', 'ls', 'cat', 'x.sh', 'lib.so'];
const IMAGES = ['nginx', 'redis', 'postgres', 'app/api', 'app/worker', 'busybox', 'alpine'];
const IPS = ['10.0.0.5', '10.1.2.3', '192.168.1.10', '172.17.0.2', '8.8.8.8', '1.1.1.1', '127.0.0.1', '203.0.113.7'];
const TYPE_MIX = [
  ...Array(20).fill('openat'), ...Array(10).fill('open'), ...Array(12).fill('close'), ...Array(10).fill('read'),
  ...Array(10).fill('write'), ...Array(5).fill('execve'), ...Array(6).fill('connect'), ...Array(4).fill('accept4'),
  ...Array(3).fill('socket'), ...Array(3).fill('mmap'), ...Array(2).fill('clone'), ...Array(2).fill('unlinkat'),
  ...Array(2).fill('renameat2'), 'setuid', 'ptrace', 'mount', 'chmod', 'bpf', 'dup2', 'memfd_create', 'prctl',
];

let ts = 1_795_428_000_000_000_000n;
function syntheticEvent() {
  const type = pick(TYPE_MIX);
  const dir = pick(DIRS);
  const file = pick(FILES);
  const name = pick(PROCS);
  const f = {
    'evt.dir': '<', 'proc.name': name, 'proc.pname': pick(PROCS), 'proc.exepath': `/usr/bin/${name}`,
    'proc.cmdline': `${name} --flag ${pick(FILES)}`, 'user.name': rand() < 0.3 ? 'root' : 'app', 'user.uid': rand() < 0.3 ? 0 : 1000,
    'container.id': rand() < 0.6 ? 'abcdef012345' : 'host', 'container.image.repository': pick(IMAGES),
    'fd.name': `${dir}/${file}`, 'fd.directory': dir, 'fd.filename': file, 'fd.typechar': type === 'connect' || type.startsWith('accept') ? '4' : 'f',
    'fd.sip': pick(IPS), 'fd.snet': pick(IPS), 'fd.sport': pick([22, 80, 443, 3306, 4444, 6379, 8080]), 'evt.rawres': rand() < 0.9 ? 0 : -1,
    'proc.tty': rand() < 0.1 ? 34816 : 0, 'proc.is_exe_upper_layer': rand() < 0.05, 'k8s.ns.name': pick(['default', 'kube-system', 'app']),
    anames: [pick(PROCS), pick(PROCS), pick(PROCS), 'containerd-shim', 'systemd'],
    'evt.arg.flags': pick(['O_RDONLY', 'O_WRONLY|O_CREAT', 'O_RDWR']),
  };
  ts += 1000n;
  return { code: codeOf.get(type), ts, f };
}

// ---- synthetic rules -----------------------------------------------------------------------------

const list = (a) => `(${a.map((x) => (/^[\w./-]+$/.test(x) ? x : JSON.stringify(x))).join(', ')})`;
const someProcs = (n) => list([...new Set(sample(PROCS, n))]);

function syntheticConditions() {
  const out = [];
  for (let i = 0; i < 40; i++) {
    out.push(
      `evt.type in (open, openat, openat2) and evt.dir = < and fd.typechar = f and evt.arg.flags contains O_WRONLY ` +
        `and (fd.name pmatch ${list(sample(DIRS, 3).map((d) => `${d}/${pick(FILES)}`))} or fd.directory in ${list(sample(DIRS, 2))}) ` +
        `and not proc.name in ${someProcs(40)} and not proc.pname in ${someProcs(10)} and container.id != host and user.uid = 0 ` +
        `and proc.aname[2] = ${pick(PROCS)}`,
    );
  }
  for (let i = 0; i < 40; i++) {
    out.push(
      `evt.type in (execve, execveat) and evt.dir = < and proc.name in ${someProcs(8)} and not proc.pname in ${someProcs(20)} ` +
        `and (proc.cmdline contains "${pick(['-e ', '-c ', 'base64', '/dev/tcp', 'curl'])}" or proc.exepath startswith /tmp ` +
        `or proc.cmdline glob "*${pick(FILES)}*") and not container.image.repository in ${list(sample(IMAGES, 2))} and proc.tty != 0`,
    );
  }
  for (let i = 0; i < 15; i++) {
    out.push(
      `evt.type in (connect, accept, accept4) and evt.dir = < and fd.typechar = 4 and not fd.snet in (10.0.0.0/8, 192.168.0.0/16, 127.0.0.0/8) ` +
        `and fd.sport in (${[4444, 1337, 31337, 6667].slice(0, 1 + (i % 4)).join(', ')}) and not proc.name in ${someProcs(15)}`,
    );
  }
  const misc = ['setuid', 'ptrace', 'mount', 'unlinkat', 'renameat2', 'chmod', 'bpf', 'memfd_create', 'prctl', 'dup2', 'clone', 'mmap', 'socket', 'init_module', 'setns'];
  for (const t of misc) {
    out.push(`evt.type = ${t} and evt.dir = < and evt.rawres = 0 and not proc.name in ${someProcs(12)} and proc.aname regex "${pick(PROCS)}[0-9]*"`);
  }
  for (let i = 0; i < 5; i++) {
    out.push(`proc.name = ${pick(['nc', 'ncat', 'socat', 'nmap', 'masscan'])} and proc.cmdline icontains "-E" and proc.tty != 0`);
  }
  return out;
}

function spec(name, condition, source = 'syscall') {
  return {
    name, desc: name, condition: parseCondition(condition), conditionText: condition,
    output: 'Synthetic %proc.name %fd.name %proc.cmdline %user.name %container.id %proc.aname[2]', priority: 'Warning',
    source, tags: ['bench'], enabled: true, warnEvttypes: true, skipIfUnknownFilter: false, capture: false,
    location: { file: 'bench', line: 1, column: 1 },
  };
}

// ---- measurement ---------------------------------------------------------------------------------

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * ns per iteration of a trivial loop (a property load and a string compare), to read the figures
 * against the machine's speed at the time: the same run on a busy machine is proportionally slower.
 */
function calibrate() {
  const objs = Array.from({ length: 64 }, (_, i) => ({ name: `n${i % 7}` }));
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    let n = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20_000_000; i++) if (objs[i & 63].name === 'n3') n++;
    rates.push(Number(process.hrtime.bigint() - t0) / 20_000_000);
    if (n < 0) console.log(n);
  }
  return median(rates);
}

function throughput(rs, sourceName, events) {
  const s = rs.forSource(sourceName);
  const rates = [];
  let matches = 0;
  for (let run = 0; run < RUNS; run++) {
    matches = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < EVENTS; i++) matches += s.evaluate(events[i % events.length]).length;
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(EVENTS / dt);
  }
  return { median: median(rates), min: Math.min(...rates), max: Math.max(...rates), matchRate: matches / EVENTS };
}

/** Heap growth per event and GC count while evaluating events that match nothing. */
function allocation(rs, sourceName, events) {
  const s = rs.forSource(sourceName);
  for (let i = 0; i < 200_000; i++) s.evaluate(events[i % events.length]); // warm up (JIT)
  let gcs = 0;
  const obs = new PerformanceObserver((l) => (gcs += l.getEntries().length));
  obs.observe({ entryTypes: ['gc'] });
  globalThis.gc();
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  let n = 0;
  const count = Math.max(EVENTS, 2_000_000); // enough that 8 bytes per event would force a scavenge
  for (let i = 0; i < count; i++) n += s.evaluate(events[i % events.length]).length;
  const after = process.memoryUsage().heapUsed;
  return new Promise((resolve) =>
    setImmediate(() => {
      obs.disconnect();
      resolve({ bytesPerEvent: Math.max(0, after - before) / count, gcs, allocEvents: count, alerts: n });
    }),
  );
}

async function measure(label, rs, sourceName, makeEvent) {
  const all = Array.from({ length: POOL }, makeEvent);
  const s = rs.forSource(sourceName);
  const quiet = all.filter((e) => s.evaluate(e).length === 0);
  let visited = 0;
  for (const e of all) visited += s.rulesForType(e.code).length;
  const mixed = throughput(rs, sourceName, all);
  const noMatch = throughput(rs, sourceName, quiet);
  const alloc = await allocation(rs, sourceName, quiet);
  return {
    label, rules: s.rules.length, rulesVisitedPerEvent: Number((visited / all.length).toFixed(1)),
    mixed: { eventsPerSec: Math.round(mixed.median), min: Math.round(mixed.min), max: Math.round(mixed.max), matchRate: mixed.matchRate },
    noMatch: { eventsPerSec: Math.round(noMatch.median), min: Math.round(noMatch.min), max: Math.round(noMatch.max), ...alloc },
  };
}

// ---- part 1: synthetic rules ---------------------------------------------------------------------

const results = [];
{
  const source = syntheticSource();
  const rules = syntheticConditions().map((c, i) => compileRule(spec(`synthetic ${i}`, c), source));
  const rs = new RuleSet(rules, new Map([['syscall', source]]), { hostname: 'bench' });
  results.push(await measure(`synthetic (${rules.length} rules)`, rs, 'syscall', syntheticEvent));
}

// ---- part 2: upstream Falco rules ------------------------------------------------------------------

const upstream = join(root, '..', 'shared', 'upstream-rules');
let skipped;
if (!existsSync(join(root, 'dist', 'rules', 'load.js'))) skipped = 'dist/rules/load.js not built';
else if (!existsSync(upstream)) skipped = `${upstream} not present`;
else {
  const { loadRules } = await import(dist('index.js'));
  const { builtinSources } = await import(dist('agent/source-list.js'));
  const real = builtinSources().get('syscall');
  if (!real?.eventTypes?.length || real.fields.all().length < 50) skipped = 'the syscall source has no field table yet';
  else {
    // The real field table (names, types, arguments), every field re-bound to the plain event object.
    const shadowFields = new FieldRegistry('syscall');
    const extra = syntheticSource();
    const names = real.eventTypes;
    for (const def of real.fields.all()) {
      const mine = extra.fields.get(def.name);
      const bind = (arg) => accessor(arg === undefined ? def.name : `${def.name}[${arg}]`);
      // evt.type: the name of the event's (remapped, real) code, as the syscall source gives it
      const typeBind = def.name === 'evt.type' ? () => (e) => names[e.code] : undefined;
      shadowFields.add({ ...def, bind: typeBind ?? mine?.bind ?? bind });
    }
    const byName = new Map();
    names.forEach((n, c) => byName.has(n) || byName.set(n, c));
    const shadow = { name: 'syscall', fields: shadowFields, eventTypes: names, typeOf: (e) => e.code, timeOf: (e) => e.ts };
    const remap = (e) => ({ ...e, code: byName.get(EVENT_TYPES[e.code]) ?? 0 });
    const sources = new Map(builtinSources());
    sources.set('syscall', shadow);
    const files = ['falco_rules.yaml', 'falco-incubating_rules.yaml', 'falco-sandbox_rules.yaml'].map((f) => join(upstream, f));
    const loaded = await loadRules(files, { sources, hostname: 'bench' });
    const label = `upstream syscall rules (${loaded.compiled.length} compiled, ${loaded.errors.length} load errors)`;
    results.push(await measure(label, loaded.ruleset, 'syscall', () => remap(syntheticEvent())));
  }
}

const baselineNs = calibrate();
const load = (await import('node:os')).loadavg()[0];
if (JSON_OUT) {
  console.log(JSON.stringify({ runs: RUNS, eventsPerRun: EVENTS, node: process.version, baselineNs, loadAverage: load, results, skipped }, null, 2));
} else {
  console.log(`eval-synthetic: node ${process.version}, ${RUNS} runs x ${EVENTS} events, median (min-max)`);
  console.log(`machine: trivial loop ${baselineNs.toFixed(2)} ns/iteration, load average ${load.toFixed(1)}`);
  for (const r of results) {
    console.log(`\n${r.label}: ${r.rules} enabled rules, ${r.rulesVisitedPerEvent} visited per event on average`);
    console.log(`  mixed events:    ${r.mixed.eventsPerSec.toLocaleString('en')} events/s (${r.mixed.min.toLocaleString('en')}-${r.mixed.max.toLocaleString('en')}), ${(r.mixed.matchRate * 100).toFixed(2)}% alerted`);
    console.log(`  no-match events: ${r.noMatch.eventsPerSec.toLocaleString('en')} events/s (${r.noMatch.min.toLocaleString('en')}-${r.noMatch.max.toLocaleString('en')})`);
    console.log(`  no-match allocation: ${r.noMatch.bytesPerEvent.toFixed(3)} heap bytes/event, ${r.noMatch.gcs} GCs over ${r.noMatch.allocEvents.toLocaleString('en')} events`);
  }
  if (skipped) console.log(`\nupstream rules: skipped (${skipped})`);
}
