// Which live sources the agent can run, by name. A source adds itself here with one line.
import type { AgentConfig } from './config.js';
import type { SourceRunner } from './source-runner.js';
import { K8sAuditRunner } from '../sources/k8saudit/runner.js';
import { SyscallRunner } from '../sources/syscall/runner.js';

export type RunnerFactory = (config: AgentConfig) => SourceRunner | Promise<SourceRunner>;

export const sourceRunners: Record<string, RunnerFactory> = {
  k8s_audit: (c) => new K8sAuditRunner(c.sources.k8s_audit),
  syscall: (c) => new SyscallRunner(c.sources.syscall),
};
