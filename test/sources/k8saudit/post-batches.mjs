// Load client for tests, run as its own process: POSTs every body from a JSON file (an array of
// request bodies) to URL with CONCURRENCY requests in flight, retrying 429/503 after a short
// pause as kube-apiserver's batching backend does. Prints a JSON summary on stdout.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [url, file, concurrency = '16', token = ''] = process.argv.slice(2);
const bodies = JSON.parse(readFileSync(file, 'utf8')).map((b) => Buffer.from(JSON.stringify(b)));
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const stats = { requests: 0, ok: 0, accepted: 0, busy: 0, retryAfter: [], other: [] };

function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let next = 0;
async function worker() {
  while (next < bodies.length) {
    const body = bodies[next++];
    for (;;) {
      stats.requests++;
      const r = await post(body);
      if (r.status === 200) {
        stats.ok++;
        stats.accepted += JSON.parse(r.text).accepted;
        break;
      }
      if (r.status === 429 || r.status === 503) {
        stats.busy++;
        if (!stats.retryAfter.includes(r.headers['retry-after'])) stats.retryAfter.push(r.headers['retry-after']);
        await new Promise((res) => setTimeout(res, 10));
        continue;
      }
      stats.other.push(r.status);
      break;
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
agent.destroy();
process.stdout.write(JSON.stringify(stats));
