// What rules see of replayed scap events: the fields Falco's rules use, from records made of
// merged enter/exit pairs, the PPM flag encodings translated, and the process table seeded from
// the capture (values as sysdig prints them for the same events).
import { describe, expect, it } from 'vitest';
import { syscallFields } from '../../../../src/sources/syscall/fields/index.js';
import { readScap } from '../../../../src/sources/syscall/scap/reader.js';
import type { SyscallEvent } from '../../../../src/sources/syscall/syscall-event.js';
import { fixture, haveShared } from './helpers.js';

const registry = syscallFields();
const FIELDS = ['evt.type', 'evt.arg.flags', 'evt.rawarg.flags', 'evt.is_open_read', 'fd.name', 'fd.typechar', 'proc.name', 'proc.cmdline', 'proc.pname', 'proc.pid', 'thread.tid', 'evt.rawres', 'fd.sip', 'fd.sport', 'fd.l4proto'] as const;
const extractors = FIELDS.map((name) => {
  const m = /^(evt\.(?:raw)?arg)\.(.+)$/.exec(name);
  const r = m ? registry.resolve(m[1]!, m[2]) : registry.resolve(name);
  if (!r?.def.bind) throw new Error(`no extractor for ${name}`);
  return [name, r.def.bind(r.arg)] as const;
});

type Values = Record<(typeof FIELDS)[number], unknown>;

/** Every event of a file with the fields above, extracted while the event is current. */
async function fieldsOf(name: string): Promise<Values[]> {
  const out: Values[] = [];
  for await (const e of readScap(fixture(name)).events()) {
    const v = {} as Values;
    for (const [n, x] of extractors) (v as Record<string, unknown>)[n] = (x as (e: SyscallEvent) => unknown)(e);
    out.push(v);
  }
  return out;
}

describe.skipIf(!haveShared)('fields of replayed scap events', () => {
  it('open: flags translated from PPM_O_* (O_RDONLY|O_CLOEXEC), the fd from the exit, the path from the event', async () => {
    const events = await fieldsOf('cat_write.scap');
    const open = events.find((v) => v['evt.type'] === 'open')!;
    expect(open).toMatchObject({ 'fd.name': '/etc/ld.so.cache', 'fd.typechar': 'f', 'evt.is_open_read': true, 'proc.name': 'cat', 'proc.cmdline': 'cat /dev/null', 'proc.pname': 'bash' });
    expect(String(open['evt.arg.flags'])).toBe('O_RDONLY|O_CLOEXEC');
    expect(Number(open['evt.rawarg.flags'])).toBe(0o2000000);
  });

  it('clone with CLONE_THREAD makes a thread of the caller, whose events then name its process', async () => {
    const events = await fieldsOf('curl_google.scap');
    const clone = events.find((v) => v['evt.type'] === 'clone')!;
    expect(String(clone['evt.arg.flags'])).toContain('CLONE_THREAD');
    expect(Number(clone['evt.rawres'])).toBe(17498);
    const fromThread = events.filter((v) => v['thread.tid'] === 17498);
    expect(fromThread.length).toBeGreaterThan(5);
    expect(fromThread.every((v) => v['proc.pid'] === 17497 && v['proc.name'] === 'curl')).toBe(true);
  });

  it('evt.hostname is the captured machine, from its machine info block', async () => {
    const replay = readScap(fixture('curl_google.scap'));
    for await (const e of replay.events()) if (!e) break;
    expect(replay.hostname).toBe('ip-10-0-0-79');
    expect(replay.ctx.hostname).toBe('ip-10-0-0-79');
  });

  it('recvfrom keeps the local end first as Kestrel records do (the drivers write the peer first)', async () => {
    const events = await fieldsOf('curl_google.scap');
    const recv = events.find((v) => v['evt.type'] === 'recvfrom')!;
    expect(recv['fd.name']).toBe('2600:1f18:262c:6542:9aa6:df7a:9a47:d29e:40251->2001:4860:4860::8888:53');
    expect(recv['fd.sport']).toBe(53);
    expect(recv['fd.l4proto']).toBe('udp');
  });
});

describe.skipIf(!haveShared)('container metadata events of scap files', () => {
  it('fill the container table, joined with the processes the capture lists in those containers', async () => {
    const replay = readScap(fixture('open-multiple-files.scap'));
    for await (const e of replay.events()) if (!e) break;
    expect(replay.stats).toMatchObject({ containerEvents: 3, containerEventsSkipped: 0 });
    expect(replay.ctx.containers.get('ad64969c62e5')).toMatchObject({ type: 'docker', name: 'express_server', image: 'node:latest', imageRepository: 'node', imageTag: 'latest', lookup: 'ok' });
    const node = [...replay.ctx.threads.procs.values()].find((p) => p.comm === 'node')!;
    expect(node.containerId).toBe('ad64969c62e5');
    expect(replay.ctx.containers.get(node.containerId)!.fullId).toMatch(/^ad64969c62e5[0-9a-f]{52}$/);
  });

  it('skip and count a malformed document or another runtime, never fatal', async () => {
    const { ContainerStore } = await import('../../../../src/sources/syscall/state/containers.js');
    const { applyContainerJson } = await import('../../../../src/sources/syscall/scap/container-event.js');
    const store = new ContainerStore();
    expect(applyContainerJson(store, '{"container":')).toMatch(/^bad JSON/);
    expect(applyContainerJson(store, '{"container":{"id":"../etc","type":0}}')).toMatch(/^bad container id/);
    expect(applyContainerJson(store, '{"container":{"id":"0123456789ab","type":1}}')).toBe('other-runtime');
    expect(applyContainerJson(store, '{"container":{"id":"0123456789ab","type":8,"name":"web","image":"reg.io/app@sha256:ab","privileged":true,"Mounts":[{"Source":"/","Destination":"/host","Mode":"","RW":true,"Propagation":"rprivate"}]}}')).toBe('applied');
    expect(store.get('0123456789ab')).toMatchObject({ type: 'cri-o', name: 'web', imageRepository: 'reg.io/app', imageDigest: 'sha256:ab', privileged: true, mounts: [{ source: '/', dest: '/host', rdwr: true }] });
  });
});
