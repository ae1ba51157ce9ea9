// The module cache through a real cache service (act's, on loopback) with @actions/cache's
// real client and tar: what is saved, under which key, and what a later run gets back.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { processesWithEnv } from './support/action.ts'
import { type CacheEntry, type CacheService, cacheEnv, startCacheService } from './support/cache-service.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { type Fault, healthy, type ProxyServer, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario, type Where } from './support/scenario.ts'
import { makeUniverse, type Universe, writeSample } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault: Fault = healthy) => proxies.start(fault)
const services: CacheService[] = []

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 7 })
})

afterEach(async () => {
  await Promise.all([proxies.closeAll(), ...services.splice(0).map(s => s.close())])
})

async function cacheService(): Promise<CacheService> {
  const service = await startCacheService()
  services.push(service)
  return service
}

const runAction = (inputs: Record<string, string>, where: Where) => runScenario(universe, inputs, where)

/** The same GOMODCACHE path, emptied: a fresh runner (the cache version covers the path). */
function emptied(modcache: string): string {
  rmSync(modcache, { recursive: true, force: true })
  return modcache
}

const zipsAsked = (server: ProxyServer) => server.requests.filter(r => r.endsWith('.zip'))

describe('a real cache service', () => {
  it.each(['everything', 'downloads'])('cache-contents %s: a cold run saves one entry under the cache key; a warm run restores it and asks no proxy anything', async contents => {
    const service = await cacheService()
    const modcache = tempModcache()
    const cold = await runAction({ proxies: (await proxy()).url, 'cache-contents': contents }, { modcache, env: service.env })

    expect(cold.failed, cold.log).toBe(false)
    expect(cold.outputs['cache-hit']).toBe('false')
    const entries = await service.entries()
    expect(entries.map(e => e.key)).toEqual([cold.outputs['cache-key']?.toLowerCase()])
    expect(entries[0]?.cacheSize).toBeGreaterThan(0)
    const members = await service.archiveMembers(entries[0] as CacheEntry)
    const extracted = members.filter(m => m.endsWith('/example.com/fixture/m002@v1.0.0/m002.go'))
    expect(members.filter(m => m.endsWith('/cache/download/example.com/fixture/m002/@v/v1.0.0.zip'))).toHaveLength(1)
    expect(extracted).toHaveLength(contents === 'everything' ? 1 : 0)
    expect(cold.summary).toMatch(/\| miss, [^|]*\| \S+ \| — \| saved/)

    const fresh = [await proxy(), await proxy()]
    const warm = await runAction({ proxies: fresh.map(p => p.url).join(','), 'cache-contents': contents }, { modcache: emptied(modcache), env: service.env })

    expect(warm.failed, warm.log).toBe(false)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(fresh.map(p => p.requests.length)).toEqual([0, 0])
    expectComplete(modcache, universe.modules)
    // What came back is a working module cache on its own.
    await go(['mod', 'download'], universe.sampleDir, offlineGoEnv(modcache))
    expect(warm.summary).toMatch(/✅ hit/)
    expect(warm.summary).toContain('not saved: the exact key was restored')
    expect(await service.entries()).toHaveLength(1)
  })

  it('go.sum gains a module: restored by prefix, only the new module fetched, saved under the new key unless save-cache is false', async () => {
    const service = await cacheService()
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'grows-'))
    const sample = path.join(workspace, 'sample')
    const [added] = universe.modules.slice(-1)
    await writeSample(sample, 'example.com/sample', universe.modules.slice(0, -1), universe.proxyDir)
    const modcache = tempModcache()
    const runGrown = (inputs: Record<string, string>) =>
      runAction({ 'working-directory': 'sample', ...inputs }, { workspace, modcache: emptied(modcache), env: service.env })
    const first = await runGrown({ proxies: (await proxy()).url })
    expect(first.failed, first.log).toBe(false)

    await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
    const restoreOnly = await runGrown({ proxies: (await proxy()).url, 'save-cache': 'false' })
    expect(restoreOnly.failed, restoreOnly.log).toBe(false)
    expect(restoreOnly.summary).toMatch(/🟡 partial/)
    expect(restoreOnly.summary).toContain('not saved: save-cache is false')
    expect(await service.entries()).toHaveLength(1)

    const server = await proxy()
    const second = await runGrown({ proxies: server.url })
    expect(second.failed, second.log).toBe(false)
    expect(second.outputs['cache-hit']).toBe('false')
    expect(second.outputs['cache-key']).not.toBe(first.outputs['cache-key'])
    expect(zipsAsked(server)).toEqual([`/${added?.path}/@v/${added?.version}.zip`])
    // Besides the new module, at most the probe's one .mod request.
    expect(server.requests.filter(r => !r.includes(`/${added?.pkg}/`)).length).toBeLessThanOrEqual(1)
    expectComplete(modcache, universe.modules)
    const keys = (await service.entries()).map(e => e.key).sort()
    expect(keys).toEqual([first.outputs['cache-key'], second.outputs['cache-key']].map(k => k?.toLowerCase()).sort())
  })

  it('a failed download saves nothing', async () => {
    const service = await cacheService()
    const portal = await proxy({ kind: 'html' })
    const run = await runAction({ proxies: portal.url, retries: '0' }, { env: service.env })

    expect(run.failed).toBe(true)
    expect(run.summary).toContain('not saved: the download did not complete')
    expect(await service.entries()).toEqual([])
  })

  it('restores onto a module cache that already holds read-only files', async () => {
    const service = await cacheService()
    const modcache = tempModcache()
    const cold = await runAction({ proxies: (await proxy()).url }, { modcache, env: service.env })
    expect(cold.failed, cold.log).toBe(false)

    // What a plain `go mod download` leaves: read-only module directories, here with one module gone.
    rmSync(path.join(modcache, 'cache', 'download', 'example.com', 'fixture', 'm002'), { recursive: true })
    makeReadOnly(modcache)
    const server = await proxy()
    const warm = await runAction({ proxies: server.url }, { modcache, env: service.env })

    expect(warm.failed, warm.log).toBe(false)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(warm.log).not.toMatch(/File exists|Cannot open|Failed to restore|restore failed/)
    expect(server.requests).toEqual([])
    expectComplete(modcache, universe.modules)
  })
})

/** What this process prints while `work` runs and for a moment after. */
async function outputWhile(work: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0) as typeof process.stdout.write
  try {
    await work()
    await sleep(500)
  } finally {
    process.stdout.write = write
  }
  return chunks.join('')
}

function makeReadOnly(dir: string): void {
  for (const name of readdirSync(dir)) {
    const child = path.join(dir, name)
    if (statSync(child).isDirectory()) makeReadOnly(child)
  }
  chmodSync(dir, 0o555)
}

describe('a cache service that misbehaves', () => {
  it.each<[string, () => Promise<string>]>([
    ['is down (port closed)', async () => (await proxy({ kind: 'refused' })).url],
    ['answers HTTP 500', async () => (await proxy({ kind: 'status', status: 500 })).url],
    ['never answers', async () => (await proxy({ kind: 'hang' })).url]
  ])('%s: a warning, the download succeeds, the cache costs at most its timeout twice', async (_, serviceUrl) => {
    const env = cacheEnv(`${await serviceUrl()}/`)
    const good = await proxy()
    const started = Date.now()
    const run = await runAction({ proxies: good.url, 'cache-timeout': '3s' }, { env })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(run.log).toMatch(/::warning::.*(restore|save)/i)
    expect(run.outputs['cache-hit']).toBe('false')
    // Restore and save each bounded by cache-timeout; the rest is generous slack for go.
    expect(Date.now() - started).toBeLessThan(6_000 + 30_000)
    // The restore ran in its own process, killed at its deadline: nothing of it lives on to
    // extract into the module cache later, nor to log once the service finally lets go.
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
    expect(await outputWhile(proxies.closeAll)).not.toMatch(/cache|restore/i)
  })
})
