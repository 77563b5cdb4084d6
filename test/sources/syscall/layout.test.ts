// Keeps src/sources/syscall/{layout,events}.ts in step with native/events.h: a small C program
// compiled against the header prints sizes, offsets, constants and the whole event table.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../../src/sources/syscall/events.js';
import * as L from '../../../src/sources/syscall/layout.js';

const HEADER = new URL('../../../native/events.h', import.meta.url).pathname;

function findCompiler(): string | undefined {
  for (const cc of ['cc', 'gcc', 'clang']) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

const CC = findCompiler();
if (!CC) console.warn('SKIPPED: no C compiler (cc/gcc/clang) to check native/events.h against the TypeScript layout');

const PROGRAM = `
#include <stdio.h>
#include <stddef.h>
#include "${HEADER}"
#define OFF(f) printf("off " #f " %zu\\n", offsetof(struct kestrel_hdr, f));
#define CONST(c) printf("const " #c " %lld\\n", (long long)(c));
#define PRINT_P(ev, pname, ptype) printf(" " #pname ":" #ptype);
#define PRINT_EV(name, code, falco, params) printf("event %d %s %s", KT_##name, #name, falco); params printf(" |%d\\n", KESTREL_NPARAMS(name));
int main(void) {
  printf("sizeof %zu\\n", sizeof(struct kestrel_hdr));
  OFF(ts) OFF(len) OFF(type) OFF(flags) OFF(ret) OFF(cgroup_id) OFF(tid) OFF(pid) OFF(ppid) OFF(vtid)
  OFF(vpid) OFF(uid) OFF(gid) OFF(loginuid) OFF(mnt_ns) OFF(pid_ns) OFF(comm) OFF(nparams) OFF(cpu) OFF(reserved)
  CONST(KESTREL_HDR_SIZE) CONST(KESTREL_RECORD_ALIGN) CONST(KESTREL_MAX_PATH) CONST(KESTREL_MAX_ARGS)
  CONST(KESTREL_MAX_ENV) CONST(KESTREL_MAX_DATA) CONST(KESTREL_MAX_CGROUPS) CONST(KESTREL_MAX_PARAMS)
  CONST(KESTREL_MAX_RECORD) CONST(KREC_F_TRUNCATED) CONST(KREC_F_READ_FAULT) CONST(KREC_F_SYNTHETIC)
  CONST(KREC_PARAM_TRUNC) CONST(KREC_PARAM_LEN_MASK) CONST(KEXE_F_WRITABLE) CONST(KEXE_F_UPPER_LAYER)
  CONST(KEXE_F_FROM_MEMFD) CONST(KEXE_F_LOWER_LAYER) CONST(KT__COUNT)
  printf("const COMM_LEN %zu\\n", sizeof(((struct kestrel_hdr *)0)->comm));
  CONST(KPT_FD) CONST(KPT_ERRNO) CONST(KPT_PID) CONST(KPT_INT64) CONST(KPT_UINT64) CONST(KPT_UINT32) CONST(KPT_INT32)
  CONST(KPT_UINT16) CONST(KPT_UINT8) CONST(KPT_FLAGS32) CONST(KPT_ENUMFLAGS32) CONST(KPT_ENUMFLAGS16) CONST(KPT_ENUMFLAGS8)
  CONST(KPT_MODE) CONST(KPT_UID) CONST(KPT_GID) CONST(KPT_SIGTYPE) CONST(KPT_ABSTIME) CONST(KPT_CHARBUF) CONST(KPT_FSPATH)
  CONST(KPT_FSRELPATH) CONST(KPT_BYTEBUF) CONST(KPT_ARGV) CONST(KPT_SOCKADDR) CONST(KPT_SOCKTUPLE)
  KESTREL_EVENT_TABLE(PRINT_EV, PRINT_P)
  return 0;
}
`;

function compileAndRun(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-layout-'));
  writeFileSync(join(dir, 'p.c'), PROGRAM);
  execFileSync(CC!, ['-std=c11', '-Wall', '-Werror', '-o', join(dir, 'p'), join(dir, 'p.c')]);
  return execFileSync(join(dir, 'p'), { encoding: 'utf8' });
}

describe.skipIf(!CC)('native/events.h and the TypeScript decoder agree', () => {
  const out = CC ? compileAndRun() : '';
  const lines = out.trim().split('\n');
  const offsets = new Map(lines.filter((l) => l.startsWith('off ')).map((l) => [l.split(' ')[1]!, Number(l.split(' ')[2])]));
  const consts = new Map(lines.filter((l) => l.startsWith('const ')).map((l) => [l.split(' ')[1]!, Number(l.split(' ')[2])]));

  it('has the same header size and field offsets', () => {
    expect(Number(lines.find((l) => l.startsWith('sizeof'))!.split(' ')[1])).toBe(L.HDR_SIZE);
    const names: Record<string, number> = {
      ts: L.H.ts, len: L.H.len, type: L.H.type, flags: L.H.flags, ret: L.H.ret, cgroup_id: L.H.cgroupId, tid: L.H.tid, pid: L.H.pid,
      ppid: L.H.ppid, vtid: L.H.vtid, vpid: L.H.vpid, uid: L.H.uid, gid: L.H.gid, loginuid: L.H.loginuid, mnt_ns: L.H.mntNs,
      pid_ns: L.H.pidNs, comm: L.H.comm, nparams: L.H.nparams, cpu: L.H.cpu, reserved: L.H.reserved,
    };
    expect(Object.fromEntries(offsets)).toEqual(names);
  });

  it('has the same constants and param type codes', () => {
    expect(consts.get('KESTREL_HDR_SIZE')).toBe(L.HDR_SIZE);
    expect(consts.get('KESTREL_RECORD_ALIGN')).toBe(L.RECORD_ALIGN);
    expect(consts.get('KESTREL_MAX_PATH')).toBe(L.MAX_PATH);
    expect(consts.get('KESTREL_MAX_ARGS')).toBe(L.MAX_ARGS);
    expect(consts.get('KESTREL_MAX_ENV')).toBe(L.MAX_ENV);
    expect(consts.get('KESTREL_MAX_DATA')).toBe(L.MAX_DATA);
    expect(consts.get('KESTREL_MAX_CGROUPS')).toBe(L.MAX_CGROUPS);
    expect(consts.get('KESTREL_MAX_PARAMS')).toBe(L.MAX_PARAMS);
    expect(consts.get('KESTREL_MAX_RECORD')).toBe(L.MAX_RECORD);
    expect(consts.get('KREC_F_TRUNCATED')).toBe(L.REC_F_TRUNCATED);
    expect(consts.get('KREC_F_READ_FAULT')).toBe(L.REC_F_READ_FAULT);
    expect(consts.get('KREC_F_SYNTHETIC')).toBe(L.REC_F_SYNTHETIC);
    expect(consts.get('KREC_PARAM_TRUNC')).toBe(L.PARAM_TRUNC);
    expect(consts.get('KREC_PARAM_LEN_MASK')).toBe(L.PARAM_LEN_MASK);
    expect(consts.get('KEXE_F_WRITABLE')).toBe(L.EXE_WRITABLE);
    expect(consts.get('KEXE_F_UPPER_LAYER')).toBe(L.EXE_UPPER_LAYER);
    expect(consts.get('KEXE_F_FROM_MEMFD')).toBe(L.EXE_FROM_MEMFD);
    expect(consts.get('KEXE_F_LOWER_LAYER')).toBe(L.EXE_LOWER_LAYER);
    expect(consts.get('COMM_LEN')).toBe(L.COMM_LEN);
    for (const [name, code] of Object.entries(L.PT_NAMES)) {
      if (name === 'NONE') continue;
      expect(consts.get(`KPT_${name}`), name).toBe(code);
    }
  });

  it('has the same event table: codes, Falco names, params and their types', () => {
    const events = lines.filter((l) => l.startsWith('event '));
    expect(consts.get('KT__COUNT')).toBe(EVENTS.length);
    expect(events).toHaveLength(EVENTS.length);
    for (const line of events) {
      const [, codeText, id, name, ...rest] = line.split(' ');
      const tail = rest.join(' ');
      const [paramText, countText] = tail.split('|') as [string, string];
      const spec = EVENTS[Number(codeText)]!;
      expect(spec.id).toBe(id);
      expect(spec.name).toBe(name);
      const params = paramText.trim() ? paramText.trim().split(' ') : [];
      expect(spec.params.map((p) => `${p.name}:${p.typeName}`), id).toEqual(params);
      expect(Number(countText)).toBe(spec.params.length);
    }
  });
});
