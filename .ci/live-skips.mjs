// CI check after the suite (used by .ci/run): running as root, the live eBPF and podman tests must
// run, so a skip there is a failure (a missing package, a failed native build, an addon that does
// not load). A live test file is one that asks liveSkipReason() or podmanSkipReason() whether it
// can run. Reads vitest's JSON report; prints each skipped live test; exits 1 if there is one.
// Usage: node .ci/live-skips.mjs REPORT.json
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

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
const isLive = (file) => /\b(liveSkipReason|podmanSkipReason)\(/.test(readFileSync(file, 'utf8'));
const skipped = [];
for (const f of json.testResults) {
  if (!isLive(f.name)) continue;
  for (const t of f.assertionResults) {
    if (t.status === 'skipped' || t.status === 'pending' || t.status === 'todo') skipped.push(`${relative(process.cwd(), f.name)}: ${t.fullName}`);
  }
}
if (skipped.length > 0) {
  console.error(`live-skips: ${skipped.length} live eBPF/podman test(s) skipped while running as root:`);
  for (const s of skipped) console.error(`  ${s}`);
  process.exit(1);
}
console.log('live-skips: every live eBPF/podman test ran');
