#!/usr/bin/env node
// Kestrel side by side with libsinsp (Debian's libfalcosecurity0, the libs of Falco 0.31) on the
// same .scap captures and the same rules: Falco 0.31.1's falco_rules.yaml, each rule's condition
// expanded by Kestrel's loader and compiled by libsinsp (sinsp_bench.cpp), the rules libsinsp
// refuses left out of both sides.
//
//   npm run bench:vs-libsinsp -- [--quick] [--runs 5] [--capture FILE.scap] [--seconds 20]
//                                [--cpu 1] [--cache DIR] [--kestrel DIR] [--json]
//
// 1. builds sinsp_bench (g++) and the conditions; 2. cross-check: over Falco's fixture captures
// (../shared/falco-fixtures/scap, gunzipped) and the bench capture, both engines must count the
// same matches per rule, for Falco's rules and for probe_rules.yaml (rules that match often);
// 3. timing: parse+state (no rules) and parse+state+evaluation (Falco's first-match loop), each
// engine in its own process pinned to --cpu with taskset, the engines alternating, --runs runs;
// medians, events/s per engine, and the ratio Kestrel/libsinsp (libsinsp's median time over
// Kestrel's on the same capture: above 1, Kestrel is faster), with the load average.
// The bench capture is recorded when missing (root: `kestrel capture` + `kestrel convert`, as
// `kestrel capture --format scap` does, while busy-host.sh keeps the host busy) into --cache (default: $TMPDIR/kestrel-vs-libsinsp), outside git.
// --kestrel DIR: the Kestrel side runs another checkout's dist/ (rules are still exported by this one).
// --quick: fixtures only, one run, timing on curl_google.scap: checks the bench still works.
// Exit status: 0; 1 when the engines disagree on a match count or something failed.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildSinspBench, missingPrerequisites, prepareRules } from './build.mjs';
import { crossCheck } from './crosscheck.mjs';
import { median, runEngine } from './engines.mjs';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, '../shared/falco-fixtures');
const FALCO_RULES = join(FIXTURES, 'falco_rules-0.31.1.yaml');

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const quick = flag('quick');
const RUNS = Number(opt('runs', quick ? 1 : 5));
const SECONDS = Number(opt('seconds', 20));
const CPU = opt('cpu', '1');
const CACHE = opt('cache', join(tmpdir(), 'kestrel-vs-libsinsp'));
/** Another Kestrel checkout whose dist/ runs the Kestrel side (to compare builds); default: this one. */
const KESTREL = opt('kestrel');
const KESTREL_ROOT = KESTREL ? resolve(KESTREL) + '/' : ROOT;
const asJson = flag('json');
const log = (s) => (asJson ? process.stderr : process.stdout).write(s + '\n');
const loads = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const missing = missingPrerequisites();
if (missing) {
  console.error(missing);
  process.exit(1);
}
if (!existsSync(FALCO_RULES)) {
  log(`bench/vs-libsinsp: SKIPPED, ${FIXTURES} is absent (Falco 0.31.1's rules and the fixture captures)`);
  process.exit(0);
}
mkdirSync(join(CACHE, 'fixtures'), { recursive: true });

/** The fixture captures, gunzipped into the cache (Kestrel's readers take plain files). */
function fixtures() {
  const dir = join(FIXTURES, 'scap');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.scap'))
    .sort()
    .map((f) => {
      const out = join(CACHE, 'fixtures', f);
      if (!existsSync(out)) {
        const raw = readFileSync(join(dir, f));
        writeFileSync(out, raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw);
      }
      return out;
    });
}

function cliHelp(command) {
  try {
    return execFileSync(process.execPath, [join(ROOT, 'dist/cli.js'), command, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (status) => (status === 0 ? resolve() : reject(new Error(`kestrel ${args[0]} exited with ${status}`))));
  });
}

/**
 * Records `file` for SECONDS while busy-host.sh runs: `kestrel capture` then `kestrel convert` to
 * scap (what `kestrel capture --format scap` does in one step), keeping the .kcap beside the .scap
 * for the timing's extra row; `capture --format scap` when this build has no convert.
 */
async function record(file) {
  if (process.getuid?.() !== 0) throw new Error(`no capture at ${file}, and recording one needs root (or pass --capture FILE.scap)`);
  const direct = !cliHelp('convert').includes('scap');
  if (direct && !cliHelp('capture').includes('--format')) throw new Error(`no capture at ${file}, and this build can neither capture to .scap nor convert to it`);
  log(`recording ${file}: ${SECONDS} s of a busy host (busy-host.sh: package downloads, a build, a container, loopback HTTP, file walks)`);
  const busy = spawn('bash', [join(HERE, 'busy-host.sh'), String(SECONDS + 2)], { stdio: 'ignore' });
  const busyDone = new Promise((resolve) => busy.on('exit', resolve));
  const kcap = file.replace(/\.scap$/, '') + '.kcap';
  try {
    if (direct) await run(['capture', '--format', 'scap', '-o', file + '.part', '--duration', String(SECONDS)]);
    else await run(['capture', '-o', kcap, '--duration', String(SECONDS)]);
  } finally {
    await busyDone;
  }
  // the .kcap stays beside the .scap: timing also runs Kestrel on it
  if (!direct) await run(['convert', kcap, file + '.part', '--to', 'scap']);
  renameSync(file + '.part', file);
}

const failures = [];
const sinspBench = buildSinspBench(CACHE);
const fixtureFiles = fixtures();
// a fixture libsinsp 2022 reads, to learn which conditions it compiles
const probeFile = fixtureFiles.find((f) => basename(f) === 'cat_write.scap') ?? fixtureFiles[0];
const rulesets = {
  falco: await prepareRules(CACHE, 'falco', FALCO_RULES, sinspBench, probeFile),
  probe: await prepareRules(CACHE, 'probe', join(HERE, 'probe_rules.yaml'), sinspBench, probeFile),
};
for (const [name, r] of Object.entries(rulesets)) {
  log(`rules ${name} (${basename(r.rulesFile)}): ${r.compiled} evaluated by both engines`);
  for (const s of r.notExported) log(`  left out of both: ${JSON.stringify(s.name)}: ${s.why}`);
  for (const s of r.refused) log(`  refused by libsinsp 2022, left out of both: ${JSON.stringify(s.name)}: ${s.error}`);
}

const kestrelReadsScap = await import(pathToFileURL(join(KESTREL_ROOT, 'dist/agent/replay-readers.js')).href).then(
  (m) => m.readerFor(probeFile).then(() => true, () => false),
  () => false,
);
let capture = opt('capture');
// the fixture with the most events of types Kestrel has
if (quick) capture ??= fixtureFiles.find((f) => basename(f) === 'curl_google.scap') ?? fixtureFiles[0];
capture ??= join(CACHE, 'busy.scap');
if (!existsSync(capture)) await record(capture);

let checks = [];
if (!kestrelReadsScap) {
  failures.push("this build's `kestrel replay` does not read .scap files (no scap reader in dist/)");
  log(`\ncross-check and timing need Kestrel's scap reader; this build has none. libsinsp alone on ${basename(capture)}:`);
  const l = runEngine('libsinsp', { sinspBench, capture, mode: 'first', rules: rulesets.falco }, CPU);
  log(`  ${l.events} events in ${(l.elapsed_ns / 1e6).toFixed(1)} ms`);
} else {
  log('\ncross-check: matches per rule, every rule evaluated on every event of its types');
  const captures = [...fixtureFiles, ...(fixtureFiles.includes(capture) ? [] : [capture])];
  checks = crossCheck(sinspBench, captures, rulesets, log, KESTREL);
  const differing = checks.filter((c) => c.differ.length > 0);
  if (differing.length) failures.push(`the engines disagree on ${differing.reduce((s, c) => s + c.differ.length, 0)} rule count(s)`);
}

let timing;
if (kestrelReadsScap) {
  // the same recording as a Kestrel capture, when kept beside it: Kestrel's native reader, to
  // tell the scap path's cost from the rest of the pipeline
  const kcap = capture.replace(/\.scap$/, '') + '.kcap';
  const sides = [
    { name: 'libsinsp', engine: 'libsinsp', capture },
    { name: 'kestrel', engine: 'kestrel', capture },
    ...(existsSync(kcap) ? [{ name: 'kestrel-kcap', engine: 'kestrel', capture: kcap }] : []),
  ];
  const load0 = loads();
  const samples = Object.fromEntries(sides.map((s) => [s.name, { parse: [], first: [] }]));
  const events = {};
  for (let i = 0; i < RUNS; i++) {
    // rotate who goes first, run to run
    const order = sides.map((_, j) => sides[(i + j) % sides.length]);
    for (const mode of ['parse', 'first']) {
      for (const side of order) {
        const r = runEngine(side.engine, { sinspBench, capture: side.capture, mode, rules: rulesets.falco, kestrel: KESTREL }, CPU);
        samples[side.name][mode].push(r.elapsed_ns);
        events[side.name] = r.events;
      }
    }
  }
  const load1 = loads();
  const med = (e, m) => median(samples[e][m]);
  const rate = (e, m) => (events[e] / med(e, m)) * 1e9;
  const cell = (e, m) => `${(med(e, m) / 1e6).toFixed(1).padStart(9)} ms ${fmtRate(rate(e, m))}`;
  const row = (label, m) => {
    const ratio = med('libsinsp', m) / med('kestrel', m);
    log(`${label.padEnd(18)} ${cell('libsinsp', m)}  ${cell('kestrel', m)}  ${ratio.toFixed(2)}x`);
    return ratio;
  };
  log(`\ntiming on ${basename(capture)} (${(statSync(capture).size / 1e6).toFixed(1)} MB): libsinsp ${events.libsinsp} events (enter and exit), Kestrel ${events.kestrel} (exit records carrying their enter's params)`);
  log(`rules: ${basename(FALCO_RULES)}, the ${rulesets.falco.compiled} both evaluate; first match stops, as Falco 0.31`);
  log(`${''.padEnd(18)} ${'libsinsp'.padStart(30)}  ${'Kestrel'.padStart(30)}  Kestrel/libsinsp`);
  const ratio = { parseState: row('parse+state', 'parse'), parseStateEval: row('parse+state+eval', 'first') };
  if (samples['kestrel-kcap']) {
    ratio.kcap = { parseState: med('libsinsp', 'parse') / med('kestrel-kcap', 'parse'), parseStateEval: med('libsinsp', 'first') / med('kestrel-kcap', 'first') };
    log(`the same recording as ${basename(kcap)} (Kestrel's capture reader, not the scap path; ${events['kestrel-kcap']} records):`);
    log(`${'  parse+state'.padEnd(18)} ${''.padStart(30)}  ${cell('kestrel-kcap', 'parse')}  ${ratio.kcap.parseState.toFixed(2)}x`);
    log(`${'  +eval'.padEnd(18)} ${''.padStart(30)}  ${cell('kestrel-kcap', 'first')}  ${ratio.kcap.parseStateEval.toFixed(2)}x`);
  }
  log(`median of ${RUNS} run(s) per engine and mode, engines alternating, each pinned to CPU ${CPU}; load average before ${load0}, after ${load1}`);
  timing = { capture: basename(capture), runs: RUNS, cpu: CPU, events, samples, ratio, load: { before: load0, after: load1 } };
}

for (const f of failures) log(`bench/vs-libsinsp: ${f}`);
if (asJson) process.stdout.write(JSON.stringify({ rules: rulesets, checks, timing, failures }, null, 2) + '\n');
process.exitCode = failures.length ? 1 : 0;

function fmtRate(r) {
  return `(${(r / 1e6).toFixed(3)} M ev/s)`.padStart(18);
}
