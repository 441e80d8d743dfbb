import { defineConfig } from 'vitest/config';

/**
 * `npm run test:crash`: the crash test alone. Not in `npm test` (its files are `*.check.ts`, outside
 * the main config's `*.test.ts`), and no JSON report: CI's closing line counts `npm test`'s.
 */
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/crash/**/*.check.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // one scenario at a time: each needs the machine's cores for its burst
    fileParallelism: false,
    reporters: ['default'],
  },
});
