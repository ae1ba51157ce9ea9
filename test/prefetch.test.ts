// The verified parallel prefetch against real loopback proxies, checked by the real go.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseCandidates } from '../src/goproxy.ts'
import type { HttpClient } from '../src/net/client.ts'
import { parseGoSum, type SumLine } from '../src/gosum.ts'
import { prefetch, type PrefetchOptions, verified } from '../src/prefetch.ts'
import {
  downloadPath,
  hedgeAfterMs,
  isTroubled,
  prefetchPlan,
  median,
  silenceLimitMs
} from '../src/prefetch-plan.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { type Fault, healthy, type ProxyServer, proxyPool } from './support/proxy-server.ts'
import { expectComplete } from './support/scenario.ts'
import { networkClient } from './support/net.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
let lines: SumLine[]
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault: Fault = healthy) => proxies.start(fault)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 8, sourceBytes: 20_000 })
  lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
})
afterEach(proxies.closeAll)

let client: HttpClient
beforeAll(async () => {
  client = await networkClient()
})
afterAll(() => client.close())

function options(urls: string[], modcache: string, change: Partial<PrefetchOptions> = {}): PrefetchOptions {
  return {
    client,
    candidates: parseCandidates(urls.join(',')).map(candidate => ({ candidate, latencyMs: 5 })),
    lines,
    isPrivate: () => false,
    modcache,
    concurrency: 16,
    rounds: 3,
    backoffMs: 50,
    stallTimeoutMs: 5_000,
    timeoutMs: 60_000,
    ...change
  }
}

const zips = (server: ProxyServer) => server.requests.filter(r => r.endsWith('.zip'))

describe('the plan', () => {
  const sum = (module: string, version: string, goMod: boolean): SumLine => ({ module, version, goMod, hash: `h1:${module}${goMod}` })
  const example = [sum('example.com/A', 'v1.0.0', false), sum('example.com/A', 'v1.0.0', true), sum('example.com/b', 'v0.1.0', true), sum('corp.example.com/c', 'v1.0.0', false)]

  it('asks for the zip and .info of module lines, the .mod of /go.mod lines, escaped, zips first, never private modules', () => {
    const jobs = prefetchPlan(example, m => m.startsWith('corp.'), () => false)
    expect(jobs.map(j => [j.path, j.hash])).toEqual([
      ['example.com/!a/@v/v1.0.0.zip', 'h1:example.com/Afalse'],
      ['example.com/!a/@v/v1.0.0.info', undefined],
      ['example.com/!a/@v/v1.0.0.mod', 'h1:example.com/Atrue'],
      ['example.com/b/@v/v0.1.0.mod', 'h1:example.com/btrue']
    ])
  })

  it('leaves out what the module cache holds', () => {
    const jobs = prefetchPlan(example, () => false, job => job.kind !== 'mod')
    expect(jobs.map(j => j.path)).toEqual([downloadPath('example.com/A', 'v1.0.0', 'mod'), 'example.com/b/@v/v0.1.0.mod'])
  })

  it('hedges after four times the usual first byte, at least 250 ms; gives up on silence after twenty, 3 s to stall-timeout', () => {
    expect(median([])).toBeUndefined()
    expect(median([40, 10, 30])).toBe(30)
    expect(median([40, 10, 30, 20])).toBe(30)
    expect(hedgeAfterMs(10)).toBe(250)
    expect(hedgeAfterMs(100)).toBe(400)
    expect(silenceLimitMs(10, 60_000)).toBe(3000)
    expect(silenceLimitMs(500, 60_000)).toBe(10_000)
    expect(silenceLimitMs(500, 2000)).toBe(2000)
  })

  it('calls a candidate troubled after one wrong answer, or failures of at least 3 and a tenth of its requests', () => {
    expect(isTroubled({ requests: 400, failures: 0, rejected: 1 })).toBe(true)
    expect(isTroubled({ requests: 10, failures: 3, rejected: 0 })).toBe(true)
    expect(isTroubled({ requests: 400, failures: 5, rejected: 0 })).toBe(false)
    expect(isTroubled({ requests: 2, failures: 2, rejected: 0 })).toBe(false)
  })

  it('checks bytes against go.sum, and an .info file against its version', () => {
    const [module] = universe.modules
    const file = (kind: string) => readFileSync(path.join(universe.proxyDir, downloadPath(module!.path, 'v1.0.0', kind as 'zip')))
    const line = (goMod: boolean) => lines.find(l => l.module === module!.path && l.goMod === goMod)!
    const job = (kind: 'zip' | 'mod' | 'info', hash?: string) => ({ module: module!.path, version: 'v1.0.0', kind, path: '', ...(hash ? { hash } : {}) })
    expect(verified(job('zip', line(false).hash), file('zip'))).toBe(true)
    expect(verified(job('zip', line(false).hash), file('zip.tampered'))).toBe(false)
    expect(verified(job('zip', line(false).hash), Buffer.from('<html>portal</html>'))).toBe(false)
    expect(verified(job('mod', line(true).hash), file('mod'))).toBe(true)
    expect(verified(job('info'), file('info'))).toBe(true)
    expect(verified({ ...job('info'), version: 'v2.0.0' }, file('info'))).toBe(false)
  })
})

describe('prefetch', () => {
  it('writes a download cache that GOPROXY=off go mod download completes from', async () => {
    const good = await proxy()
    const modcache = tempModcache()
    const report = await prefetch(options([good.url], modcache))

    expect(report).toMatchObject({ files: 8 * 3, zips: 8, missed: 0, rejected: 0, troubled: [] })
    await go(['mod', 'download'], universe.sampleDir, offlineGoEnv(modcache))
    expectComplete(modcache, universe.modules)
  })

  it('rejects tampered zips from one candidate and takes them from another', async () => {
    const tampering = await proxy({ kind: 'tamper-zip' })
    const good = await proxy()
    const modcache = tempModcache()
    const report = await prefetch(options([tampering.url, good.url], modcache))

    expect(report.rejected).toBe(8)
    expect(report.troubled.map(c => c.spec)).toEqual([tampering.url])
    expect(zips(tampering)).toHaveLength(8)
    expect(zips(good)).toHaveLength(8)
    await go(['mod', 'download'], universe.sampleDir, offlineGoEnv(modcache))
    expectComplete(modcache, universe.modules)
  })

  it('hedges around a candidate that never answers zips, without waiting for its silence limit', async () => {
    const stalling = await proxy({ kind: 'stall-zip' })
    const good = await proxy()
    const report = await prefetch(options([stalling.url, good.url], tempModcache(), { stallTimeoutMs: 60_000 }))

    expect(report).toMatchObject({ files: 24, missed: 0 })
    expect(report.hedges).toBeGreaterThanOrEqual(8)
    expect(report.troubled.map(c => c.spec)).toEqual([stalling.url])
    expect(zips(good)).toHaveLength(8)
  })

  it('a partial prefetch still ends in a complete module cache: go fetches the rest', async () => {
    // Every 2nd request fails and there is one round: about half the files are missed.
    const flaky = await proxy({ kind: 'fail-every', every: 2 })
    const modcache = tempModcache()
    const report = await prefetch(options([flaky.url], modcache, { rounds: 1 }))
    expect(report.missed).toBeGreaterThan(0)
    expect(report.files).toBeGreaterThan(0)

    const good = await proxy()
    await go(['mod', 'download'], universe.sampleDir, { ...offlineGoEnv(modcache), GOPROXY: good.url })
    expectComplete(modcache, universe.modules)
    // go asked only for what the prefetch had missed.
    expect(zips(good).length).toBeLessThan(8)
  })

  it('stops, without throwing, when it cannot write the module cache', async () => {
    const modcache = tempModcache()
    // A file where a directory must go: as root, permissions would not stop the write.
    mkdirSync(path.join(modcache, 'cache', 'download'), { recursive: true })
    writeFileSync(path.join(modcache, 'cache', 'download', 'example.com'), 'not a directory')
    const report = await prefetch(options([(await proxy()).url], modcache))
    expect(report.files).toBe(0)
    expect(report.missed).toBe(24)
    expect(report.stopped).toMatch(/^could not write example\.com\/.*(ENOTDIR|not a directory)/)
  })

  it('stops when no file completes for stall-timeout, leaving everything to go', async () => {
    const hanging = await proxy({ kind: 'hang' })
    const report = await prefetch(options([hanging.url], tempModcache(), { stallTimeoutMs: 1_000 }))
    expect(report, JSON.stringify(report)).toMatchObject({ files: 0, missed: 24 })
    expect(report.stopped).toBe('no file completed for 1s')
  })
})
