// The checksum database: go asks it for modules go.sum lacks. The step probes the routes to it
// beside the modules, and the local proxy relays go's lookups with the fetch's limits.
// Loopback only: a real checksum database (x/mod/sumdb's server) signs the test universe.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseGosumdb } from '../src/go/sumdb.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { processesWithEnv, runPostBundled } from './support/action.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { startSumdb, type SumdbServer } from './support/sumdb.ts'
import { makeUniverse, type Universe, writeSample } from './support/universe.ts'

describe('parseGosumdb', () => {
  it.each<[string, ReturnType<typeof parseGosumdb>]>([
    ['off', undefined],
    ['', undefined],
    ['sum.example.com', { key: 'sum.example.com', name: 'sum.example.com', url: 'https://sum.example.com', explicit: false }],
    ['sum.example.com+033de0ae+Ac4zctda0e', { key: 'sum.example.com+033de0ae+Ac4zctda0e', name: 'sum.example.com', url: 'https://sum.example.com', explicit: false }],
    [
      'sum.example.com+033de0ae+Ac4zctda0e http://127.0.0.1:8080/db/',
      { key: 'sum.example.com+033de0ae+Ac4zctda0e', name: 'sum.example.com', url: 'http://127.0.0.1:8080/db', explicit: true }
    ]
  ])('%j', (value, route) => {
    expect(parseGosumdb(value)).toEqual(route)
  })
})

describe('a go.sum that lacks a module: go asks the checksum database', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'universe-'))
  const proxies = proxyPool(() => path.join(root, 'proxy'))
  afterEach(proxies.closeAll)
  let universe: Universe
  let workspace: string
  let sumdb: SumdbServer
  let lacking: Universe['modules'][number]

  beforeAll(async () => {
    universe = await makeUniverse(root, { count: 3 })
    workspace = mkdtempSync(path.join(os.tmpdir(), 'sumdb-'))
    const sample = path.join(workspace, 'sample')
    await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
    lacking = universe.modules[2] as Universe['modules'][number]
    const goSum = path.join(sample, 'go.sum')
    writeFileSync(goSum, readFileSync(goSum, 'utf8').split('\n').filter(l => !l.startsWith(`${lacking.path} `)).join('\n'))
    sumdb = await startSumdb(universe.proxyDir)
  })
  afterAll(() => sumdb.close())

  const step = (proxyUrl: string, gosumdb: string) =>
    runScenario(universe, { proxies: proxyUrl, 'working-directory': 'sample' }, { workspace, env: { GOSUMDB: gosumdb, GOFLAGS: '-modcacherw -mod=mod' } })
  const name = () => (parseGosumdb(sumdb.gosumdb) as { name: string }).name
  /** Two candidates that proxy the database: the first answers /supported but never a lookup or tile. */
  const proxyingCandidates = async () => {
    const relay = { sumdb: { name: name(), url: sumdb.gosumdb.split(' ')[1] as string } }
    return [await proxies.start({ kind: 'hang-on', parts: ['/lookup/', '/tile/'] }, relay), await proxies.start(healthy, relay)] as const
  }

  it('go looks the module up through the local proxy, which relays to the database GOSUMDB names', async () => {
    const proxy = await proxies.start(healthy)
    const run = await step(proxy.url, sumdb.gosumdb)

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    // GOSUMDB names its URL, so go would ask only it: the candidate is not asked whether it proxies it.
    expect(proxy.requests.filter(r => r.startsWith('/sumdb/'))).toEqual([])
    const database = sumdb.gosumdb.split(' ')[1] as string
    const gets = run.log.split('\n').filter(l => l.startsWith('# get ') && /\/(lookup|tile)\//.test(l))
    expect(gets.some(l => l.includes(`/sumdb/${name()}/lookup/example.com/fixture/m003@v1.0.0: 200`))).toBe(true)
    expect(gets.filter(l => l.includes(database))).toEqual([])
    expect(run.summary).toContain(`Checksum database ${name()} (asked for modules go.sum lacks): GOSUMDB names its URL, so go asks it alone; ${database} answered directly in`)
    expect(run.summary).toContain("go's lookups went through the local proxy, to the database itself")
  })

  it('with no URL in GOSUMDB, lookups go over the candidates that proxy it: one silent on lookups is failed over', async () => {
    const [silentOnLookups, good] = await proxyingCandidates()
    // Only the key: go's own route would be https://<name>, which does not exist here; only the candidates reach it.
    const run = await step([silentOnLookups.url, good.url].join(','), sumdb.gosumdb.split(' ')[0] as string)

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    const lookup = `/sumdb/${name()}/lookup/example.com/fixture/m003@v1.0.0`
    expect(silentOnLookups.requests).toContain(lookup)
    expect(good.requests).toContain(lookup)
    expect(run.summary).toContain(`${silentOnLookups.url} proxies it`)
    expect(run.summary).toContain("go's lookups went through the local proxy, over the candidates that proxy it, then the database itself")
  })

  it('later steps: the job’s proxy relays their lookups too, past the candidate silent on them', async () => {
    const [silentOnLookups, good] = await proxyingCandidates()
    const gosumdb = sumdb.gosumdb.split(' ')[0] as string
    const run = await runScenario(
      universe,
      { proxies: [silentOnLookups.url, good.url].join(','), 'working-directory': 'sample', 'protect-later-steps': 'true' },
      { workspace, env: { GOSUMDB: gosumdb, GOFLAGS: '-modcacherw -mod=mod' } }
    )
    try {
      expect(run.failed, run.log).toBe(false)
      // A later step with no go.sum to consult (outside any module) and a module cache of its own: go asks the database.
      const before = good.requests.filter(r => r.includes('/lookup/')).length
      const laterCache = tempModcache()
      await go(['mod', 'download', '-json', `${lacking.path}@${lacking.version}`], os.tmpdir(), {
        ...offlineGoEnv(laterCache),
        GOPROXY: run.exported.GOPROXY as string,
        GOSUMDB: gosumdb
      })
      expectComplete(laterCache, [lacking])
      expect(good.requests.filter(r => r.includes('/lookup/')).length).toBeGreaterThan(before)
    } finally {
      await runPostBundled(run, workspace, {})
    }
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  }, 60_000)

  it('a silent database does not hang the step: go’s lookups fail within the limits, and the step says so', async () => {
    const proxy = await proxies.start(healthy)
    const silent = await proxies.start({ kind: 'hang' })
    const started = Date.now()
    const run = await step(proxy.url, `${sumdb.gosumdb.split(' ')[0]} ${silent.url}`)

    expect(run.failed).toBe(true)
    expect(Date.now() - started).toBeLessThan(60_000)
    expect(run.summary).toMatch(new RegExp(`${silent.url.replace(/[.]/g, '\\.')} did not answer: no answer within`))
    // go waited on the database through the local proxy; the watchdog ended each attempt, and the failure names what go waited on.
    expect(run.log).toContain(`::error::go mod download failed after 3 attempts.`)
    expect(run.log).toMatch(new RegExp(`stall \\(waiting on http://127\\.0\\.0\\.1:\\d+/[\\w-]{24}/sumdb/${name().replace(/[.]/g, '\\.')}/`))
  }, 90_000)
})
