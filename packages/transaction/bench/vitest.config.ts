import { defineConfig } from 'vitest/config';

// Benchmarks are code (ARCHITECTURE.md §3 item 7): run as a vitest file so
// they resolve workspace sources like the tests; `pnpm bench` prints results.
export default defineConfig({
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] } },
  test: {
    include: ['bench/**/*.bench.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    testTimeout: 300_000,
  },
});
