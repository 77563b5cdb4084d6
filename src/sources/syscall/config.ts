// Settings of the syscall source (the `sources.syscall` section of the agent config). The agent
// checks a user's section against these defaults' shape and fills in what it leaves out.
import type { ConfigSection } from '../source-module.js';

/** sources.syscall in the agent config. */
export interface SyscallSourceConfig {
  enabled: boolean;
  /** BPF ring buffer bytes (power of two). */
  ring_buffer_bytes: number;
  /** Bytes per batch handed to JavaScript. */
  batch_bytes: number;
  /** Batches waiting for evaluation before the reader stops reading (backpressure). */
  max_pending_batches: number;
  /** Longest a record waits in the kernel before the reader looks, ms. */
  poll_interval_ms: number;
  /** Bytes of send/recv data captured per record (<= 256). */
  data_snaplen: number;
  /** Where /proc is (/host/proc when Kestrel runs in a container). */
  proc_root: string;
}

export const SYSCALL_DEFAULTS: SyscallSourceConfig = {
  enabled: true,
  ring_buffer_bytes: 16 << 20,
  batch_bytes: 512 << 10,
  max_pending_batches: 4,
  poll_interval_ms: 10,
  data_snaplen: 256,
  proc_root: '/proc',
};

export const syscallConfigSection: ConfigSection<SyscallSourceConfig> = {
  defaults: SYSCALL_DEFAULTS,
  check(c, path) {
    const errors: string[] = [];
    const pow2 = (n: number) => Number.isInteger(n) && n >= 4096 && (n & (n - 1)) === 0;
    if (!pow2(c.ring_buffer_bytes)) errors.push(`${path}.ring_buffer_bytes must be a power of two of at least 4096, not ${c.ring_buffer_bytes}`);
    if (!Number.isInteger(c.data_snaplen) || c.data_snaplen > 256) errors.push(`${path}.data_snaplen must be an integer from 0 to 256`);
    return errors;
  },
};
