// The k8s_audit source as one module: Kubernetes audit events from kube-apiserver's webhook
// backend (or an audit log), their fields, the `sources.k8s_audit` settings, and the runner.
import type { SourceModule } from '../source-module.js';
import { k8sAuditConfigSection, type K8sAuditConfig } from './config.js';
import type { AuditEvent } from './event.js';
import { K8sAuditRunner } from './runner.js';
import { k8sAuditSource } from './source.js';

export const k8sAuditModule = {
  name: 'k8s_audit',
  eventSource: k8sAuditSource,
  config: k8sAuditConfigSection,
  createRunner: (config) => new K8sAuditRunner(config),
} as const satisfies SourceModule<K8sAuditConfig, AuditEvent>;
