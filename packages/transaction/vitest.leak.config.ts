import { defineConfig } from 'vitest/config';

// The leak test needs global.gc: its own forked worker with --expose-gc.
export default defineConfig({
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] } },
  test: {
    name: 'transaction-leak',
    include: ['test/leak/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'], singleFork: true } },
    testTimeout: 120_000,
  },
});
