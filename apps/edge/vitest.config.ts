import { defineProject } from 'vitest/config';

export default defineProject({
  // Resolve workspace packages to their TypeScript sources (the "source" export
  // condition), so tests never run against a stale dist/.
  resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] },
  ssr: { resolve: { conditions: ['source', 'import', 'module', 'node', 'default'] } },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // the heap test needs --expose-gc: vitest.gc.config.ts (`pnpm test:heap`)
    exclude: ['test/heap/**', '**/node_modules/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // the process tests spawn edges and sipp (and one floods the loopback): one file at a time
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
  },
});
