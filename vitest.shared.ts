import { defineConfig } from 'vitest/config';
import { basename } from 'node:path';

/**
 * One vitest configuration for every project. Each project's run also writes a JSON result file
 * under tmp/vitest/, which tools/scripts/test.mjs sums into the closing "N passed, N failed" line.
 * Forks, not threads: WebAssembly memory (HiGHS) is only given back when a process exits.
 */
export function projectConfig(projectDir: string, options: { testTimeoutMs?: number } = {}) {
  const name = basename(projectDir);
  return defineConfig({
    test: {
      name,
      root: projectDir,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      watch: false,
      pool: 'forks',
      testTimeout: options.testTimeoutMs ?? 60_000,
      hookTimeout: 60_000,
      reporters: ['default', ['json', { outputFile: `${projectDir}/../../tmp/vitest/${name}.json` }]],
    },
  });
}
