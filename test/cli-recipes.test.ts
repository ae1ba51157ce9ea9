// docs/cli.md's Docker recipes, their halves that run without a container: the host's verified
// download cache handed to a plain go as GOPROXY=file://…, and (test/cli-serve.test.ts) serve
// reached by a plain go given only its GOPROXY line. No image is built here: none can be pulled.
import { cpSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './support/cli.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { makeUniverse, moduleCacheHas, type Universe } from './support/universe.ts'

let universe: Universe
let silent: ProxyServer
let good: ProxyServer

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'recipes-universe-')), { count: 4 })
  silent = await startProxy(universe.proxyDir, { kind: 'hang' })
  good = await startProxy(universe.proxyDir, healthy)
})

afterAll(async () => {
  await Promise.all([silent?.close(), good?.close()])
})

describe('the Docker recipe with a build context', () => {
  it("the host downloads verified; the build's go, given only its download cache as GOPROXY=file://, downloads and builds with no proxy", async () => {
    const host = tempModcache()
    const run = await runCli(['--proxies', `${silent.url},${good.url}`, '--probe-timeout', '1s', '--stall-timeout', '2s'], universe.sampleDir, offlineGoEnv(host))
    expect(run.code, run.stderr).toBe(0)
    const requestsBefore = good.requests.length + silent.requests.length

    // The build: its own copy of the source, its own empty module cache, the host's cache/download as the context.
    const context = path.join(mkdtempSync(path.join(os.tmpdir(), 'build-context-')), 'gomod')
    cpSync(path.join(host, 'cache', 'download'), context, { recursive: true })
    const source = path.join(mkdtempSync(path.join(os.tmpdir(), 'build-src-')), 'app')
    cpSync(universe.sampleDir, source, { recursive: true })
    const build = tempModcache()
    // -modcacherw only so that the test can remove the module cache it made; the recipe needs no flag.
    const env = { ...offlineGoEnv(build), GOFLAGS: '-modcacherw', GOPROXY: `file://${context}` }
    await go(['mod', 'download'], source, env)
    await go(['build', './...'], source, env)
    for (const module of universe.modules) expect(moduleCacheHas(build, module), module.path).toBe(true)
    // Nothing was asked of any proxy by the build.
    expect(good.requests.length + silent.requests.length).toBe(requestsBefore)
  })
})
