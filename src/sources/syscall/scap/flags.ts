// Flag and enum values that libscap's drivers translate into their own PPM_* encodings
// (driver/ppm_events_public.h, driver/ppm_flag_helpers.h in falcosecurity/libs), and the raw
// kernel values Kestrel records carry (native/events.h: flags are RAW O_*, CLONE_*, F_* ...).
// Each translation goes both ways: the scap reader turns PPM values into kernel ones, the scap
// writer the reverse. Values the drivers pass through unchanged (AF_*, S_I*, MS_*, AT_*,
// signals, PPM_EXE_*) need no table.
import { O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_DSYNC, O_EXCL, O_LARGEFILE, O_NONBLOCK, O_RDWR, O_SYNC, O_TMPFILE, O_TRUNC, O_WRONLY } from '../record/linux.js';

/** A translation between a PPM encoding and the kernel's, both ways. */
export interface FlagCodec {
  toLinux(ppm: number): number;
  toPpm(linux: number): number;
}

/** Bit flags: each PPM bit stands for one kernel bit (or bit group); unknown bits are dropped. */
function bitCodec(pairs: readonly (readonly [number, number])[]): FlagCodec {
  return {
    toLinux(ppm) {
      let out = 0;
      for (const [p, l] of pairs) if ((ppm & p) === p) out |= l;
      return out >>> 0;
    },
    toPpm(linux) {
      let out = 0;
      for (const [p, l] of pairs) if ((linux & l) === l) out |= p;
      return out >>> 0;
    },
  };
}

/** Enumerations: one PPM value per kernel value; unknown values map to the other side's 0 ("unknown"). */
function enumCodec(pairs: readonly (readonly [number, number])[]): FlagCodec {
  const toL = new Map(pairs.map(([p, l]) => [p, l]));
  const toP = new Map(pairs.map(([p, l]) => [l, p]));
  return { toLinux: (ppm) => toL.get(ppm) ?? ppm, toPpm: (linux) => toP.get(linux) ?? 0 };
}

// PPM_O_*: the access mode is two bits (PPM_O_RDONLY = 1, PPM_O_WRONLY = 2, both = O_RDWR),
// where the kernel's is a 2-bit number (O_RDONLY = 0). Bits 14+ (PPM_O_F_CREATED, PPM_FD_*_LAYER
// in later libs) describe the outcome, not the request: no kernel flag.
const OPEN_BITS = bitCodec([
  [1 << 2, O_CREAT],
  [1 << 3, O_APPEND],
  [1 << 4, O_DSYNC],
  [1 << 5, O_EXCL],
  [1 << 6, O_NONBLOCK],
  [1 << 7, O_SYNC],
  [1 << 8, O_TRUNC],
  [1 << 9, O_DIRECT],
  [1 << 10, O_DIRECTORY],
  [1 << 11, O_LARGEFILE],
  [1 << 12, O_CLOEXEC],
  [1 << 13, O_TMPFILE],
]);
const PPM_O_RDONLY = 1;
const PPM_O_WRONLY = 2;

export const OPEN_FLAGS: FlagCodec = {
  toLinux(ppm) {
    const acc = ppm & 3;
    const mode = acc === 3 ? O_RDWR : acc === PPM_O_WRONLY ? O_WRONLY : 0;
    return (OPEN_BITS.toLinux(ppm & ~3) | mode) >>> 0;
  },
  toPpm(linux) {
    const acc = linux & 3;
    const mode = acc === O_RDWR ? PPM_O_RDONLY | PPM_O_WRONLY : acc === O_WRONLY ? PPM_O_WRONLY : PPM_O_RDONLY;
    return (OPEN_BITS.toPpm(linux & ~3) | mode) >>> 0;
  },
};

/** PPM_CL_* (clone flags, also unshare's flags and setns's nstype); libsinsp-only bits are dropped. */
export const CLONE_FLAGS: FlagCodec = bitCodec([
  [1 << 0, 0x400], // CLONE_FILES
  [1 << 1, 0x200], // CLONE_FS
  [1 << 2, 0x80000000], // CLONE_IO
  [1 << 3, 0x08000000], // CLONE_NEWIPC
  [1 << 4, 0x40000000], // CLONE_NEWNET
  [1 << 5, 0x20000], // CLONE_NEWNS
  [1 << 6, 0x20000000], // CLONE_NEWPID
  [1 << 7, 0x04000000], // CLONE_NEWUTS
  [1 << 8, 0x8000], // CLONE_PARENT
  [1 << 9, 0x100000], // CLONE_PARENT_SETTID
  [1 << 10, 0x2000], // CLONE_PTRACE
  [1 << 11, 0x800], // CLONE_SIGHAND
  [1 << 12, 0x40000], // CLONE_SYSVSEM
  [1 << 13, 0x10000], // CLONE_THREAD
  [1 << 14, 0x800000], // CLONE_UNTRACED
  [1 << 15, 0x100], // CLONE_VM
  [1 << 20, 0x10000000], // CLONE_NEWUSER
  [1 << 23, 0x200000], // CLONE_CHILD_CLEARTID
  [1 << 24, 0x01000000], // CLONE_CHILD_SETTID
  [1 << 25, 0x80000], // CLONE_SETTLS
  [1 << 27, 0x4000], // CLONE_VFORK
  [1 << 28, 0x02000000], // CLONE_NEWCGROUP (the bit CLONE_STOPPED had)
]);

/** PPM_FCNTL_* -> F_* (x86-64 numbers). */
export const FCNTL_CMD: FlagCodec = enumCodec([
  [1, 0], // F_DUPFD
  [2, 1], // F_GETFD
  [3, 2], // F_SETFD
  [4, 3], // F_GETFL
  [5, 4], // F_SETFL
  [6, 5], // F_GETLK
  [8, 6], // F_SETLK
  [9, 7], // F_SETLKW
  [10, 8], // F_SETOWN
  [12, 9], // F_GETOWN
  [13, 10], // F_SETSIG
  [15, 11], // F_GETSIG
  [21, 15], // F_SETOWN_EX
  [22, 16], // F_GETOWN_EX
  [23, 1024], // F_SETLEASE
  [24, 1025], // F_GETLEASE
  [25, 1029], // F_CANCELLK
  [26, 1030], // F_DUPFD_CLOEXEC
  [27, 1026], // F_NOTIFY
  [28, 1031], // F_SETPIPE_SZ
  [29, 1032], // F_GETPIPE_SZ
  [30, 36], // F_OFD_GETLK
  [31, 37], // F_OFD_SETLK
  [32, 38], // F_OFD_SETLKW
]);

/** PPM_PTRACE_* -> PTRACE_* request numbers. */
export const PTRACE_REQUEST: FlagCodec = enumCodec([
  [1, 0], // TRACEME
  [2, 1], // PEEKTEXT
  [3, 2], // PEEKDATA
  [4, 3], // PEEKUSR
  [5, 4], // POKETEXT
  [6, 5], // POKEDATA
  [7, 6], // POKEUSR
  [8, 7], // CONT
  [9, 8], // KILL
  [10, 9], // SINGLESTEP
  [11, 16], // ATTACH
  [12, 17], // DETACH
  [13, 24], // SYSCALL
  [14, 0x4200], // SETOPTIONS
  [15, 0x4201], // GETEVENTMSG
  [16, 0x4202], // GETSIGINFO
  [17, 0x4203], // SETSIGINFO
  [18, 0x4204], // GETREGSET
  [19, 0x4205], // SETREGSET
  [20, 0x4206], // SEIZE
  [21, 0x4207], // INTERRUPT
  [22, 0x4208], // LISTEN
  [23, 0x4209], // PEEKSIGINFO
  [24, 0x420a], // GETSIGMASK
  [25, 0x420b], // SETSIGMASK
  [26, 12], // GETREGS
  [27, 13], // SETREGS
  [28, 14], // GETFPREGS
  [29, 15], // SETFPREGS
]);

/** The codec for a param, by Falco event name and param name; undefined: the value is the kernel's. */
export function flagCodec(event: string, param: string): FlagCodec | undefined {
  switch (param) {
    case 'flags':
      if (event === 'open' || event === 'openat' || event === 'openat2' || event === 'dup3' || event === 'pipe2') return OPEN_FLAGS;
      if (event === 'clone' || event === 'clone3' || event === 'fork' || event === 'vfork' || event === 'unshare') return CLONE_FLAGS;
      return undefined;
    case 'nstype':
      return event === 'setns' ? CLONE_FLAGS : undefined;
    case 'cmd':
      return event === 'fcntl' ? FCNTL_CMD : undefined;
    case 'request':
      return event === 'ptrace' ? PTRACE_REQUEST : undefined;
    default:
      return undefined;
  }
}
