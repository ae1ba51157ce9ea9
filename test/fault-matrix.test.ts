// Every way a module proxy misbehaves, each met twice: first in line with a healthy proxy
// behind it (the action must succeed through the healthy one), and alone (the action must
// fail clearly, in bounded time, saving nothing). The slow-body family is met on every path
// go's bytes take in slow-body-go.test.ts (go from the chain, go through the local proxy) and
// slow-body-later.test.ts (later steps, the checksum-database relay, the toolchain).
import { describe, expect, it } from 'vitest'
import { processesWithEnv } from './support/action.ts'
import { faultWorld } from './support/fault-world.ts'
import { modes } from './support/faults.ts'
import { healthy } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'

const { world, proxy } = faultWorld()

/** Short limits, so that every mode ends in seconds; the bound below follows from them. */
const LIMITS = { 'probe-timeout': '1s', 'stall-timeout': '2s', timeout: '6s', retries: '1' }
/** probe + (retries + 1) × (timeout + backoff), and generous slack for go itself. */
const BOUND_MS = 1_000 + 2 * (6_000 + 2_000) + 20_000

describe.each(modes)('a candidate that $name', ({ fault, options, alone }) => {
  it('first, with a healthy one behind it: succeeds through the healthy one', async () => {
    const bad = await proxy(fault, options?.())
    const good = await proxy(healthy)
    const run = await runScenario(world.universe, { ...LIMITS, proxies: `${bad.url},${good.url}` })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, world.universe.modules)
    // The summary says what the fetch saw of each candidate, should the order ever be wrong.
    expect(run.outputs.proxy, run.summary).toBe(good.url)
    expect(run.exported.GOPROXY?.split('|')[0]).toBe(good.url)
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })

  it('alone: a bounded failure that names it and what was wrong, with nothing saved', async () => {
    const bad = await proxy(fault, options?.())
    const started = Date.now()
    const run = await runScenario(world.universe, { ...LIMITS, proxies: bad.url }, { env: world.service.env })

    expect(run.failed).toBe(true)
    expect(Date.now() - started).toBeLessThan(BOUND_MS)
    const failure = run.log.split('\n').filter(l => l.startsWith('::error::')).join('\n')
    expect(failure).toContain(bad.url)
    expect(decodeURIComponent(failure.replace(/%0A/g, '\n'))).toMatch(alone)
    expect(run.summary).toContain('not saved: the download did not complete')
    expect(await world.service.entries()).toEqual([])
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })
})

describe('a candidate that fails every 3rd request', () => {
  it('first, with a healthy one behind it: succeeds, and the flaky one goes last', async () => {
    const flaky = await proxy({ kind: 'fail-every', every: 3 })
    const good = await proxy(healthy)
    const run = await runScenario(world.universe, { ...LIMITS, proxies: `${flaky.url},${good.url}` })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, world.universe.modules)
    expect(run.exported.GOPROXY).toBe(`${good.url}|${flaky.url}`)
  })

  it('alone: the fetch retries each failed file, so the download completes', async () => {
    const flaky = await proxy({ kind: 'fail-every', every: 3 })
    const run = await runScenario(world.universe, { ...LIMITS, proxies: flaky.url })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, world.universe.modules)
    // All 15 planned files verified, with retries (the Retries column).
    expect(run.summary).toMatch(/<summary>Fetch: .*<\/summary>\n\n.*\n.*\n\| 15 of 15 planned \| (?:[^|]+\| ){4}[1-9]\d* \|/)
  })
})
