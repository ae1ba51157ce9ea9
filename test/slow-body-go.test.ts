// The slow-body family (headers then silence, a drip, half a body, a chunked body that never
// ends, a TLS handshake that drips, a redirect to a silent host) met by the step's own go: from
// the chain itself (prefetch: false) and through the local proxy. First in line with a healthy
// candidate behind it, the step must move past it within the stall rules; alone, it must fail
// in bounded time, naming it, saving nothing. The other paths: slow-body-later.test.ts.
import { describe, expect, it } from 'vitest'
import { processesWithEnv } from './support/action.ts'
import { faultWorld, SLOW_BOUND_MS, SLOW_LIMITS, slowCandidates, timed } from './support/fault-world.ts'
import { slowModes } from './support/faults.ts'
import { healthy } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'

const { world, proxy } = faultWorld()
const slowCandidate = slowCandidates(proxy)

for (const [where, prefetch] of [
  ['go fetching from the chain itself (prefetch: false)', 'false'],
  ['go through the local proxy', 'true']
] as const) {
  describe.each(slowModes)(`${where}: a candidate that $name`, mode => {
    it('first, with a healthy one behind it: moved past within the stall rules, through the healthy one', async () => {
      const bad = await slowCandidate(mode, mode.fault(['.zip'], 1))
      const good = await proxy(healthy)
      const run = await timed(() => runScenario(world.universe, { ...SLOW_LIMITS, prefetch, proxies: `${bad.server.url},${good.url}` }, { env: bad.env }))

      expect(run.failed, run.log).toBe(false)
      expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
      expectComplete(run.modcache, world.universe.modules)
      expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
    })

    it('alone: a bounded failure that names it, with nothing saved', async () => {
      const bad = await slowCandidate(mode, mode.fault(['.zip'], 1))
      const run = await timed(() => runScenario(world.universe, { ...SLOW_LIMITS, prefetch, proxies: bad.server.url }, { env: { ...world.service.env, ...bad.env } }))

      expect(run.failed).toBe(true)
      expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
      const failure = run.log.split('\n').filter(l => l.startsWith('::error::')).join('\n')
      expect(failure).toContain(bad.server.url)
      expect(decodeURIComponent(failure.replace(/%0A/g, '\n'))).toMatch(/stall/)
      expect(run.summary).toContain('not saved: the download did not complete')
      expect(await world.service.entries()).toEqual([])
      expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
    })
  })
}
