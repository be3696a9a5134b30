import { defineConfig } from 'vitest/config';

// One run over every package and app, so `npm test` prints a single summary.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
