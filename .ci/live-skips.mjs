// CI check after the suite (used by .ci/run): running as root, the live eBPF and podman tests must
// run, so a skip there is a failure (a missing package, a failed native build, an addon that does
// not load). A live test file is one that asks liveSkipReason() or podmanSkipReason() whether it
// can run. Reads vitest's JSON report; prints each skipped live test; exits 1 if there is one.
// One exception: a live test that also needs the shared Falco fixtures (../shared beside the
// clone: upstream rules, captures) may skip when that folder is absent — a missing fixture is not
// a missing package or a broken build; those skips are listed, not failed. With ../shared present
// every live test must run. KESTREL_SHARED_DIR names another fixtures folder (for this check's tests).
// Usage: node .ci/live-skips.mjs REPORT.json
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const [report] = process.argv.slice(2);
if (process.getuid?.() !== 0) {
  console.log('live-skips: not root, live tests may skip (developer machine)');
  process.exit(0);
}
let json;
try {
  json = JSON.parse(readFileSync(report, 'utf8'));
} catch (err) {
  console.error(`live-skips: cannot read the vitest JSON report ${report}: ${err.message}`);
  process.exit(1);
}
const isLive = (text) => /\b(liveSkipReason|podmanSkipReason)\(/.test(text);
const needsShared = (text) => /\bshared\b|haveUpstream|upstreamRules/.test(text);
const sharedDir = process.env.KESTREL_SHARED_DIR ?? resolve(process.cwd(), '..', 'shared');
const sharedAbsent = !existsSync(sharedDir);
const skipped = [];
const fixtureSkips = [];
for (const f of json.testResults) {
  const text = readFileSync(f.name, 'utf8');
  if (!isLive(text)) continue;
  for (const t of f.assertionResults) {
    if (t.status !== 'skipped' && t.status !== 'pending' && t.status !== 'todo') continue;
    const line = `${relative(process.cwd(), f.name)}: ${t.fullName}`;
    (sharedAbsent && needsShared(text) ? fixtureSkips : skipped).push(line);
  }
}
if (fixtureSkips.length > 0) {
  console.log(`live-skips: ${fixtureSkips.length} live test(s) skipped because the shared fixtures are absent (${sharedDir}):`);
  for (const s of fixtureSkips) console.log(`  ${s}`);
}
if (skipped.length > 0) {
  console.error(`live-skips: ${skipped.length} live eBPF/podman test(s) skipped while running as root:`);
  for (const s of skipped) console.error(`  ${s}`);
  process.exit(1);
}
console.log('live-skips: every live eBPF/podman test ran');
