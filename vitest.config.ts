import path from 'node:path'
import { defineConfig } from 'vitest/config'
import { goBinary } from './test/support/go.ts'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds act and the cache server (first run only; about a minute).
    globalSetup: ['test/support/global-setup.ts'],
    // Each file in its own process: integration tests set environment variables and run go.
    pool: 'forks',
    // Two files at a time, even on 2 cores (vitest's default there is one): most of the suite's
    // time is spent waiting out stalls and timeouts, not computing.
    maxWorkers: 2,
    // Generous: tests bound time only to prove that nothing hangs.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The action looks for go on PATH, as on a runner; a fresh machine may not have it there.
    env: { PATH: [path.dirname(goBinary()), process.env.PATH].join(path.delimiter) }
  }
})
