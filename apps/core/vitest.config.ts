import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Resolve workspace packages to their TypeScript sources (the "source" export
  // condition), so tests never run against a stale dist/.
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: {
    resolve: {
      conditions: ['source', 'import', 'module', 'node', 'default'],
      externalConditions: ['source'],
    },
  },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/e2e/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // the process tests spawn edges, cores, redis and sipp on a 2-core machine: one file at a time
    fileParallelism: false,
  },
});
