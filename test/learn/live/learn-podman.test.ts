// Live learning end to end (issue 9) on a real podman container: a busybox httpd serving a file
// plus a shell job that fetches it and writes a log every half second is learned with
// `kestrel learn --duration`; then, with only the generated rules loaded, the same activity raises
// no alert while an unexpected /bin/nc, a write to a new path and a connection to a new port each
// raise exactly the expected alert; restarted with the learned seccomp profile it keeps working and
// `unshare` fails with EPERM. Takes the live-test lock (every collector sees every process).
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLiveLock, liveSkipReason, skipNote } from '../../sources/syscall/live/helpers.js';
import { startLiveAgent, type AlertJson, type LiveAgent } from '../../sources/syscall/live/agent-harness.js';
import { BUSYBOX, podmanSkipReason, scratchDir } from '../../sources/syscall/live/scenarios.js';
import { KestrelProcess, haveCli } from '../../cli/kestrel-process.js';

const reason = liveSkipReason() ?? podmanSkipReason() ?? (haveCli ? undefined : 'dist/cli.js not built');
const suffix = randomBytes(4).toString('hex');
const IMAGE = `localhost/kestrel-learn-${suffix}`;
const NAME = `kestrel-learn-${suffix}`;
// Each applet is its own file (not a busybox symlink), so each has its own proc.exepath.
const APPLETS = ['sh', 'httpd', 'wget', 'date', 'sleep', 'nc', 'cat', 'chroot', 'true'];

function buildImage(): void {
  const root = scratchDir();
  for (const d of ['bin', 'etc', 'www', 'var/log']) mkdirSync(join(root, d), { recursive: true });
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  for (const a of APPLETS) copyFileSync(BUSYBOX, join(root, 'bin', a));
  spawnSync('chmod', ['-R', '755', join(root, 'bin')]);
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
  writeFileSync(join(root, 'www', 'index.html'), '<p>hello from the learned workload</p>\n');
  const tar = `${root}.tar`;
  const t = spawnSync('tar', ['-C', root, '-cf', tar, '.']);
  rmSync(root, { recursive: true, force: true });
  if (t.status !== 0) throw new Error(`tar failed: ${t.stderr}`);
  const imp = spawnSync('podman', ['import', tar, `${IMAGE}:1`], { encoding: 'utf8' });
  rmSync(tar, { force: true });
  if (imp.status !== 0) throw new Error(`podman import failed: ${imp.stderr}`);
}

const PODMAN = ['--cgroup-manager', 'cgroupfs', '--runtime', 'runc'];
const RUN_OPTS = ['--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
// The workload: httpd on 127.0.0.1:8080, and a job fetching the page and logging the time.
const WORKLOAD = '/bin/httpd -f -p 127.0.0.1:8080 -h /www & while true; do /bin/wget -q -O /tmp/page http://127.0.0.1:8080/index.html; /bin/date > /var/log/job.log; /bin/sleep 0.5; done';

function podman(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('podman', [...PODMAN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function startWorkload(extra: string[] = []): void {
  const r = podman(['run', '-d', '--rm', '--name', NAME, ...RUN_OPTS, ...extra, `${IMAGE}:1`, '/bin/sh', '-c', WORKLOAD]);
  if (r.status !== 0) throw new Error(`podman run failed: ${r.stderr}`);
}

function stopWorkload(): void {
  podman(['rm', '-f', '-t', '0', NAME]);
}

describe.skipIf(!!reason)(`kestrel learn live on a podman container${skipNote(reason)}`, () => {
  let release: () => Promise<void>;
  const out = join(scratchDir(), 'profiles');
  let learnErr = '';
  let learnCode: number | null = null;

  beforeAll(async () => {
    release = await acquireLiveLock();
    buildImage();
    const learn = new KestrelProcess(['learn', '--duration', '12s', '--workload', `image:${IMAGE}`, '-o', out]);
    await learn.waitFor(() => learn.stderr.includes('learning live'), 'kestrel learn to attach', 60_000);
    startWorkload();
    // What the checks below do from outside (a probe fetching the page, reading the job's log) is
    // part of the normal activity: exercise it while learning.
    let done = false;
    void learn.exited.then(() => (done = true));
    while (!done) {
      podman(['exec', NAME, '/bin/wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html']);
      podman(['exec', NAME, '/bin/cat', '/var/log/job.log']);
      await new Promise((r) => setTimeout(r, 200));
    }
    learnCode = await learn.exited;
    learnErr = learn.stderr;
    stopWorkload();
  }, 240_000);
  afterAll(async () => {
    stopWorkload();
    spawnSync('podman', ['rmi', '-f', `${IMAGE}:1`], { stdio: 'ignore' });
    await release?.();
  });

  it('learns the container under its image repository, printing progress per workload and a summary', () => {
    expect(learnCode, learnErr).toBe(0);
    expect(learnErr).toMatch(new RegExp(`kestrel learn: \\d+ event\\(s\\); image:${IMAGE}=\\d+`));
    expect(learnErr).toMatch(new RegExp(`  image:${IMAGE}: \\d+ event\\(s\\)`));
    const p = JSON.parse(readFileSync(join(out, 'profiles/workloads', `image-localhost-kestrel-learn-${suffix}.json`), 'utf8'));
    expect(Object.keys(p.executables)).toEqual(expect.arrayContaining(['/bin/sh', '/bin/httpd', '/bin/wget', '/bin/date', '/bin/sleep']));
    expect(p.executables['/bin/wget']).toContain('/bin/sh');
    expect(p.writePrefixes).toEqual(expect.arrayContaining(['/tmp', '/var/log']));
    expect(p.outbound).toContainEqual({ peer: '127.0.0.1', port: 8080, proto: 'tcp' });
    expect(p.listening).toContainEqual({ port: 8080, proto: 'tcp' });
    expect(p.window.from).not.toBe('');
  });

  describe('monitoring with the generated rules', () => {
    let live: LiveAgent;
    const learned = (a: AlertJson) => a.tags.includes('kestrel_learned');
    beforeAll(async () => {
      // A marker rule (not a learned one) that fires once the agent knows the container's image:
      // the runtime lookup is asynchronous, and until it answers no workload rule can match.
      const marker = join(out, '..', 'marker.yaml');
      writeFileSync(
        marker,
        `- rule: Marker workload known\n  desc: test marker\n  condition: evt.type in (execve, execveat) and container.image.repository = "${IMAGE}" and proc.cmdline contains kestrel-marker\n  output: marker %proc.cmdline\n  priority: DEBUG\n`,
      );
      live = await startLiveAgent([join(out, 'rules'), marker]);
      startWorkload();
    }, 120_000);
    afterAll(async () => {
      stopWorkload();
      await live?.stop();
    });

    it('raises no alert on the learned activity, and exactly the expected alert for /bin/nc, a new write path and a new port', async () => {
      // Normal activity first: wait until the job has run a few rounds under the agent's eyes
      // (its wget connections are seen) before the deviations, which then act as markers.
      const exec = (cmd: string) => podman(['exec', NAME, '/bin/sh', '-c', cmd]);
      const known = () => live.alerts.some((a) => a.rule === 'Marker workload known');
      for (let i = 0; i < 120 && !known(); i++) {
        exec('/bin/sleep 0 kestrel-marker; /bin/wget -q -O /tmp/p2 http://127.0.0.1:8080/index.html');
        await new Promise((r) => setTimeout(r, 250));
      }
      await live.alert('the marker: the agent knows the container', known, 30_000);
      for (let i = 0; i < 4; i++) expect(exec('/bin/wget -q -O /tmp/p2 http://127.0.0.1:8080/index.html').status).toBe(0);
      exec('/bin/nc -h');
      await live.alert('/bin/nc', (a) => a.rule.startsWith('Unexpected process in') && a.output_fields['proc.exepath'] === '/bin/nc', 30_000);
      exec('/bin/date > /etc/learned-not');
      await live.alert('a new write path', (a) => a.rule.startsWith('Unexpected file write in') && a.output_fields['fd.name'] === '/etc/learned-not', 30_000);
      exec('(/bin/httpd -f -p 127.0.0.1:9090 -h /www &) ; /bin/sleep 0.3; /bin/wget -q -O /tmp/p3 http://127.0.0.1:9090/index.html');
      await live.alert('a new port', (a) => a.rule.startsWith('Unexpected outbound connection from') && String(a.output_fields['fd.name']).endsWith('127.0.0.1:9090'), 30_000);
      await live.marker(); // everything the deviations did has been evaluated by the marker's alert
      const seen = live.alerts.filter(learned);
      expect(seen.map((a) => a.rule.split(' in ')[0]!.split(' from ')[0]), seen.map((a) => a.output).join('\n')).toEqual([
        'Unexpected process',
        'Unexpected file write',
        'Unexpected outbound connection',
      ]);
    }, 180_000);
  });

  describe('restarted with its learned seccomp profile', () => {
    const profile = () => join(out, 'seccomp', `image-localhost-kestrel-learn-${suffix}.json`);
    beforeAll(() => {
      stopWorkload();
      startWorkload(['--security-opt', `seccomp=${profile()}`]);
    }, 120_000);
    afterAll(() => stopWorkload());

    it('holds every syscall the container made (captured in the kernel), not only the event types', () => {
      const sc = JSON.parse(readFileSync(profile(), 'utf8'));
      expect(sc.defaultAction).toBe('SCMP_ACT_ERRNO');
      expect(sc.syscalls[0].names).toEqual(expect.arrayContaining(['read', 'write', 'execve', 'socket', 'connect', 'bind', 'listen', 'clock_nanosleep']));
      expect(sc.syscalls[0].names).not.toContain('chroot');
      expect(learnErr).toMatch(/syscalls captured for \d+ mount namespace\(s\), 1 workload\(s\)/);
    });

    it('keeps working: the job runs and httpd serves the page', () => {
      const page = podman(['exec', NAME, '/bin/wget', '-q', '-O', '-', 'http://127.0.0.1:8080/index.html']);
      expect(page.stderr).toBe('');
      expect(page.stdout).toContain('hello from the learned workload');
      expect(podman(['exec', NAME, '/bin/cat', '/var/log/job.log']).status).toBe(0);
    });

    // Not unshare: the runtime calls it in the container's mount namespace while setting it up, so
    // the capture has it (see the README's limits). chroot: allowed by podman's default profile
    // and capabilities, never made by this workload or its runtime.
    it('refuses a syscall it never used: chroot fails with EPERM (and works without the profile)', () => {
      const denied = podman(['exec', NAME, '/bin/chroot', '/', '/bin/true']);
      expect(denied.status).not.toBe(0);
      expect(denied.stderr).toMatch(/Operation not permitted/);
      const control = podman(['run', '--rm', ...RUN_OPTS, `${IMAGE}:1`, '/bin/chroot', '/', '/bin/true']);
      expect(control.stderr).toBe('');
      expect(control.status).toBe(0);
    });
  });
});
