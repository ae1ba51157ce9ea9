// The fast unit tests of the pure decision modules, alone: what `npm run mutate` (Stryker) runs
// against each mutant. No go and no network beyond what a test file starts itself.
import path from 'node:path'
import { defineConfig } from 'vitest/config'
import { goBinary } from './test/support/go.ts'

export const UNIT_TESTS = [
  'test/cache-entry-rules.test.ts',
  'test/cache.test.ts',
  'test/classify.test.ts',
  'test/direct.test.ts',
  'test/download-plan.test.ts',
  'test/duration.test.ts',
  'test/go-words.test.ts',
  'test/goproxy-entries.test.ts',
  'test/goproxy.test.ts',
  'test/gosum.test.ts',
  'test/inputs.test.ts',
  'test/markdown.test.ts',
  'test/matches.test.ts',
  'test/module-protocol.test.ts',
  'test/module-rules.test.ts',
  'test/private.test.ts',
  'test/proxy-env.test.ts',
  'test/ranking.test.ts',
  'test/request-path.test.ts',
  'test/retry.test.ts',
  'test/rules.test.ts',
  'test/semver.test.ts',
  'test/sumdb-request.test.ts',
  'test/summary-post.test.ts',
  'test/summary-render.test.ts',
  'test/summary.test.ts',
  'test/timer-bounds.test.ts',
  'test/timing.test.ts',
  'test/untrusted.test.ts',
  'test/userinfo.test.ts',
  'test/vouched.test.ts'
]

export default defineConfig({
  test: {
    include: UNIT_TESTS,
    // Pure tests share one module graph: a run takes 1 s instead of 5 (Stryker runs hundreds).
    isolate: false,
    // A scratch TMPDIR per run (and the proxyfor oracle, built once): as for npm test.
    globalSetup: ['test/support/global-setup.ts'],
    // Every mutated module imported before any test: their module-level mutants are static, whatever the order of the files.
    setupFiles: ['test/support/mutate-setup.ts'],
    env: { PATH: [path.dirname(goBinary()), process.env.PATH].join(path.delimiter) }
  }
})
