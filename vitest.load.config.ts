import { defineConfig } from 'vitest/config';

// The long load test (npm run test:load): 10,000 jobs through the full stack. Kept out of `npm test`.
export default defineConfig({
  test: {
    include: ['test/load/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
