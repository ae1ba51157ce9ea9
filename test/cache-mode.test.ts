// What the runner allows of the cache (ACTIONS_CACHE_MODE), and what a cache service refuses by
// policy ("cache read denied", "cache write denied"), through the real service (act's, on
// loopback, fronted by the refusal the real service answers such a token with) and
// @actions/cache's real client. A job that may not write is restore-only by policy, never a
// failed save; one that may do neither says so, and touches no entry.
import { rmSync } from 'node:fs'
import { beforeEach, describe, expect, it } from 'vitest'
import { CACHE_READ_DENIED_PREFIX, CACHE_WRITE_DENIED_PREFIX } from '@actions/cache'
import { getCacheMode, isCacheReadable, isCacheWritable } from '../node_modules/@actions/cache/lib/internal/config.js'
import { cacheMode, modeReadable, modeWritable, READ_DENIED, WRITE_DENIED } from '../src/cache/mode.ts'
import { tempModcache } from './support/go.ts'
import { healthy, type ProxyServer } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { cacheWorld } from './support/cache-world.ts'

const world = cacheWorld(4)
const { proxies, services } = world

const zipsAsked = (server: ProxyServer) => server.requests.filter(r => r.endsWith('.zip'))
/** The folded Cache section's summary line. */
const cacheLine = (summary: string) => /<summary>Cache: (.*)<\/summary>/.exec(summary)?.[1]
/** Warnings and errors the step's log raised (annotations on the job). */
const annotations = (log: string) => log.split('\n').filter(line => /^::(warning|error)/.test(line))

/** The same GOMODCACHE path for every run of a test (the cache version covers the path), emptied before each: a fresh runner. */
let modcache: string
beforeEach(() => {
  modcache = tempModcache()
})

/** A run on a fresh runner, with the step environment of `service` and ACTIONS_CACHE_MODE `mode` (unset when undefined). */
async function run(service: { env: Record<string, string> }, mode?: string) {
  const server = await proxies.start(healthy)
  rmSync(modcache, { recursive: true, force: true })
  const result = await runScenario(world.universe, { proxies: server.url }, { modcache, env: { ...service.env, ...(mode === undefined ? {} : { ACTIONS_CACHE_MODE: mode }) } })
  expect(result.failed, result.log).toBe(false)
  expectComplete(result.modcache, world.universe.modules)
  return { ...result, server }
}

describe('the rule, as @actions/cache has it', () => {
  // The engine restates the library's rule (it may not import @actions/*): the library is the oracle.
  const modes = ['', 'none', 'read', 'write', 'write-only', ' READ ', 'Write-Only', 'readonly', 'both', 'none\n', 'write only']

  it('reads ACTIONS_CACHE_MODE as the library does, and allows what it allows', () => {
    const saved = process.env.ACTIONS_CACHE_MODE
    try {
      for (const value of modes) {
        process.env.ACTIONS_CACHE_MODE = value
        const theirs = getCacheMode()
        expect({ value, mode: cacheMode(), readable: modeReadable(cacheMode()), writable: modeWritable(cacheMode()) }).toEqual({ value, mode: theirs, readable: isCacheReadable(theirs), writable: isCacheWritable(theirs) })
      }
    } finally {
      if (saved === undefined) delete process.env.ACTIONS_CACHE_MODE
      else process.env.ACTIONS_CACHE_MODE = saved
    }
  })

  it('tells the service’s refusals apart by the library’s prefixes', () => {
    expect([READ_DENIED, WRITE_DENIED]).toEqual([CACHE_READ_DENIED_PREFIX, CACHE_WRITE_DENIED_PREFIX])
  })
})

describe('ACTIONS_CACHE_MODE', () => {
  it('read: the entry is restored, nothing is saved, and the summary says restore-only by policy, not a failed save', async () => {
    const service = await services.start()
    const cold = await run(service, 'read')
    expect(await service.entries()).toEqual([])
    expect(cacheLine(cold.summary)).toBe('restore miss; restore-only by policy (ACTIONS_CACHE_MODE is read)')
    expect(cold.summary).not.toMatch(/failed/)
    expect(annotations(cold.log).filter(a => /save/i.test(a))).toEqual([])

    // An entry a writing job saved is read by a read-only one.
    await run(service, 'write')
    expect(await service.entries()).toHaveLength(1)
    const warm = await run(service, ' READ ')
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(zipsAsked(warm.server)).toEqual([])
    expect(await service.entries()).toHaveLength(1)
  })

  it('none: neither restored nor saved, and said so; an entry that is there is not read', async () => {
    const service = await services.start()
    await run(service)
    expect(await service.entries()).toHaveLength(1)

    const off = await run(service, 'none')
    expect(off.outputs['cache-hit']).toBe('false')
    expect(zipsAsked(off.server)).toHaveLength(world.universe.modules.length)
    expect(cacheLine(off.summary)).toBe('off by policy (ACTIONS_CACHE_MODE is none): neither restored nor saved')
    expect(off.log).toContain('Cache: not read, by policy (ACTIONS_CACHE_MODE is none)')
    expect(await service.entries()).toHaveLength(1)
  })

  it('write-only: not restored, and saved', async () => {
    const service = await services.start()
    const run1 = await run(service, 'write-only')
    expect(cacheLine(run1.summary)).toMatch(/^restore 🔒 not read, by policy \(ACTIONS_CACHE_MODE is write-only\); saved, /)
    expect(await service.entries()).toHaveLength(1)
  })
})

describe('refusals by policy from the cache service', () => {
  it('"cache write denied": restore-only by policy, no warning, no entry', async () => {
    const service = await services.start('write-denied')
    const denied = await run(service)
    expect(await service.entries()).toEqual([])
    expect(cacheLine(denied.summary)).toMatch(/^restore miss; restore-only by policy \(the cache service answered “cache write denied”\), /)
    expect(annotations(denied.log)).toEqual([])
    // @actions/cache's own words stay in the log, as text.
    expect(denied.log).toMatch(/^Failed to save: .*cache write denied: the token for this run is read-only/m)
  })

  it('"cache read denied": not read by policy, not a failed restore; the save goes on', async () => {
    const service = await services.start('read-denied')
    const denied = await run(service)
    expect(cacheLine(denied.summary)).toMatch(/^restore 🔒 not read, by policy \(the cache service answered “cache read denied”\); saved, /)
    expect(annotations(denied.log)).toEqual([])
    expect(await service.entries()).toHaveLength(1)
  })
})
