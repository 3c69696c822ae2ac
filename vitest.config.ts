import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/sequencer.ts';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'sdk/**/*.test.ts', 'test/**/*.test.ts'],
    // Each database test file boots its own PGlite (~0.7 GB) and PostgreSQL database; two at a time
    // fit a 2-core, 24 GB machine. Three were tried: the browsers keep both cores busy, so the run
    // took longer (the load average near 10) and the timing-sensitive suites suffered.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    sequence: { sequencer: LongestFirstSequencer },
    // Browser tests wait for screens with expect.poll; a loaded 2-core machine needs more than 1 s,
    // and with three suites side by side a cold screen can take well over ten.
    expect: { poll: { timeout: 25_000, interval: 100 } },
    // A browser step that found no element within its 30 s (Playwright's "Timeout …ms exceeded") is
    // run once more: on a CI machine loaded above 5 per core a screen has, rarely, taken longer. Every
    // other failure, and the same timeout twice, fails the run.
    retry: { count: 1, condition: /Timeout \d+ms exceeded/ },
  },
});
