// The busy host's syscall mix bench/syscall.js and bench/compare-builds.mjs replay, as scenario
// text (src/sources/syscall/scenario/synthetic.ts): 400 server processes opening libraries,
// configs and /proc files and closing them (74 %), connecting inside private networks (20 %), and
// processes started by kubelet/containerd that open a file and exit (6 %). Deterministic: the
// same `records` gives the same text.

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SERVERS = [
  ['nginx', '/usr/sbin/nginx'],
  ['postgres', '/usr/lib/postgresql/15/bin/postgres'],
  ['java', '/usr/lib/jvm/java-17/bin/java'],
  ['node', '/usr/bin/node'],
  ['envoy', '/usr/local/bin/envoy'],
  ['redis-server', '/usr/bin/redis-server'],
  ['kubelet', '/usr/bin/kubelet'],
  ['containerd', '/usr/bin/containerd'],
];
const FILES = [
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/x86_64-linux-gnu/libssl.so.3',
  '/etc/ld.so.cache',
  '/etc/localtime',
  '/proc/self/stat',
  '/proc/meminfo',
  '/sys/fs/cgroup/memory.max',
  '/var/lib/app/data/segment-0001.db',
  '/tmp/cache/entry-42',
  '/usr/share/zoneinfo/UTC',
  '/var/log/app/app.log',
  '/etc/hosts',
  '/etc/resolv.conf',
  '/etc/nsswitch.conf',
];
const WRITES = ['/var/log/app/app.log', '/var/lib/app/data/segment-0001.db', '/tmp/cache/entry-42'];
const CHILDREN = [
  ['/usr/bin/ls', '-la /var/lib/app'],
  ['/usr/bin/date', '+%s'],
  ['/usr/bin/grep', '-c error /var/log/app/app.log'],
  ['/usr/bin/curl', '-s http://10.0.0.8/health'],
];

/** Server processes in the snapshot. */
export const NPROC = 400;

/** The scenario text of about `records` records. */
export function workloadText(records) {
  const rand = random(7);
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const lines = ['proc systemd pid=1 exe=/sbin/init'];
  for (let i = 0; i < NPROC; i++) {
    const [name, exe] = SERVERS[i % SERVERS.length];
    lines.push(`proc ${name} pid=${1000 + i} parent=1 exe=${exe} uid=${i % 3 === 0 ? 0 : 33} args="--config /etc/${name}.conf"`);
  }
  // servers that start processes all the time (kubelet, containerd)
  const spawners = Array.from({ length: NPROC }, (_, i) => 1000 + i).filter((pid) => ['kubelet', 'containerd'].includes(SERVERS[(pid - 1000) % SERVERS.length][0]));
  let n = 0;
  let nextChild = 50_000;
  while (n < records) {
    const pid = 1000 + Math.floor(rand() * NPROC);
    const r = rand();
    if (r < 0.74) {
      const write = rand() < 0.2;
      lines.push(`${pid} openat ${write ? pick(WRITES) : pick(FILES)} ${write ? 'O_WRONLY|O_APPEND|O_CLOEXEC' : 'O_RDONLY|O_CLOEXEC'}`, `${pid} close 3`);
      n += 2;
    } else if (r < 0.94) {
      lines.push(`${pid} connect from=10.0.${pid % 250}.2:${40000 + (n % 20000)} 10.${1 + (n % 200)}.0.${1 + (n % 250)}:${pick([443, 5432, 6379, 8080])}`, `${pid} close 3`);
      n += 3;
    } else {
      const parent = spawners[Math.floor(rand() * spawners.length)];
      const child = nextChild++;
      const [exe, args] = pick(CHILDREN);
      lines.push(`${parent} spawn pid=${child} ${exe} ${args}`, `${child} openat /etc/ld.so.cache O_RDONLY|O_CLOEXEC`, `${child} close 3`, `${child} exit 0`);
      n += 5;
    }
  }
  return lines.join('\n');
}

/** The records in batches of at most `size` bytes, as the collector hands them over. */
export function batchesOf(list, size = 512 << 10) {
  const batches = [];
  let cur = [];
  let bytes = 0;
  for (const r of list) {
    if (bytes + r.length > size) {
      batches.push(Buffer.concat(cur));
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += r.length;
  }
  if (cur.length) batches.push(Buffer.concat(cur));
  return batches;
}
