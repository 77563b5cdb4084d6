import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Live eBPF and podman tests share one kernel and one ring buffer: keep files serial where they ask.
    pool: 'forks',
  },
});
