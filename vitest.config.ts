import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'services/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/support/vitestSetup.ts'],
    // The JSON report lets CI print one plain closing line of counts.
    reporters: ['default', ['json', { outputFile: 'out/test-results.json' }]],
  },
});
