// Linux ABI constants the state tracker needs (x86_64 and arm64 user ABI).

const ARCH_O =
  process.arch === 'arm64'
    ? { DIRECTORY: 0o40000, NOFOLLOW: 0o100000, DIRECT: 0o200000, LARGEFILE: 0o400000 }
    : { DIRECTORY: 0o200000, NOFOLLOW: 0o400000, DIRECT: 0o40000, LARGEFILE: 0o100000 };

export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_DSYNC = 0o10000;
export const O_DIRECT = ARCH_O.DIRECT;
export const O_LARGEFILE = ARCH_O.LARGEFILE;
export const O_DIRECTORY = ARCH_O.DIRECTORY;
export const O_NOFOLLOW = ARCH_O.NOFOLLOW;
export const O_CLOEXEC = 0o2000000;
export const O_SYNC = 0o4010000;
export const O_PATH = 0o10000000;
export const O_TMPFILE = 0o20000000 | ARCH_O.DIRECTORY;

export const CLONE_THREAD = 0x10000;

export const F_DUPFD = 0;
export const F_DUPFD_CLOEXEC = 1030;

export const SOCK_CLOEXEC = 0o2000000;
export const EINPROGRESS = -115;
