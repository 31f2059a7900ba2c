import { defineConfig } from 'vitest/config';

// One run covers every package; sibling packages are read from source through
// the "@hap/source" export condition, so nothing needs to be built to test.
export default defineConfig({
  resolve: { conditions: ['@hap/source'] },
  ssr: { resolve: { conditions: ['@hap/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    // The reload comparison with HAProxy measures connection losses: it runs alone, after
    // the rest (scripts/test.sh), so that other test files do not take its CPU.
    exclude: process.env['HAP_SERIAL_TESTS']
      ? []
      : [
          '**/node_modules/**',
          'apps/haproxyd/test/reload.test.ts',
          'apps/haproxyd/test/master-reload.test.ts',
          'apps/haproxyd/test/master-state.test.ts',
          'apps/haproxyd/test/getsocks.test.ts',
        ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
