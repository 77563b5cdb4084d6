// The hostname of alerts, metrics and evt.hostname: KESTREL_HOSTNAME, then Falco's FALCO_HOSTNAME,
// then the kernel's.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { agentHostname } from '../../src/engine/hostname.js';

describe('agent hostname', () => {
  it('KESTREL_HOSTNAME wins, then FALCO_HOSTNAME, then the kernel hostname; empty values do not count', () => {
    expect(agentHostname({ KESTREL_HOSTNAME: 'node-k', FALCO_HOSTNAME: 'node-f' })).toBe('node-k');
    expect(agentHostname({ FALCO_HOSTNAME: 'node-f' })).toBe('node-f');
    expect(agentHostname({ KESTREL_HOSTNAME: '', FALCO_HOSTNAME: '' })).toBe(hostname());
    expect(agentHostname({})).toBe(hostname());
  });
});
