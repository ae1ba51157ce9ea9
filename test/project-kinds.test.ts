// Projects that need less of the action: one that builds from vendor/ needs no download at all;
// one without go.sum cannot have its modules checked by the action, and must be told so.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { go, offlineGoEnv } from './support/go.ts'
import { healthy } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { cacheWorld } from './support/cache-world.ts'

const world = cacheWorld(5)
const { proxies, services } = world

/** A copy of the universe's sample module in a workspace of its own. */
function sampleCopy(): string {
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'kinds-'))
  cpSync(world.universe.sampleDir, path.join(workspace, 'sample'), { recursive: true })
  return workspace
}

const withFileProxy = (modcache: string) => ({ ...offlineGoEnv(modcache), GOPROXY: `file://${world.universe.proxyDir}` })

describe('a module that builds from vendor/', () => {
  it('is not downloaded: no proxy is asked anything, the summary says why, the chain is exported', async () => {
    const workspace = sampleCopy()
    const sample = path.join(workspace, 'sample')
    await go(['mod', 'vendor'], sample, withFileProxy(path.join(workspace, 'vendor-modcache')))
    const server = await proxies.start(healthy)
    const run = await runScenario(world.universe, { proxies: server.url, 'working-directory': 'sample' }, { workspace })

    expect(run.failed, run.log).toBe(false)
    expect(server.requests).toEqual([])
    expect(run.summary).toContain('go builds this module from vendor/')
    expect(run.summary).toContain('not saved: the module builds from vendor/')
    expect(run.exported.GOPROXY).toBe(server.url)
    // And go indeed builds it with nothing downloaded.
    await go(['build', './...'], sample, offlineGoEnv(run.modcache))
  })

  it('with a GOMODCACHE go would refuse for a download (relative): go builds from vendor/ without one, so the step does not fail', async () => {
    const workspace = sampleCopy()
    const sample = path.join(workspace, 'sample')
    await go(['mod', 'vendor'], sample, withFileProxy(path.join(workspace, 'vendor-modcache')))
    const server = await proxies.start(healthy)
    const run = await runScenario(world.universe, { proxies: server.url, 'working-directory': 'sample' }, { workspace, env: { GOMODCACHE: 'relative/modcache' } })

    expect(run.failed, run.log).toBe(false)
    expect(server.requests).toEqual([])
    expect(run.summary).toContain('go builds this module from vendor/')
  })

  it('with vendor/modules.txt out of step with go.mod: a warning naming the fix, and the modules are downloaded', async () => {
    const workspace = sampleCopy()
    const sample = path.join(workspace, 'sample')
    await go(['mod', 'vendor'], sample, withFileProxy(path.join(workspace, 'vendor-modcache')))
    const modulesTxt = path.join(sample, 'vendor', 'modules.txt')
    writeFileSync(modulesTxt, readFileSync(modulesTxt, 'utf8').replace(/## explicit.*\n/, ''))
    const server = await proxies.start(healthy)
    const run = await runScenario(world.universe, { proxies: server.url, 'working-directory': 'sample' }, { workspace })

    expect(run.failed, run.log).toBe(false)
    expect(run.log).toMatch(/::warning::vendor\/modules.txt does not agree with go.mod.*go mod vendor/)
    expectComplete(run.modcache, world.universe.modules)
  })

  it('-mod=mod in GOFLAGS: go ignores vendor/, so the modules are downloaded', async () => {
    const workspace = sampleCopy()
    const sample = path.join(workspace, 'sample')
    await go(['mod', 'vendor'], sample, withFileProxy(path.join(workspace, 'vendor-modcache')))
    const server = await proxies.start(healthy)
    const run = await runScenario(world.universe, { proxies: server.url, 'working-directory': 'sample' }, { workspace, env: { GOFLAGS: '-modcacherw -mod=mod' } })

    expect(run.failed, run.log).toBe(false)
    expect(run.summary).not.toContain('vendor/')
    expectComplete(run.modcache, world.universe.modules)
  })
})

describe('a module without go.sum', () => {
  it('is downloaded by go alone, with a clear warning; the cache is neither restored nor saved', async () => {
    const service = await services.start()
    const workspace = sampleCopy()
    rmSync(path.join(workspace, 'sample', 'go.sum'))
    const server = await proxies.start(healthy)
    const run = await runScenario(world.universe, { proxies: server.url, 'working-directory': 'sample' }, { workspace, env: service.env })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, world.universe.modules)
    expect(run.log).toMatch(/::warning::There is no go.sum: the action cannot check any module against it/)
    expect(run.summary).toContain('checks each module against the checksum database (GOSUMDB) itself')
    expect(run.summary).not.toContain('#### Fetch')
    expect(run.summary).toContain('not saved: there is no go.sum to check it against')
    expect(await service.entries()).toEqual([])
  })
})
