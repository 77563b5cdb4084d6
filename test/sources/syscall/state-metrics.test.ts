import { describe, expect, it } from 'vitest';
import { registry } from '../../../src/telemetry/metrics.js';
import { newContext } from '../../../src/sources/syscall/state/context.js';
import { ContainerStore } from '../../../src/sources/syscall/state/containers.js';
import { UserDb } from '../../../src/sources/syscall/state/users.js';
import { exportStateMetrics } from '../../../src/sources/syscall/state/metrics.js';

describe('syscall state metrics', () => {
  it('counts container lookups and user table loads by result, and the table sizes', async () => {
    const containers = new ContainerStore(async (c) => (c.fullId.startsWith('a') ? { name: 'known' } : undefined));
    const users = new UserDb((key) => (key === '' ? { users: new Map(), groups: new Map() } : undefined));
    const ctx = newContext({ containers, users });
    exportStateMetrics(() => ctx);
    containers.ensure({ fullId: 'a'.repeat(64), type: 'docker' });
    containers.ensure({ fullId: 'b'.repeat(64), type: 'docker' });
    await containers.settle();
    users.get('', 1);
    users.get('cccccccccccc', 2);
    const text = await registry.metrics();
    expect(text).toContain('kestrel_syscall_container_lookups_total{result="ok"} 1');
    expect(text).toContain('kestrel_syscall_container_lookups_total{result="failed"} 1');
    expect(text).toContain('kestrel_syscall_user_table_loads_total{result="ok"} 1');
    expect(text).toContain('kestrel_syscall_user_table_loads_total{result="failed"} 1');
    expect(text).toContain('kestrel_syscall_tracked{table="containers"} 2');
  });
});
