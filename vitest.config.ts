import { defineConfig } from 'vitest/config';

// Tests import the TypeScript sources directly; end-to-end suites start the compiled broker
// (`npm test` builds first), so both views of the code are exercised.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
