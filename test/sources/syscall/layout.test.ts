// Keeps the TypeScript decoder in step with native/events.h, the record format's one source of
// truth: a small C program compiled against the header prints sizes, offsets, constants, the whole
// event table and the fd table, and they are compared with src/sources/syscall/record/layout.ts
// (written by hand) and event-table.ts (built from src/generated/event-table.ts, which
// scripts/gen-event-table.mjs generates from the header). The printer here is independent of the
// generator's, so a generator bug shows as a mismatch. Also checks that the generated file is up
// to date with the header and that the generator rejects a malformed table.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS, KT, KT_COUNT } from '../../../src/sources/syscall/record/event-table.js';
import * as L from '../../../src/sources/syscall/record/layout.js';
import * as gen from '../../../scripts/gen-event-table.mjs';

const HEADER = new URL('../../../native/events.h', import.meta.url).pathname;
const GENERATOR = new URL('../../../scripts/gen-event-table.mjs', import.meta.url).pathname;

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
#define PRINT_FD(name, uses, creates) printf("fd %d %s %d %d\\n", KT_##name, #uses, (int)KP_##name##_##uses, (int)(creates));
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
  KESTREL_FD_TABLE(PRINT_FD)
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
      expect(spec.params.map((p) => p.type), id).toEqual(params.map((p) => consts.get(`KPT_${p.split(':')[1]}`)));
      expect(Number(countText)).toBe(spec.params.length);
      expect((KT as Record<string, number>)[id!], id).toBe(spec.code);
    }
    expect(Object.keys(KT)).toHaveLength(KT_COUNT);
  });

  it('has the same fd semantics (KESTREL_FD_TABLE: the param an event uses, whether it creates an fd)', () => {
    const rows = lines.filter((l) => l.startsWith('fd ')).map((l) => l.split(' '));
    expect(rows.length).toBeGreaterThan(0);
    const listed = new Map(rows.map(([, code, uses, index, creates]) => [Number(code), { uses: uses!, index: Number(index), creates: creates === '1' }]));
    expect(listed.size).toBe(rows.length); // no event listed twice
    for (const spec of EVENTS) {
      const row = listed.get(spec.code) ?? { uses: 'none', index: -1, creates: false };
      expect({ fdParam: spec.fdParam, createsFd: spec.createsFd }, spec.id).toEqual({ fdParam: row.index, createsFd: row.creates });
      if (row.uses !== 'none') {
        expect(spec.params[spec.fdParam]?.name, spec.id).toBe(row.uses);
        expect(spec.params[spec.fdParam]?.typeName, spec.id).toBe('FD');
      }
    }
    // spot checks against Falco's flags, so an empty or shifted table cannot pass
    const byId = (id: string) => EVENTS[(KT as Record<string, number>)[id]!]!;
    expect(byId('CLOSE').params[byId('CLOSE').fdParam]?.name).toBe('fd');
    expect(byId('DUP2').params[byId('DUP2').fdParam]?.name).toBe('oldfd');
    expect(byId('DUP2').createsFd).toBe(true);
    expect(byId('OPENAT').createsFd).toBe(true);
    expect(byId('OPENAT').fdParam).toBe(-1);
    expect(byId('MKDIR').createsFd || byId('MKDIR').fdParam >= 0).toBe(false);
  });
});

describe.skipIf(!CC)('src/generated/event-table.ts (scripts/gen-event-table.mjs)', () => {
  it('is up to date with native/events.h', () => {
    const generated = new URL('../../../src/generated/event-table.ts', import.meta.url).pathname;
    expect(readFileSync(generated, 'utf8'), 'run `node scripts/gen-event-table.mjs` (scripts/build.sh does)').toBe(gen.generate());
    // and the CLI's --check agrees (exit 0)
    execFileSync(process.execPath, [GENERATOR, '--check'], { stdio: 'pipe' });
  });

  /** A copy of the header with `edit` applied, in a temp dir. */
  function editedHeader(edit: (text: string) => string): string {
    const text = readFileSync(HEADER, 'utf8');
    const changed = edit(text);
    expect(changed).not.toBe(text);
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-events-h-'));
    writeFileSync(join(dir, 'events.h'), changed);
    return join(dir, 'events.h');
  }

  it('reads the table through the C compiler, so what it generates follows the header', () => {
    const h = editedHeader((t) => t.replace('P(CLOSE, res, ERRNO) P(CLOSE, fd, FD)', 'P(CLOSE, fd, FD) P(CLOSE, res, ERRNO)'));
    const close = gen.readHeader(h).events.find((e: { id: string }) => e.id === 'CLOSE');
    expect(close.params.map((p: string[]) => p[0])).toEqual(['fd', 'res']);
    expect(gen.render(gen.readHeader(h), 'x')).toContain(`['CLOSE', 5, 'close', [['fd', 'FD', 1], ['res', 'ERRNO', 2]], 0, false]`);
  });

  it('rejects a malformed table', () => {
    // an fd row naming a param the event does not have: the C compiler rejects it
    const badParam = editedHeader((t) => t.replace('FD(CLOSE, fd, 0)', 'FD(CLOSE, nosuch, 0)'));
    expect(() => gen.readHeader(badParam)).toThrow(/could not compile/);
    // a non-dense code, and an fd param that is not an FD: the generator's own checks
    const gap = editedHeader((t) => t.replace('EV(OPENAT, 2, "openat"', 'EV(OPENAT, 3, "openat"').replace('EV(OPENAT2, 3,', 'EV(OPENAT2, 2,'));
    expect(() => gen.render(gen.readHeader(gap), 'x')).toThrow(/dense and in order/);
    const notFd = editedHeader((t) => t.replace('FD(CLOSE, fd, 0)', 'FD(CLOSE, res, 0)'));
    expect(() => gen.render(gen.readHeader(notFd), 'x')).toThrow(/not of type FD/);
  });
});
