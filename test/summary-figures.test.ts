// The summary's figures against what happened in a real run: "Modules downloaded" and the
// headline count every zip that reached go's module cache in this step, whether the prefetch
// fetched it (and go took it from the local proxy) or go fetched it from the chain itself.
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 5 })
})
afterEach(proxies.closeAll)

const zips = (requests: string[]) => requests.filter(r => r.endsWith('.zip'))

describe('the summary counts the modules downloaded', () => {
  it.each([
    ['fetched by the prefetch, served to go by the local proxy', 'true'],
    ['fetched by go itself, without the prefetch', 'false']
  ])('%s', async (_, prefetch) => {
    const server = await proxies.start(healthy)
    const run = await runScenario(universe, { proxies: server.url, prefetch })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    const n = universe.modules.length
    expect(zips(server.requests)).toHaveLength(n)
    expect(run.summary).toContain(`### ✅ Go modules ready: ${n} downloaded through ${server.url}`)
    expect(run.summary).toContain(`| ${server.url} | ${server.url} | ${n} | 1 |`)
  })
})
