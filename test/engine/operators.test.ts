// Every comparison operator, per field type, against libsinsp's semantics (flt_compare,
// sinsp_filter_check::compare_rhs): case, missing values, lists, globs, path prefixes, numbers,
// addresses and networks, byte buffers, list modifiers, right-hand fields.
import { describe, expect, it } from 'vitest';
import { m } from './fixtures/helpers.js';

type Case = [condition: string, fields: Record<string, unknown>, expected: boolean];

function table(cases: Case[]) {
  for (const [cond, fields, expected] of cases) {
    const shown = Object.entries(fields).map(([k, v]) => `${k}=${v instanceof Uint8Array ? 'bytes' : String(v)}`).join(' ');
    it(`${cond} with ${shown || 'no values'} -> ${expected}`, () => {
      expect(m(cond, fields as never)).toBe(expected);
    });
  }
}

describe('string equality and ordering (strcmp, case-sensitive)', () => {
  table([
    ['proc.name = bash', { 'proc.name': 'bash' }, true],
    ['proc.name == bash', { 'proc.name': 'bash' }, true],
    ['proc.name = bash', { 'proc.name': 'Bash' }, false],
    ['proc.name = "my app"', { 'proc.name': 'my app' }, true],
    ['proc.name = ""', { 'proc.name': '' }, true],
    ['proc.name != bash', { 'proc.name': 'zsh' }, true],
    ['proc.name != bash', { 'proc.name': 'bash' }, false],
    // the grammar takes numbers after < <= > >=; a string field still compares them as text
    ['proc.name < 5', { 'proc.name': '10' }, true], // "10" < "5" with strcmp
    ['proc.name < 5', { 'proc.name': '5' }, false],
    ['proc.name <= 5', { 'proc.name': '5' }, true],
    ['proc.name > 5', { 'proc.name': 'a' }, true], // 'a' (97) > '5' (53)
    ['proc.name >= 10', { 'proc.name': '9' }, true],
    ['proc.name >= 10', { 'proc.name': '1' }, false],
    ['proc.name = 123', { 'proc.name': '123' }, true], // a number literal is text for a string field
    ['proc.name = 0x10', { 'proc.name': '16' }, false],
  ]);
});

describe('missing value: every comparison is false, != too; exists is false', () => {
  table([
    ['proc.name = bash', {}, false],
    ['proc.name != bash', {}, false],
    ['proc.name contains a', {}, false],
    ['proc.name in (a, b)', {}, false],
    ['proc.name exists', {}, false],
    ['not proc.name exists', {}, true],
    ['not proc.name = bash', {}, true],
    ['proc.pid != 1', {}, false],
    ['proc.pid < 1', {}, false],
    ['fd.sip != 10.0.0.1', {}, false],
    ['ka.groups intersects (a)', {}, false],
    ['ka.groups in (a)', {}, false],
    ['proc.name exists', { 'proc.name': '' }, true],
    ['x.unbound = a', {}, false],
    ['x.unbound != a', {}, false],
    ['not x.unbound exists', {}, true],
  ]);
});

describe('contains, icontains, startswith, endswith', () => {
  table([
    ['proc.cmdline contains "-jar"', { 'proc.cmdline': 'java -jar x.jar' }, true],
    ['proc.cmdline contains "-JAR"', { 'proc.cmdline': 'java -jar x.jar' }, false],
    ['proc.cmdline contains ""', { 'proc.cmdline': 'x' }, true],
    ['proc.cmdline icontains "-JAR"', { 'proc.cmdline': 'java -jar x.jar' }, true],
    ['proc.cmdline icontains "Jar"', { 'proc.cmdline': 'JAVA -JAR' }, true],
    ['proc.cmdline icontains "xyz"', { 'proc.cmdline': 'JAVA -JAR' }, false],
    // strcasestr folds ASCII only (C locale)
    ['proc.cmdline icontains "é"', { 'proc.cmdline': 'CAFÉ' }, false],
    ['proc.cmdline icontains "É"', { 'proc.cmdline': 'CAFÉ' }, true],
    ['fd.name startswith /etc', { 'fd.name': '/etc/passwd' }, true],
    ['fd.name startswith /etc', { 'fd.name': '/etcx' }, true],
    ['fd.name startswith /etc/', { 'fd.name': '/etc' }, false],
    ['fd.name startswith ""', { 'fd.name': '/x' }, true],
    ['fd.name endswith .sh', { 'fd.name': '/tmp/a.sh' }, true],
    ['fd.name endswith .sh', { 'fd.name': 'sh' }, false],
    ['fd.name endswith ""', { 'fd.name': '' }, true],
    ['fd.relpath startswith ../', { 'fd.relpath': '../x' }, true],
  ]);
});

describe('glob and iglob (fnmatch without flags)', () => {
  table([
    ['fd.name glob "/etc/*"', { 'fd.name': '/etc/passwd' }, true],
    ['fd.name glob "/etc/*"', { 'fd.name': '/etc/ssh/sshd_config' }, true], // * crosses '/'
    ['fd.name glob "/etc/*"', { 'fd.name': '/etc' }, false],
    ['fd.name glob "*.sh"', { 'fd.name': '/tmp/.hidden.sh' }, true], // leading dots too
    ['fd.name glob "/tmp/?.sh"', { 'fd.name': '/tmp/a.sh' }, true],
    ['fd.name glob "/tmp/?.sh"', { 'fd.name': '/tmp/ab.sh' }, false],
    ['fd.name glob "/dev/tty[0-9]"', { 'fd.name': '/dev/tty7' }, true],
    ['fd.name glob "/dev/tty[0-9]"', { 'fd.name': '/dev/ttyS' }, false],
    ['fd.name glob "/dev/tty[!0-9]"', { 'fd.name': '/dev/ttyS' }, true],
    ['fd.name glob "/dev/tty[^0-9]"', { 'fd.name': '/dev/tty1' }, false],
    ['fd.name glob "[[:digit:]]*"', { 'fd.name': '9lives' }, true],
    ['fd.name glob "[]x]"', { 'fd.name': ']' }, true], // ']' first in a bracket is literal
    ['fd.name glob "a[b"', { 'fd.name': 'a[b' }, true], // unclosed '[' is a character
    ['fd.name glob "a\\\\*b"', { 'fd.name': 'a*b' }, true], // \* quotes the star
    ['fd.name glob "a\\\\*b"', { 'fd.name': 'axxb' }, false],
    ['fd.name glob "abc"', { 'fd.name': 'abc' }, true],
    ['fd.name glob "abc"', { 'fd.name': 'ABC' }, false],
    ['fd.name glob "*"', { 'fd.name': '' }, true],
    ['fd.name glob "*mid*"', { 'fd.name': 'a mid b' }, true],
    ['fd.name glob "x.*"', { 'fd.name': 'x.y' }, true],
    ['fd.name glob "x.*"', { 'fd.name': 'xay' }, false], // '.' is literal, not a regex dot
    ['fd.name iglob "/ETC/*"', { 'fd.name': '/etc/passwd' }, true],
    ['fd.name iglob "*.SH"', { 'fd.name': 'a.sh' }, true],
    ['fd.name glob "line?"', { 'fd.name': 'line\n' }, true],
  ]);
});

describe('regex (RE2 POSIX, whole value must match)', () => {
  table([
    ['proc.name regex "ba.h"', { 'proc.name': 'bash' }, true],
    ['proc.name regex "ba"', { 'proc.name': 'bash' }, false], // anchored at both ends
    ['proc.name regex ".*sh"', { 'proc.name': 'bash' }, true],
    ['proc.name regex "[a-z]+[0-9]{2}"', { 'proc.name': 'python39' }, true],
    ['proc.name regex "a|b"', { 'proc.name': 'b' }, true],
    ['proc.name regex "a|b"', { 'proc.name': 'ab' }, false],
  ]);
});

describe('in, intersects and pmatch on single-valued fields', () => {
  table([
    ['proc.name in (bash, sh, "my app")', { 'proc.name': 'sh' }, true],
    ['proc.name in (bash, sh, "my app")', { 'proc.name': 'my app' }, true],
    ['proc.name in (bash, sh)', { 'proc.name': 'Bash' }, false],
    ['proc.name in ()', { 'proc.name': 'bash' }, false],
    ['not proc.name in ()', { 'proc.name': 'bash' }, true],
    ['proc.name intersects (bash, sh)', { 'proc.name': 'bash' }, true],
    ['proc.name in bash', { 'proc.name': 'bash' }, true], // an unresolved list name is one value
    ['proc.pid in (1, 2, 0x10)', { 'proc.pid': 16 }, true],
    ['proc.pid in (1, 2)', { 'proc.pid': 3 }, false],
    ['fd.name pmatch (/etc, /usr/lib)', { 'fd.name': '/etc' }, true],
    ['fd.name pmatch (/etc, /usr/lib)', { 'fd.name': '/etc/passwd' }, true],
    ['fd.name pmatch (/etc, /usr/lib)', { 'fd.name': '/etcx' }, false],
    ['fd.name pmatch (/etc, /usr/lib)', { 'fd.name': '/usr' }, false],
    ['fd.name pmatch (/etc, /usr/lib)', { 'fd.name': '/usr/lib64/x' }, false],
    ['fd.name pmatch (/etc, /usr/lib)', { 'fd.name': '/usr/lib/x/y' }, true],
    ['fd.name pmatch (/etc/)', { 'fd.name': '//etc//shadow' }, true], // empty components ignored
    ['fd.name pmatch (/)', { 'fd.name': '/anything/at/all' }, true],
    ['fd.name pmatch (/var/*/log)', { 'fd.name': '/var/app/log/x' }, true], // glob component
    ['fd.name pmatch (/var/*/log)', { 'fd.name': '/var/a/b/log' }, false],
    ['fd.name pmatch ()', { 'fd.name': '/etc' }, false],
  ]);
});

describe('numbers: typed comparison, decimal and hex literals', () => {
  table([
    ['proc.pid = 42', { 'proc.pid': 42 }, true],
    ['proc.pid = 0x2a', { 'proc.pid': 42 }, true],
    ['proc.pid = "42"', { 'proc.pid': 42 }, true],
    ['proc.pid != 42', { 'proc.pid': 41 }, true],
    ['proc.pid < 100', { 'proc.pid': 99 }, true],
    ['proc.pid < 100', { 'proc.pid': 100 }, false],
    ['proc.pid <= 100', { 'proc.pid': 100 }, true],
    ['proc.pid > -1', { 'proc.pid': 0 }, true], // numeric, not string, order
    ['proc.pid > 9', { 'proc.pid': 10 }, true], // "10" < "9" as strings, 10 > 9 as numbers
    ['proc.pid >= 10', { 'proc.pid': 10 }, true],
    ['user.uid = 0', { 'user.uid': 0 }, true],
    ['user.uid = -1', { 'user.uid': 4294967295 }, true], // C cast wraps to the field width
    ['thread.i32 = -5', { 'thread.i32': -5 }, true],
    ['thread.u16 = 65536', { 'thread.u16': 0 }, true],
    ['evt.count > 1000000', { 'evt.count': 2000000 }, true],
    ['fd.sport = 443', { 'fd.sport': 443 }, true],
    ['fd.sport in (80, 443)', { 'fd.sport': 80 }, true],
    ['evt.rawtime > 1700000000000000000', { 'evt.rawtime': 1795428000123456789n }, true],
    ['evt.rawtime = 1795428000123456789', { 'evt.rawtime': 1795428000123456789n }, true],
    ['evt.rawtime = 1795428000123456788', { 'evt.rawtime': 1795428000123456789n }, false], // exact beyond 2^53
    ['evt.rawtime in (1795428000123456789)', { 'evt.rawtime': 1795428000123456789n }, true],
    ['evt.latency < 1000', { 'evt.latency': 999 }, true],
    // a double field compares with an integer constant (libsinsp refuses `thread.cpu = 1.0`)
    ['proc.cpu > 0', { 'proc.cpu': 0.75 }, true],
    ['proc.cpu < 1', { 'proc.cpu': 0.75 }, true],
    ['proc.cpu = 100', { 'proc.cpu': 100 }, true],
  ]);
});

describe('booleans', () => {
  table([
    ['fd.is_server = true', { 'fd.is_server': true }, true],
    ['fd.is_server = false', { 'fd.is_server': true }, false],
    ['fd.is_server != false', { 'fd.is_server': true }, true],
    ['fd.is_server in (true)', { 'fd.is_server': true }, true],
    ['fd.is_server intersects (false)', { 'fd.is_server': true }, false],
  ]);
});

describe('IP addresses and networks', () => {
  table([
    ['fd.sip = 10.0.0.1', { 'fd.sip': '10.0.0.1' }, true],
    ['fd.sip = 10.0.0.1', { 'fd.sip': '10.0.0.2' }, false],
    ['fd.sip != 10.0.0.1', { 'fd.sip': '10.0.0.2' }, true],
    ['fd.sip = "::1"', { 'fd.sip': '0:0:0:0:0:0:0:1' }, true], // compared as addresses, not text
    ['fd.sip = "2001:db8::1"', { 'fd.sip': '2001:DB8:0::1' }, true],
    ['fd.sip = 10.0.0.1', { 'fd.sip': '::1' }, false], // other family: never equal
    ['fd.sip != 10.0.0.1', { 'fd.sip': '::1' }, true],
    ['fd.sip in (10.0.0.1, "::1")', { 'fd.sip': '::1' }, true],
    ['fd.sip in (10.0.0.1, "::1")', { 'fd.sip': '10.0.0.1' }, true],
    ['fd.sip in (10.0.0.1, "::1")', { 'fd.sip': '10.0.0.3' }, false],
    ['fd.snet = 10.0.0.0/8', { 'fd.snet': '10.20.30.40' }, true],
    ['fd.snet = 10.0.0.0/8', { 'fd.snet': '11.0.0.1' }, false],
    ['fd.snet != 127.0.0.0/8', { 'fd.snet': '127.0.0.1' }, false],
    ['fd.snet != 127.0.0.0/8', { 'fd.snet': '8.8.8.8' }, true],
    ['fd.snet = 10.1.2.3/8', { 'fd.snet': '10.9.9.9' }, true], // the network is masked too
    ['fd.snet = 0.0.0.0/0', { 'fd.snet': '1.2.3.4' }, true],
    ['fd.snet = 192.168.1.0/24', { 'fd.snet': '192.168.2.1' }, false],
    ['fd.snet = "fd00::/8"', { 'fd.snet': 'fd12::5' }, true],
    ['fd.snet = "fd00::/8"', { 'fd.snet': '10.0.0.1' }, false],
    ['fd.snet != "fd00::/8"', { 'fd.snet': '10.0.0.1' }, true],
    ['fd.snet = "2001:db8::/33"', { 'fd.snet': '2001:db8:7fff::1' }, true],
    ['fd.snet = "2001:db8::/33"', { 'fd.snet': '2001:db8:8000::1' }, false],
    ['fd.snet in (10.0.0.0/8, 192.168.0.0/16)', { 'fd.snet': '192.168.3.4' }, true],
    ['fd.snet in (10.0.0.0/8, 192.168.0.0/16)', { 'fd.snet': '172.16.0.1' }, false],
    ['fd.snet in ("fd00::/8", 10.0.0.0/8)', { 'fd.snet': 'fd00::1' }, true],
    ['fd.snet in ("fd00::/8", 10.0.0.0/8)', { 'fd.snet': 'fe80::1' }, false],
    ['fd.snet in ("fd00::/8")', { 'fd.snet': '10.1.1.1' }, false],
  ]);
});

describe('multi-valued fields (ancestors, both endpoints): any candidate; != means none equal', () => {
  table([
    ['proc.aname = sshd', { 'proc.anames': ['bash', 'sshd', 'systemd'] }, true],
    ['proc.aname in (cron, sshd)', { 'proc.anames': ['bash', 'sshd'] }, true],
    ['proc.aname = cron', { 'proc.anames': ['bash', 'sshd'] }, false],
    ['proc.aname[2] = sshd', { 'proc.anames': ['bash', 'sshd'] }, true],
    ['proc.aname[1] = sshd', { 'proc.anames': ['bash', 'sshd'] }, false],
    ['proc.aname[5] = sshd', { 'proc.anames': ['bash', 'sshd'] }, false],
    ['proc.aname[5] != sshd', { 'proc.anames': ['bash', 'sshd'] }, false], // no fifth ancestor: missing
    ['fd.ip = 10.0.0.1', { 'fd.ip': ['10.0.0.2', '10.0.0.1'] }, true],
    ['fd.ip != 10.0.0.1', { 'fd.ip': ['10.0.0.2', '10.0.0.1'] }, false],
    ['fd.ip != 10.0.0.9', { 'fd.ip': ['10.0.0.2', '10.0.0.1'] }, true],
  ]);
});

describe('list fields: in (all elements), intersects (some element), exists', () => {
  table([
    ['ka.groups in (a, b, c)', { 'ka.groups': ['a', 'c'] }, true],
    ['ka.groups in (a, b, c)', { 'ka.groups': ['a', 'x'] }, false],
    ['ka.groups in (a, b, c)', { 'ka.groups': [] }, true], // every element of an empty list is in
    ['ka.groups in ()', { 'ka.groups': [] }, true],
    ['ka.groups in ()', { 'ka.groups': ['a'] }, false],
    ['ka.groups intersects (a, b)', { 'ka.groups': ['x', 'b'] }, true],
    ['ka.groups intersects (a, b)', { 'ka.groups': ['x', 'y'] }, false],
    ['ka.groups intersects (a, b)', { 'ka.groups': [] }, false],
    ['ka.groups intersects ()', { 'ka.groups': ['a'] }, false],
    ['ka.groups exists', { 'ka.groups': [] }, true],
    ['ka.ports intersects (80, 443)', { 'ka.ports': [22, 443] }, true],
    ['ka.ports in (80, 443)', { 'ka.ports': [22, 443] }, false],
    ['ka.flags intersects (true)', { 'ka.flags': [false, true] }, true],
    ['ka.flags intersects (true)', { 'ka.flags': [false] }, false],
    ['ka.ips intersects (10.0.0.1)', { 'ka.ips': ['192.168.0.1', '10.0.0.1'] }, true],
    ['ka.nets intersects (10.0.0.0/8)', { 'ka.nets': ['192.168.0.1', '10.0.0.1'] }, true],
    ['ka.nets in (10.0.0.0/8)', { 'ka.nets': ['192.168.0.1', '10.0.0.1'] }, false],
    ['ka.times in (5, 6)', { 'ka.times': [5n, 6n] }, true],
  ]);
});

describe('byte buffers', () => {
  const buf = new Uint8Array([0xca, 0xfe, 0xba, 0xbe, 0x41, 0x42]);
  table([
    ['evt.buffer bcontains CAFEBABE', { 'evt.buffer': buf }, true],
    ['evt.buffer bcontains cafebabe', { 'evt.buffer': buf }, true],
    ['evt.buffer bcontains BEEF', { 'evt.buffer': buf }, false],
    ['evt.buffer bstartswith CAFE', { 'evt.buffer': buf }, true],
    ['evt.buffer bstartswith FEBA', { 'evt.buffer': buf }, false],
    ['evt.buffer contains AB', { 'evt.buffer': buf }, true], // the literal's bytes, not hex
    ['evt.buffer endswith AB', { 'evt.buffer': buf }, true],
    ['evt.buffer startswith AB', { 'evt.buffer': buf }, false],
    ['evt.buffer = "\\xca\\xfe\\xba\\xbeAB"', { 'evt.buffer': buf }, true], // exact bytes of \xHH escapes
    ['evt.buffer != AB', { 'evt.buffer': buf }, true],
    ['evt.buffer in (AB, "\\xca\\xfe\\xba\\xbeAB")', { 'evt.buffer': buf }, true],
  ]);
});

describe('list modifiers oneof / anyof / allof', () => {
  table([
    ['proc.cmdline contains anyof (curl, wget)', { 'proc.cmdline': 'wget http://x' }, true],
    ['proc.cmdline contains anyof (curl, wget)', { 'proc.cmdline': 'ls' }, false],
    ['proc.cmdline contains allof (curl, "-k")', { 'proc.cmdline': 'curl -k url' }, true],
    ['proc.cmdline contains allof (curl, "-k")', { 'proc.cmdline': 'curl url' }, false],
    ['proc.cmdline contains oneof (curl, wget)', { 'proc.cmdline': 'curl url' }, true],
    ['proc.cmdline contains oneof (curl, wget)', { 'proc.cmdline': 'curl | wget' }, false],
    ['proc.name = anyof (bash, sh)', { 'proc.name': 'sh' }, true],
    ['proc.name != allof (bash, sh)', { 'proc.name': 'zsh' }, true],
    ['proc.name != allof (bash, sh)', { 'proc.name': 'sh' }, false],
    ['proc.name startswith anyof ()', { 'proc.name': 'sh' }, false],
    ['proc.name startswith allof ()', { 'proc.name': 'sh' }, false], // no values: false, as libsinsp
    ['proc.name = anyof', { 'proc.name': 'anyof' }, true], // without a list it is a plain value
  ]);
});

describe('right-hand side fields: val(field)', () => {
  table([
    ['proc.name = val(proc.pname)', { 'proc.name': 'bash', 'proc.pname': 'bash' }, true],
    ['proc.name = val(proc.pname)', { 'proc.name': 'bash', 'proc.pname': 'sh' }, false],
    ['proc.name != val(proc.pname)', { 'proc.name': 'bash', 'proc.pname': 'sh' }, true],
    ['proc.name != val(proc.pname)', { 'proc.name': 'bash' }, false], // missing right side: false
    ['proc.pid > val(proc.ppid)', { 'proc.pid': 10, 'proc.ppid': 9 }, true],
    ['proc.pid < val(proc.ppid)', { 'proc.pid': 10, 'proc.ppid': 9 }, false],
    ['proc.cmdline contains val(proc.name)', { 'proc.cmdline': 'x bash y', 'proc.name': 'bash' }, true],
    ['ka.groups intersects val(proc.args)', { 'ka.groups': ['a', 'b'], 'proc.args': ['b'] }, true],
    ['ka.groups in val(proc.args)', { 'ka.groups': ['a', 'b'], 'proc.args': ['b'] }, false],
    ['ka.groups in val(proc.args)', { 'ka.groups': ['b'], 'proc.args': ['a', 'b'] }, true],
    ['tolower(proc.name) = val(proc.pname)', { 'proc.name': 'BASH', 'proc.pname': 'bash' }, true],
  ]);
  it('glob against another field compiles the pattern per value', () => {
    expect(m('fd.name glob val(fd.directory)', { 'fd.name': '/tmp/a', 'fd.directory': '/tmp/*' })).toBe(true);
    expect(m('fd.name glob val(fd.directory)', { 'fd.name': '/var/a', 'fd.directory': '/tmp/*' })).toBe(false);
  });
});

describe('logic', () => {
  table([
    ['proc.name = a and proc.pid = 1', { 'proc.name': 'a', 'proc.pid': 1 }, true],
    ['proc.name = a and proc.pid = 1', { 'proc.name': 'a', 'proc.pid': 2 }, false],
    ['proc.name = a or proc.pid = 1', { 'proc.name': 'b', 'proc.pid': 1 }, true],
    ['not (proc.name = a or proc.pid = 1)', { 'proc.name': 'b', 'proc.pid': 2 }, true],
    ['not not proc.name = a', { 'proc.name': 'a' }, true],
    ['proc.name = a or proc.name = b and proc.pid = 1', { 'proc.name': 'a', 'proc.pid': 2 }, true], // and binds tighter
    ['(proc.name = a or proc.name = b) and proc.pid = 1', { 'proc.name': 'a', 'proc.pid': 2 }, false],
  ]);
});
