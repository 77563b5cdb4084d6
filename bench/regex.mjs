#!/usr/bin/env node
// The `regex` operator's engine (src/engine/regex.ts: RE2 in POSIX mode through re2js) against
// JavaScript's backtracking RegExp, per match, on a typical rule regex and values; then the cost of
// the catastrophic pattern `(a+)+$` as the input grows: linear for RE2, exponential for RegExp.
//
//   bash scripts/build.sh && node bench/regex.mjs [--runs 7] [--matches 200000]
//
// Reports medians of --runs runs, the RE2/RegExp ratio, and the load average.
import { loadavg } from 'node:os';
import { compileRegex } from '../dist/engine/regex.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('runs', 7);
const MATCHES = arg('matches', 200_000);

const PATTERN = 'kubectl/v1\\.[0-9]+\\.[0-9]+ \\((linux|darwin)/(amd64|arm64)\\) kubernetes/[0-9a-f]+';
const VALUES = [
  'kubectl/v1.29.3 (linux/amd64) kubernetes/6813625',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36',
  'kube-controller-manager/v1.29.3 (linux/amd64) kubernetes/6813625/system:serviceaccount:kube-system:generic-garbage-collector',
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function perMatchNs(test) {
  const runs = [];
  let sink = 0;
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < MATCHES; i++) if (test(VALUES[i % VALUES.length])) sink++;
    runs.push(Number(process.hrtime.bigint() - t) / MATCHES);
  }
  if (sink < 0) console.log(sink);
  return median(runs);
}

const re2 = compileRegex(PATTERN);
const js = new RegExp(`^(?:${PATTERN})$`);
if (VALUES.some((v) => re2.test(v) !== js.test(v))) throw new Error('engines disagree');
const a = perMatchNs((v) => re2.test(v));
const b = perMatchNs((v) => js.test(v));
console.log(`typical rule regex, ${VALUES.length} values, median of ${RUNS} x ${MATCHES} matches:`);
console.log(`  RE2 (re2js, POSIX)   ${a.toFixed(0)} ns/match`);
console.log(`  RegExp (backtracking) ${b.toFixed(0)} ns/match`);
console.log(`  ratio RE2/RegExp     ${(a / b).toFixed(1)}`);

console.log('(a+)+$ on n x "a" + "!" (one match each; RegExp stops at n = 24):');
const evilRe2 = compileRegex('(a+)+$');
const evilJs = /^(?:(a+)+$)$/;
for (const n of [12, 16, 20, 24, 30, 1000, 100_000]) {
  const s = 'a'.repeat(n) + '!';
  const time = (f) => {
    const t = process.hrtime.bigint();
    f(s);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const r = time((x) => evilRe2.test(x));
  const j = n <= 24 ? time((x) => evilJs.test(x)).toFixed(2) : '-';
  console.log(`  n=${String(n).padEnd(7)} RE2 ${r.toFixed(2)} ms   RegExp ${j} ms`);
}
console.log(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
