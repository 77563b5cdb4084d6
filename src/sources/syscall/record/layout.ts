// Byte layout of a syscall record, mirroring native/events.h (kept in step by
// test/sources/syscall/layout.test.ts, which compiles the header and compares).

export const RECORD_ALIGN = 8;
export const HDR_SIZE = 96;
export const MAX_PATH = 4096;
export const MAX_ARGS = 4096;
export const MAX_ENV = 4096;
export const MAX_DATA = 256;
export const MAX_CGROUPS = 1024;
export const MAX_PARAMS = 32;
export const MAX_RECORD = 65536;

/** Header field offsets (struct kestrel_hdr). */
export const H = {
  ts: 0,
  len: 8,
  type: 12,
  flags: 14,
  ret: 16,
  cgroupId: 24,
  tid: 32,
  pid: 36,
  ppid: 40,
  vtid: 44,
  vpid: 48,
  uid: 52,
  gid: 56,
  loginuid: 60,
  mntNs: 64,
  pidNs: 68,
  comm: 72,
  nparams: 88,
  cpu: 90,
  reserved: 92,
} as const;

export const COMM_LEN = 16;

/** kestrel_hdr.flags */
export const REC_F_TRUNCATED = 0x0001;
export const REC_F_READ_FAULT = 0x0002;
export const REC_F_SYNTHETIC = 0x8000;

/** lens[] word */
export const PARAM_TRUNC = 0x8000;
export const PARAM_LEN_MASK = 0x7fff;

/** execve `flags` param (Falco's PPM_EXE_*). */
export const EXE_WRITABLE = 0x1;
export const EXE_UPPER_LAYER = 0x2;
export const EXE_FROM_MEMFD = 0x4;
export const EXE_LOWER_LAYER = 0x8;

/** enum kestrel_param_type */
export enum PT {
  NONE = 0,
  FD = 1,
  ERRNO = 2,
  PID = 3,
  INT64 = 4,
  UINT64 = 5,
  UINT32 = 6,
  INT32 = 7,
  UINT16 = 8,
  UINT8 = 9,
  FLAGS32 = 10,
  ENUMFLAGS32 = 11,
  ENUMFLAGS16 = 12,
  ENUMFLAGS8 = 13,
  MODE = 14,
  UID = 15,
  GID = 16,
  SIGTYPE = 17,
  ABSTIME = 18,
  CHARBUF = 19,
  FSPATH = 20,
  FSRELPATH = 21,
  BYTEBUF = 22,
  ARGV = 23,
  SOCKADDR = 24,
  SOCKTUPLE = 25,
}

export const PT_NAMES: Record<string, PT> = {
  NONE: PT.NONE,
  FD: PT.FD,
  ERRNO: PT.ERRNO,
  PID: PT.PID,
  INT64: PT.INT64,
  UINT64: PT.UINT64,
  UINT32: PT.UINT32,
  INT32: PT.INT32,
  UINT16: PT.UINT16,
  UINT8: PT.UINT8,
  FLAGS32: PT.FLAGS32,
  ENUMFLAGS32: PT.ENUMFLAGS32,
  ENUMFLAGS16: PT.ENUMFLAGS16,
  ENUMFLAGS8: PT.ENUMFLAGS8,
  MODE: PT.MODE,
  UID: PT.UID,
  GID: PT.GID,
  SIGTYPE: PT.SIGTYPE,
  ABSTIME: PT.ABSTIME,
  CHARBUF: PT.CHARBUF,
  FSPATH: PT.FSPATH,
  FSRELPATH: PT.FSRELPATH,
  BYTEBUF: PT.BYTEBUF,
  ARGV: PT.ARGV,
  SOCKADDR: PT.SOCKADDR,
  SOCKTUPLE: PT.SOCKTUPLE,
};

/** Whether a param type is a signed integer (decoder sign-extends shorter encodings). */
export function isSigned(t: PT): boolean {
  return t === PT.FD || t === PT.ERRNO || t === PT.PID || t === PT.INT64 || t === PT.INT32;
}

/** Whether a param type is numeric (fixed-size little-endian integer). */
export function isNumeric(t: PT): boolean {
  return t >= PT.FD && t <= PT.ABSTIME;
}

/** Natural byte size of a numeric param type (what the encoder writes). */
export function numericSize(t: PT): number {
  switch (t) {
    case PT.FD:
    case PT.ERRNO:
    case PT.PID:
    case PT.INT64:
    case PT.UINT64:
    case PT.ABSTIME:
      return 8;
    case PT.UINT16:
    case PT.ENUMFLAGS16:
      return 2;
    case PT.UINT8:
    case PT.ENUMFLAGS8:
    case PT.SIGTYPE:
      return 1;
    default:
      return 4;
  }
}

export function alignRecord(n: number): number {
  return (n + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}
