import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests run the real go against loopback servers; keep them apart
    // from each other's environment variables and give them room to prove "no hang".
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
