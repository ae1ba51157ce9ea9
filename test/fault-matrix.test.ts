// Every way a module proxy misbehaves, each met twice: first in line with a healthy proxy
// behind it (the action must succeed through the healthy one), and alone (the action must
// fail clearly, in bounded time, saving nothing). The slow-body family is met on every path
// go's bytes take: go fetching from the chain itself, go through the local proxy, later steps
// through the job's proxy, go's checksum-database lookups through the relay, and go
// downloading the toolchain it switches to.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ActionRun, processesWithEnv, runPostBundled } from './support/action.ts'
import { type CacheService, startCacheService } from './support/cache-service.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { modes, type SlowMode, slowModes } from './support/faults.ts'
import { type Fault, healthy, type ProxyOptions, type ProxyServer, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { startSumdb, type SumdbServer } from './support/sumdb.ts'
import { type Certificate, loopbackCertificate } from './support/tls.ts'
import { writeTestToolchain } from './support/toolchain.ts'
import { makeUniverse, moduleCacheHas, type Universe, writeSample } from './support/universe.ts'

let universe: Universe
let service: CacheService
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault: Fault, options?: ProxyOptions) => proxies.start(fault, options)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 5 })
  service = await startCacheService()
})
afterAll(() => service.close())
afterEach(proxies.closeAll)

/** Short limits, so that every mode ends in seconds; the bound below follows from them. */
const LIMITS = { 'probe-timeout': '1s', 'stall-timeout': '2s', timeout: '6s', retries: '1' }
/** probe + (retries + 1) × (timeout + backoff), and generous slack for go itself. */
const BOUND_MS = 1_000 + 2 * (6_000 + 2_000) + 20_000

describe.each(modes)('a candidate that $name', ({ fault, options, alone }) => {
  it('first, with a healthy one behind it: succeeds through the healthy one', async () => {
    const bad = await proxy(fault, options?.())
    const good = await proxy(healthy)
    const run = await runScenario(universe, { ...LIMITS, proxies: `${bad.url},${good.url}` })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    // The summary says what the fetch saw of each candidate, should the order ever be wrong.
    expect(run.outputs.proxy, run.summary).toBe(good.url)
    expect(run.exported.GOPROXY?.split('|')[0]).toBe(good.url)
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })

  it('alone: a bounded failure that names it and what was wrong, with nothing saved', async () => {
    const bad = await proxy(fault, options?.())
    const started = Date.now()
    const run = await runScenario(universe, { ...LIMITS, proxies: bad.url }, { env: service.env })

    expect(run.failed).toBe(true)
    expect(Date.now() - started).toBeLessThan(BOUND_MS)
    const failure = run.log.split('\n').filter(l => l.startsWith('::error::')).join('\n')
    expect(failure).toContain(bad.url)
    expect(decodeURIComponent(failure.replace(/%0A/g, '\n'))).toMatch(alone)
    expect(run.summary).toContain('not saved: the download did not complete')
    expect(await service.entries()).toEqual([])
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })
})

describe('a candidate that fails every 3rd request', () => {
  it('first, with a healthy one behind it: succeeds, and the flaky one goes last', async () => {
    const flaky = await proxy({ kind: 'fail-every', every: 3 })
    const good = await proxy(healthy)
    const run = await runScenario(universe, { ...LIMITS, proxies: `${flaky.url},${good.url}` })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(run.exported.GOPROXY).toBe(`${good.url}|${flaky.url}`)
  })

  it('alone: the fetch retries each failed file, so the download completes', async () => {
    const flaky = await proxy({ kind: 'fail-every', every: 3 })
    const run = await runScenario(universe, { ...LIMITS, proxies: flaky.url })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    // All 15 planned files verified, with retries (the Retries column).
    expect(run.summary).toMatch(/<summary>Fetch: .*<\/summary>\n\n.*\n.*\n\| 15 of 15 planned \| (?:[^|]+\| ){4}[1-9]\d* \|/)
  })
})

const bodyModes = slowModes.filter(m => !m.tls)

/** The attempt's timeout is far away: what moves past a slow body must be the stall rules, not it. */
const SLOW_LIMITS = { 'probe-timeout': '1s', 'stall-timeout': '2s', timeout: '60s', retries: '1' }
/** Well past stall-timeout and what go needs besides, and half the attempt's timeout: a run that waited for the timeout cannot make it. */
const SLOW_BOUND_MS = 30_000

describe('the slow-body family, on every path', () => {
  let cert: Certificate
  beforeAll(() => {
    cert = loopbackCertificate()
  })
  /** The bad candidate (https, trusted, for a TLS mode) and what the step's environment needs for it. */
  const slowCandidate = async (mode: SlowMode, fault: Fault): Promise<{ server: ProxyServer; env: Record<string, string> }> => ({
    server: await proxy(fault, mode.tls ? { tls: cert } : undefined),
    env: mode.tls ? { SSL_CERT_FILE: cert.certFile } : {}
  })
  const timed = async <T>(work: () => Promise<T>) => {
    const started = Date.now()
    const result = await work()
    return { ...result, ms: Date.now() - started }
  }

  for (const [where, prefetch] of [
    ['go fetching from the chain itself (prefetch: false)', 'false'],
    ['go through the local proxy', 'true']
  ] as const) {
    describe.each(slowModes)(`${where}: a candidate that $name`, mode => {
      it('first, with a healthy one behind it: moved past within the stall rules, through the healthy one', async () => {
        const bad = await slowCandidate(mode, mode.fault(['.zip'], 1))
        const good = await proxy(healthy)
        const run = await timed(() => runScenario(universe, { ...SLOW_LIMITS, prefetch, proxies: `${bad.server.url},${good.url}` }, { env: bad.env }))

        expect(run.failed, run.log).toBe(false)
        expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
        expectComplete(run.modcache, universe.modules)
        expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
      })

      it('alone: a bounded failure that names it, with nothing saved', async () => {
        const bad = await slowCandidate(mode, mode.fault(['.zip'], 1))
        const run = await timed(() => runScenario(universe, { ...SLOW_LIMITS, prefetch, proxies: bad.server.url }, { env: { ...service.env, ...bad.env } }))

        expect(run.failed).toBe(true)
        expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
        const failure = run.log.split('\n').filter(l => l.startsWith('::error::')).join('\n')
        expect(failure).toContain(bad.server.url)
        expect(decodeURIComponent(failure.replace(/%0A/g, '\n'))).toMatch(/stall/)
        expect(run.summary).toContain('not saved: the download did not complete')
        expect(await service.entries()).toEqual([])
        expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
      })
    })
  }

  describe('later steps through the job’s proxy', () => {
    let workspace: string
    const steps: { main: ActionRun; modcache: string }[] = []
    beforeAll(async () => {
      // The step downloads the first three modules; a later step needs the other two.
      workspace = mkdtempSync(path.join(os.tmpdir(), 'later-'))
      await writeSample(path.join(workspace, 'sample'), 'example.com/sample', universe.modules.slice(0, 3), universe.proxyDir)
      await writeSample(path.join(workspace, 'later'), 'example.com/later', universe.modules.slice(3), universe.proxyDir)
    })
    afterEach(async () => {
      for (const { main, modcache } of steps.splice(0)) {
        await runPostBundled(main, workspace, {})
        expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
      }
    })
    /** A successful step with the job's proxy in front of `urls`, left running for later steps. */
    const step = async (urls: string[], env: Record<string, string>) => {
      const modcache = tempModcache()
      const main = await runScenario(universe, { ...SLOW_LIMITS, proxies: urls.join(','), 'working-directory': 'sample', 'protect-later-steps': 'true' }, { workspace, modcache, env })
      steps.push({ main, modcache })
      expect(main.failed, main.log).toBe(false)
      return { main, modcache }
    }

    describe.each(slowModes)('a candidate that $name (from the step on)', mode => {
      it('first, with a healthy one behind it: a later go mod download is moved past it within the stall rules', async () => {
        const bad = await slowCandidate(mode, healthy)
        const good = await proxy(healthy)
        const { main, modcache } = await step([bad.server.url, good.url], bad.env)
        bad.server.setFault(mode.fault(['.zip'], 0))
        const later = await timed(async () =>
          promisify(execFile)(goBinary(), ['mod', 'download'], {
            cwd: path.join(workspace, 'later'),
            timeout: 2 * SLOW_BOUND_MS,
            env: { ...process.env, ...offlineGoEnv(modcache), ...bad.env, GOPROXY: main.exported.GOPROXY as string }
          })
        )
        expect(later.ms).toBeLessThan(SLOW_BOUND_MS)
        expectComplete(modcache, universe.modules.slice(3))
      })

      it('alone: the job’s proxy itself answers within the stall rules (a 502: go then moves on to the chain)', async () => {
        const bad = await slowCandidate(mode, healthy)
        const { main } = await step([bad.server.url], bad.env)
        bad.server.setFault(mode.fault(['.zip'], 0))
        const front = (main.exported.GOPROXY as string).split('|')[0] as string
        const module = universe.modules[4] as Universe['modules'][number]
        const asked = await timed(async () => {
          const answer = await fetch(`${front}/${module.path}/@v/${module.version}.zip`, { signal: AbortSignal.timeout(2 * SLOW_BOUND_MS) })
          return { status: answer.status, text: await answer.text() }
        })
        expect(asked.status).toBe(502)
        expect(asked.text).toMatch(/slower than \d+ bytes\/s/)
        expect(asked.ms).toBeLessThan(SLOW_BOUND_MS)
      })
    })
  })

  describe('go’s checksum-database lookups through the relay', () => {
    let workspace: string
    let sumdb: SumdbServer
    beforeAll(async () => {
      // A go.sum that lacks one module: go looks it up in the checksum database, named only (as by default), reached through the candidates that proxy it.
      workspace = mkdtempSync(path.join(os.tmpdir(), 'sumdb-'))
      const sample = path.join(workspace, 'sample')
      await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
      const lacking = universe.modules[2] as Universe['modules'][number]
      const goSum = path.join(sample, 'go.sum')
      writeFileSync(goSum, readFileSync(goSum, 'utf8').split('\n').filter(l => !l.startsWith(`${lacking.path} `)).join('\n'))
      sumdb = await startSumdb(universe.proxyDir)
    })
    afterAll(() => sumdb.close())

    // The relay shares the fetch's connections, so a TLS fault could land on either; the client below both is the same.
    describe.each(bodyModes)('a candidate that $name', mode => {
      it('first, with a healthy one behind it: go’s lookups are moved past it within the stall rules', async () => {
        const [key, url] = sumdb.gosumdb.split(' ') as [string, string]
        const relay = { sumdb: { name: key.split('+')[0] as string, url } }
        const bad = await proxy(mode.fault(['/lookup/', '/tile/'], 0), relay)
        const good = await proxy(healthy, relay)
        const run = await timed(() =>
          runScenario(universe, { ...SLOW_LIMITS, proxies: `${bad.url},${good.url}`, 'working-directory': 'sample' }, { workspace, env: { GOSUMDB: key, GOFLAGS: '-modcacherw -mod=mod' } })
        )

        expect(run.failed, run.log).toBe(false)
        expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
        expectComplete(run.modcache, universe.modules)
        expect(bad.requests.some(r => r.includes('/lookup/'))).toBe(true)
        expect(good.requests.some(r => r.includes('/lookup/') || r.includes('/tile/'))).toBe(true)
      })
    })
  })

  describe('go downloading the toolchain it switches to', () => {
    let workspace: string
    let sumdb: SumdbServer
    let toolchainZip: string
    beforeAll(async () => {
      workspace = mkdtempSync(path.join(os.tmpdir(), 'toolchain-'))
      const sample = path.join(workspace, 'sample')
      await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
      writeFileSync(path.join(sample, 'go.mod'), `${readFileSync(path.join(sample, 'go.mod'), 'utf8')}\ntoolchain go1.99.0\n`)
      const [hostOS, hostArch] = (await go(['env', 'GOHOSTOS', 'GOHOSTARCH'], os.tmpdir(), { GOTOOLCHAIN: 'local' })).trim().split('\n')
      writeTestToolchain(universe.proxyDir, { os: hostOS as string, arch: hostArch as string })
      toolchainZip = `/golang.org/toolchain/@v/v0.0.1-go1.99.0.${hostOS}-${hostArch}.zip`
      sumdb = await startSumdb(universe.proxyDir)
    })
    afterAll(() => sumdb.close())

    describe.each(slowModes)('a candidate that $name', mode => {
      it('first, with a healthy one behind it: the toolchain comes from the healthy one within the stall rules', async () => {
        // Only its zip: go writes the zip into its module cache as it comes, where the watchdog sees the bytes.
        const bad = await slowCandidate(mode, mode.fault([toolchainZip], 1))
        const good = await proxy(healthy)
        const toolCache = mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
        const run = await timed(() =>
          runScenario(universe, { ...SLOW_LIMITS, proxies: `${bad.server.url},${good.url}`, 'working-directory': 'sample' }, {
            workspace,
            env: { ...bad.env, GOTOOLCHAIN: 'auto', GOSUMDB: sumdb.gosumdb, RUNNER_TOOL_CACHE: toolCache }
          })
        )

        expect(run.failed, run.log).toBe(false)
        expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
        expect(good.requests).toContain(toolchainZip)
        expect(readFileSync(path.join(toolCache, 'go', '1.99.0', os.arch(), 'bin', 'go'), 'utf8')).toContain('go version go1.99.0')
        expect(universe.modules.every(m => moduleCacheHas(run.modcache, m))).toBe(true)
      })
    })
  })
})
