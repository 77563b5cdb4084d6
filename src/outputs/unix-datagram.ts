// AF_UNIX datagram sockets (native/addon/unix_dgram.cc, built beside the collector by
// scripts/build-native.sh): what the syslog output sends /dev/log messages through.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

interface UnixDgramAddon {
  connect(path: string): number;
  send(fd: number, data: Buffer): number;
  close(fd: number): void;
  errorText(code: number): string;
}

const ADDON = fileURLToPath(new URL('../../native/build/Release/kestrel_unixdgram.node', import.meta.url));
let addon: UnixDgramAddon | undefined;

/** The addon, or why it is not there. */
export function unixDgram(): UnixDgramAddon | string {
  if (addon) return addon;
  if (!existsSync(ADDON)) return `the unix datagram addon is not built (${ADDON}; run scripts/build-native.sh)`;
  try {
    addon = createRequire(import.meta.url)(ADDON) as UnixDgramAddon;
    return addon;
  } catch (err) {
    return `cannot load ${ADDON}: ${(err as Error).message}`;
  }
}

export const ERRNO = { EAGAIN: 11, ENOENT: 2, ECONNREFUSED: 111, ENOTCONN: 107, EMSGSIZE: 90, ENOBUFS: 105, EPROTOTYPE: 91 } as const;
