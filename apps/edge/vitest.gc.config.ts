import { defineConfig } from 'vitest/config';

// The no-per-call-state heap test needs global.gc: its own forked worker with --expose-gc.
// `pnpm test` runs this after vitest.config.ts; `pnpm test:heap` runs it alone.
export default defineConfig({
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] } },
  test: {
    name: 'edge-heap',
    include: ['test/heap/**/*.gc.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'], singleFork: true } },
    testTimeout: 120_000,
  },
});
