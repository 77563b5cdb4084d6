// The syscall source as one module: syscall events from the eBPF collector or a capture, their
// fields, the `sources.syscall` settings, and the live runner.
import type { SourceModule } from '../source-module.js';
import { syscallConfigSection, type SyscallSourceConfig } from './config.js';
import { SyscallRunner } from './runner.js';
import { syscallSource } from './source.js';
import type { SyscallEvent } from './syscall-event.js';

export const syscallModule = {
  name: 'syscall',
  eventSource: syscallSource,
  config: syscallConfigSection,
  createRunner: (config) => new SyscallRunner(config),
} as const satisfies SourceModule<SyscallSourceConfig, SyscallEvent>;
