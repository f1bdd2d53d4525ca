import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker on two cores; most e2e and integration files wait on
    // local servers and child processes, so two files at a time finish sooner. Files that
    // bind fixed ports (local-mode: the ingest API's 8322) keep their tests in one file.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_METRICS_DISABLED: 'true' },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
