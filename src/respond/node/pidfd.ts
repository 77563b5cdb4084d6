// pidfd_open/pidfd_send_signal from the native addon (native/addon/pidfd.cc). Node has no pidfd
// API, and kill(pid) may reach a process that reused the number; a pidfd cannot.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface PidfdApi {
  /** Throws an Error with code 'ESRCH' when the process does not exist. */
  pidfdOpen(pid: number): number;
  /** 0 when sent, else the errno (ESRCH: the process has exited). */
  pidfdSendSignal(fd: number, signal: number): number;
  bootEpochNs(): bigint;
  ESRCH: number;
}

const ADDON = fileURLToPath(new URL('../../../native/build/Release/kestrel_collector.node', import.meta.url));

let cached: PidfdApi | Error | undefined;

/** The pidfd functions, or an Error saying why they are unavailable. */
export function pidfdApi(): PidfdApi | Error {
  if (cached) return cached;
  if (!existsSync(ADDON)) return (cached = new Error(`the native addon is not built (${ADDON} is missing): run scripts/build-native.sh`));
  try {
    const a = createRequire(import.meta.url)(ADDON) as Partial<PidfdApi>;
    cached = typeof a.pidfdOpen === 'function' ? (a as PidfdApi) : new Error(`the native addon ${ADDON} predates pidfd support: rebuild it (scripts/build-native.sh)`);
  } catch (err) {
    cached = new Error(`cannot load the native addon ${ADDON}: ${(err as Error).message}`);
  }
  return cached;
}
