// A replay answers from the capture's recorded state only, never from this host: a process of a
// container (whose /proc/PID/root does not exist here) gets its user name from the capture's user
// tables, with no /proc read and no user-table load counted.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadRulesFromText } from '../../../../src/index.js';
import { readCapture } from '../../../../src/sources/syscall/capture/reader.js';
import type { SyscallEvent } from '../../../../src/sources/syscall/syscall-event.js';
import { scenarioCapture } from './capture-helpers.js';

const RULES = `
- rule: shadow read
  desc: x
  condition: evt.type=openat and evt.dir=< and fd.name=/etc/shadow
  output: shadow read by %proc.name pid=%proc.pid user=%user.name uid=%user.uid container=%container.name
  priority: WARNING
`;

// pid 987654 is not a process of this host (pid_max is at most 4194304, and the test checks it is absent)
const SCRIPT = `
user 0 root
container c1 name=web image=docker.io/library/nginx:1.25
user 101 nginx container=c1
proc nginx pid=987654 parent=1 exe=/usr/sbin/nginx container=c1 uid=101
987654 openat /etc/shadow O_RDONLY
`;

describe('replay and this host', () => {
  it('resolves a container user from the capture and reads neither /proc nor any user table of this host', async () => {
    expect(existsSync('/proc/987654')).toBe(false);
    const r = loadRulesFromText([{ name: 'test.yaml', content: RULES }]);
    expect(r.errors).toEqual([]);
    const rs = r.ruleset.forSource<SyscallEvent>('syscall')!;
    const replay = readCapture(scenarioCapture(SCRIPT));
    const outputs: string[] = [];
    for await (const e of replay.events()) for (const a of rs.evaluate(e)) outputs.push(String(a.output));
    expect(outputs).toEqual([expect.stringContaining('shadow read by nginx pid=987654 user=nginx uid=101 container=web')]);
    expect(replay.end).toBeDefined();
    // the counters a live context moves when it reads this host's /proc or a root's passwd/group
    expect(replay.ctx.stats.procLookups).toBe(0);
    expect(replay.ctx.stats.procLookupFailures).toBe(0);
    expect(replay.ctx.users.lookups).toBe(0);
    expect(replay.ctx.users.deferred).toBe(0);
  });
});
