import { defineConfig } from 'vitest/config';

/** Multi-process runs against a private nats-server (SPEC §8's "Done when"), one file at a time. */
export default defineConfig({
  test: {
    name: 'integration',
    root: import.meta.dirname,
    include: ['integration/**/*.test.ts'],
    watch: false,
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 400_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: `${import.meta.dirname}/../tmp/vitest/integration.json` }]],
  },
});
