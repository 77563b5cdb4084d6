// The PPME <-> Kestrel mapping: every version of an event reaches the one Kestrel type, params
// are found by Falco name in the exit event first and then in the enter event, and the flags the
// drivers re-encode translate both ways.
import { describe, expect, it } from 'vitest';
import { EVENTS, KT } from '../../../../src/sources/syscall/record/event-table.js';
import { O_CLOEXEC, O_CREAT, O_RDWR, O_TRUNC, O_WRONLY, CLONE_THREAD } from '../../../../src/sources/syscall/record/linux.js';
import { CLONE_FLAGS, FCNTL_CMD, OPEN_FLAGS, PTRACE_REQUEST } from '../../../../src/sources/syscall/scap/flags.js';
import { isMergedEnter, linkOfKestrel, linkOfPpm } from '../../../../src/sources/syscall/scap/mapping.js';
import { ppmEvent } from '../../../../src/sources/syscall/scap/ppm-events.js';

const link = (symbol: string) => linkOfPpm(ppmEvent(symbol).code);

describe('the PPME -> Kestrel event links', () => {
  it('maps every version of openat onto Kestrel openat, params by name', () => {
    const v2 = link('SYSCALL_OPENAT_2_X')!;
    expect(v2.kestrel.code).toBe(KT.OPENAT);
    const names = v2.kestrel.params.map((p) => p.name);
    expect(v2.params[names.indexOf('fd')]).toMatchObject({ exit: 0 });
    expect(v2.params[names.indexOf('name')]).toMatchObject({ exit: 2, enter: 1 });
    expect(linkOfKestrel(KT.OPENAT)!.params[names.indexOf('ino')]).toBeUndefined(); // libscap 2022 has no ino
    expect(v2.retParam).toBe(names.indexOf('fd'));
    // the first openat version carries the path in the enter event only
    const v1 = link('SYSCALL_OPENAT_X')!;
    expect(v1.kestrel.code).toBe(KT.OPENAT);
    expect(v1.params[names.indexOf('name')]).toMatchObject({ exit: -1, enter: 1 });
  });

  it('merges the enter event of the same name and marks it as merged', () => {
    expect(link('SYSCALL_EXECVE_19_X')!.enter?.symbol).toBe('SYSCALL_EXECVE_19_E');
    expect(isMergedEnter(ppmEvent('SYSCALL_EXECVE_19_E').code)).toBe(true);
    expect(isMergedEnter(ppmEvent('SYSCALL_READ_E').code)).toBe(false); // no Kestrel read event
    const execve = link('SYSCALL_EXECVE_19_X')!;
    expect(execve.fullArgv).toBe(true);
    expect(execve.params[execve.kestrel.param('filename')]).toMatchObject({ exit: -1, enter: 0 });
  });

  it('takes Kestrel names that differ from old libscap ones (accept4, dup oldfd, procexit)', () => {
    expect(link('SOCKET_ACCEPT4_5_X')!.kestrel.code).toBe(KT.ACCEPT4);
    expect(link('SOCKET_ACCEPT_5_X')!.kestrel.code).toBe(KT.ACCEPT);
    const dup = link('SYSCALL_DUP_X')!;
    expect(dup.params[dup.kestrel.param('oldfd')]).toMatchObject({ exit: -1, enter: 0 });
    const exit = link('PROCEXIT_1_E')!;
    expect(exit.kestrel.code).toBe(KT.PROCEXIT);
    expect(exit.enter).toBeUndefined();
    expect(exit.retParam).toBe(exit.kestrel.param('status'));
  });

  it('marks the inbound calls whose tuple the drivers write peer first (recvfrom, recvmsg)', () => {
    expect(link('SOCKET_RECVFROM_X')!.tupleSwapped).toBe(true);
    expect(link('SOCKET_RECVMSG_X')!.tupleSwapped).toBe(true);
    expect(link('SOCKET_SENDTO_X')!.tupleSwapped).toBe(false);
    expect(link('SOCKET_CONNECT_X')!.tupleSwapped).toBe(false);
    expect(link('SOCKET_ACCEPT_5_X')!.tupleSwapped).toBe(false); // peer first on both sides
  });

  it('leaves out events Kestrel has no type for (read, mmap, switch)', () => {
    expect(link('SYSCALL_READ_X')).toBeUndefined();
    expect(link('SYSCALL_MMAP_X')).toBeUndefined();
    expect(link('SCHEDSWITCH_6_E')).toBeUndefined();
  });

  it('gives the writer the newest version of each event, with the Kestrel param of each PPM param', () => {
    expect(linkOfKestrel(KT.OPENAT)!.exit.symbol).toBe('SYSCALL_OPENAT_2_X');
    expect(linkOfKestrel(KT.EXECVE)!.exit.symbol).toBe('SYSCALL_EXECVE_19_X');
    expect(linkOfKestrel(KT.CLONE)!.exit.symbol).toBe('SYSCALL_CLONE_20_X');
    const open = linkOfKestrel(KT.OPENAT)!;
    open.exitFrom.forEach((ki, pi) => {
      if (ki >= 0) expect(open.kestrel.params[ki]!.name).toBe(open.exit.params[pi]!.name);
    });
    expect(open.enterFrom.map((ki) => (ki >= 0 ? open.kestrel.params[ki]!.name : '-'))).toEqual(['dirfd', 'name', 'flags', 'mode']);
    const linked = EVENTS.filter((e) => linkOfKestrel(e.code)).map((e) => e.name);
    expect(linked).toEqual(expect.arrayContaining(['open', 'openat', 'connect', 'accept4', 'execve', 'clone', 'procexit', 'setuid', 'ptrace']));
  });
});

describe('the PPM flag translations', () => {
  it('turns PPM_O_* into O_* and back (the access mode is two bits in PPM)', () => {
    expect(OPEN_FLAGS.toLinux(1 | (1 << 12))).toBe(O_CLOEXEC); // O_RDONLY|O_CLOEXEC, as in cat_write.scap
    expect(OPEN_FLAGS.toLinux(2 | (1 << 2) | (1 << 8))).toBe(O_WRONLY | O_CREAT | O_TRUNC);
    expect(OPEN_FLAGS.toLinux(3)).toBe(O_RDWR);
    for (const f of [0, O_WRONLY | O_CREAT, O_RDWR | O_CLOEXEC | O_TRUNC]) expect(OPEN_FLAGS.toLinux(OPEN_FLAGS.toPpm(f))).toBe(f);
  });

  it('turns PPM_CL_* into CLONE_* and back, dropping libsinsp-only bits', () => {
    expect(CLONE_FLAGS.toLinux(1 << 13)).toBe(CLONE_THREAD);
    expect(CLONE_FLAGS.toLinux((1 << 13) | (1 << 16) | (1 << 30))).toBe(CLONE_THREAD); // CLONE_INVERTED, IS_MAIN_THREAD
    expect(CLONE_FLAGS.toPpm(0x10000 | 0x100 | 0x20000000)).toBe((1 << 13) | (1 << 15) | (1 << 6));
  });

  it('translates the fcntl and ptrace enumerations', () => {
    expect(FCNTL_CMD.toLinux(26)).toBe(1030); // F_DUPFD_CLOEXEC
    expect(FCNTL_CMD.toPpm(0)).toBe(1); // F_DUPFD
    expect(PTRACE_REQUEST.toLinux(11)).toBe(16); // PTRACE_ATTACH
    expect(PTRACE_REQUEST.toPpm(0x4206)).toBe(20); // PTRACE_SEIZE
  });
});

describe('events of later libs (ppm-events-later.ts)', () => {
  it('maps the syscalls Falco 0.35+ captures hold that Kestrel has types for', () => {
    const names = (symbol: string) => link(symbol)!.kestrel.name;
    expect(['SYSCALL_DUP2_X', 'SYSCALL_DUP3_X', 'SYSCALL_DUP_1_X', 'SYSCALL_PIPE2_X', 'SYSCALL_PRCTL_X', 'SYSCALL_MEMFD_CREATE_X', 'SYSCALL_CAPSET_X', 'SYSCALL_UMOUNT2_X', 'SOCKET_ACCEPT4_6_X', 'SYSCALL_INIT_MODULE_X', 'SYSCALL_FINIT_MODULE_X', 'SYSCALL_BPF_2_X'].map(names)).toEqual([
      'dup2', 'dup3', 'dup', 'pipe2', 'prctl', 'memfd_create', 'capset', 'umount2', 'accept4', 'init_module', 'finit_module', 'bpf',
    ]);
    const dup = link('SYSCALL_DUP_1_X')!;
    expect(dup.params[dup.kestrel.param('oldfd')]).toMatchObject({ exit: 1 });
    expect(link('SYSCALL_DUP2_X')!.enter?.symbol).toBe('SYSCALL_DUP2_E');
  });

  it('reads the params later libs appended to known events (execve trusted_exepath, openat ino), writes the 2022 ones', () => {
    const execve = link('SYSCALL_EXECVE_19_X')!;
    expect(execve.exit.params).toHaveLength(28);
    expect(execve.params[execve.kestrel.param('trusted_exepath')]).toMatchObject({ exit: 27 });
    expect(execve.params[execve.kestrel.param('exe_ino')]).toMatchObject({ exit: 23 });
    expect(link('SYSCALL_OPENAT_2_X')!.params[link('SYSCALL_OPENAT_2_X')!.kestrel.param('ino')]).toMatchObject({ exit: 6 });
    expect(linkOfKestrel(KT.EXECVE)!.exit.params).toHaveLength(20);
    expect(linkOfKestrel(KT.EXECVE)!.params[execve.kestrel.param('trusted_exepath')]).toBeUndefined();
  });

  it('keeps the writer on the versions libscap 2022 (the installed sysdig) reads', () => {
    expect(linkOfKestrel(KT.DUP)!.exit.symbol).toBe('SYSCALL_DUP_X');
    expect(linkOfKestrel(KT.ACCEPT4)!.exit.symbol).toBe('SOCKET_ACCEPT4_5_X');
    expect(linkOfKestrel(KT.DUP2)).toBeUndefined();
    expect(linkOfKestrel(KT.MEMFD_CREATE)).toBeUndefined();
  });
});
