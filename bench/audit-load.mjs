// Load generator for bench/audit.mjs (run as its own process, pinned to its own core):
//   node bench/audit-load.mjs <mode> <url> <pkiDir> <seconds> <connections|rate> <startIndex> [batch]
// Bodies are EventLists of `batch` events (default 100) from audit-events.mjs, made ahead of the
// measured requests where they would slow the generator down; connections are kept alive (as
// kube-apiserver's webhook client keeps them).
// mode "saturate": every connection POSTs EventLists back to back (429 -> retry the same body 50 ms
//   later, as kube-apiserver retries after a backoff); reports requests and accepted events.
// mode "rate": opens requests at a fixed rate (open loop), reports per-request latencies.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { bodyBuffers, bodyMaker } from './audit-events.mjs';

const [mode, url, pki, seconds, knob, start, batchArg] = process.argv.slice(2);
const batch = Number(batchArg ?? 100);
const u = new URL(url);
const tls = { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'client.crt')), key: readFileSync(join(pki, 'client.key')) };
const make = bodyMaker(batch);
let n = Number(start);
const headers = { 'content-type': 'application/json' };

async function post(pool, body) {
  const res = await pool.request({ path: u.pathname, method: 'POST', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, text };
}

let end = Date.now() + Number(seconds) * 1000;
const out = { requests: 0, accepted: 0, busy: 0, errors: 0, latenciesMs: [] };

if (mode === 'saturate') {
  const connections = Number(knob);
  const next = bodyBuffers(batch); // every request's auditIDs fresh (the webhook skips a repeat)
  end = Date.now() + Number(seconds) * 1000;
  process.stdout.write('ready\n'); // the caller's measurement starts now
  const pool = new Pool(u.origin, { connections, connect: tls, keepAliveTimeout: 60_000 });
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < end) {
      const body = next(n++);
      for (;;) {
        out.requests++;
        const r = await post(pool, body);
        if (r.status === 200) { out.accepted += JSON.parse(r.text).accepted; break; }
        if (r.status === 429 || r.status === 503) { out.busy++; await new Promise((s) => setTimeout(s, 50)); if (Date.now() > end) break; continue; }
        out.errors++; break;
      }
    }
  }));
  await pool.close();
} else {
  const rate = Number(knob);
  const pool = new Pool(u.origin, { connections: 64, connect: tls, keepAliveTimeout: 60_000 });
  const bodies = Array.from({ length: Math.ceil(rate * Number(seconds)) + 1 }, () => make(n++));
  const inflight = [];
  const t0 = performance.now();
  for (let i = 0; i < bodies.length - 1; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((s) => setTimeout(s, wait));
    const sent = performance.now();
    inflight.push(post(pool, bodies[i]).then((r) => {
      out.requests++;
      if (r.status === 200) { out.accepted += JSON.parse(r.text).accepted; out.latenciesMs.push(performance.now() - sent); }
      else if (r.status === 429 || r.status === 503) out.busy++;
      else out.errors++;
    }, () => out.errors++));
  }
  await Promise.all(inflight);
  await pool.close();
}
out.next = n;
process.stdout.write(JSON.stringify(out) + '\n');
