// Everything the syscall fields can reach beyond the record: the state tables and the few
// host facts (boot time, hostname) a capture carries along so a replay answers the same.
import { agentHostname } from '../../../engine/hostname.js';
import { ContainerStore } from './containers.js';
import { ThreadTable } from './threads.js';
import { UserDb } from './users.js';

/** Counters of what decoding and state tracking saw; the agent exports them as metrics. */
export interface SyscallStats {
  records: number;
  /** Records of a type this build does not know (skipped). */
  unknownType: number;
  /** Records with at least one truncated param. */
  truncatedRecords: number;
  /** Records with a param the kernel could not read. */
  readFaults: number;
  /** Threads first seen in a record (not from /proc or a fork record). */
  threadsFromRecords: number;
  /** /proc reads for processes first seen in a record (live mode). */
  procLookups: number;
  procLookupFailures: number;
  /** fd numbers used by a record but unknown to the state. */
  fdMisses: number;
}

export function newStats(): SyscallStats {
  return {
    records: 0,
    unknownType: 0,
    truncatedRecords: 0,
    readFaults: 0,
    threadsFromRecords: 0,
    procLookups: 0,
    procLookupFailures: 0,
    fdMisses: 0,
  };
}

export interface SyscallContext {
  /** Added to record timestamps (CLOCK_BOOTTIME) to get ns since the epoch. */
  bootEpochNs: bigint;
  hostname: string;
  threads: ThreadTable;
  users: UserDb;
  containers: ContainerStore;
  stats: SyscallStats;
}

export function newContext(parts: Partial<SyscallContext> = {}): SyscallContext {
  return {
    bootEpochNs: parts.bootEpochNs ?? 0n,
    hostname: parts.hostname ?? agentHostname(),
    threads: parts.threads ?? new ThreadTable(),
    users: parts.users ?? new UserDb(),
    containers: parts.containers ?? new ContainerStore(),
    stats: parts.stats ?? newStats(),
  };
}
