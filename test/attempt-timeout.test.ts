// `timeout` bounds an attempt from its start, however steadily go progresses: a download that
// keeps finishing requests but would take longer than `timeout` in total is killed at
// `timeout`. (stall-timeout is the other bound: no progress for that long.)
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 8 })
})
afterEach(proxies.closeAll)

describe('timeout', () => {
  it('ends an attempt that finishes a request every 0.4 s but needs longer than timeout in all', async () => {
    // Every answer takes 0.4 s, far inside stall-timeout; go asks one at a time (GOMAXPROCS=1),
    // and needs about 24 of them (.mod, .info, .zip of 8 modules): some 10 s against a 4 s timeout.
    const slow = await proxies.start(healthy, { latencyMs: 400 })
    const run = await runScenario(
      universe,
      { proxies: slow.url, prefetch: 'false', timeout: '4s', 'stall-timeout': '3s', retries: '0' },
      { env: { GOMAXPROCS: '1' } }
    )

    expect(run.failed).toBe(true)
    expect(run.outputs.attempts).toBe('1')
    expect(run.summary).toMatch(new RegExp(`\\| 1 \\| ${slow.url} \\| ❌ timeout \\| (4|5)\\.\\d+s \\|`))
    expect(run.log).toMatch(/::warning::Attempt 1 \(.*\): timeout after (4|5)\.\d+s/)
    // It was progressing when it was killed: go had finished requests throughout, not stalled.
    const answered = run.log.split('\n').filter(l => new RegExp(`^# get ${slow.url}/\\S+: 200 `).test(l))
    expect(answered.length).toBeGreaterThanOrEqual(6)
    expect(answered.length).toBeLessThan(slow.requests.length + 1)
    expect(answered.filter(l => l.includes('.zip: 200')).length).toBeLessThan(universe.modules.length)
  })
})
