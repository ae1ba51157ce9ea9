// The slow-body family met on the paths go's bytes take after and beside the step's download:
// later steps through the job's proxy, go's checksum-database lookups through the relay, and
// go downloading the toolchain it switches to. Each must be moved past within the stall rules.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type ActionRun, processesWithEnv, runPostBundled } from './support/action.ts'
import { faultWorld, SLOW_BOUND_MS, SLOW_LIMITS, slowCandidates, timed } from './support/fault-world.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { slowModes } from './support/faults.ts'
import { healthy } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { startSumdb, type SumdbServer } from './support/sumdb.ts'
import { writeTestToolchain } from './support/toolchain.ts'
import { moduleCacheHas, type Universe, writeSample } from './support/universe.ts'

const { world, proxy } = faultWorld()
const slowCandidate = slowCandidates(proxy)
const bodyModes = slowModes.filter(m => !m.tls)

describe('later steps through the job’s proxy', () => {
  let workspace: string
  const steps: { main: ActionRun; modcache: string }[] = []
  beforeAll(async () => {
    // The step downloads the first three modules; a later step needs the other two.
    workspace = mkdtempSync(path.join(os.tmpdir(), 'later-'))
    await writeSample(path.join(workspace, 'sample'), 'example.com/sample', world.universe.modules.slice(0, 3), world.universe.proxyDir)
    await writeSample(path.join(workspace, 'later'), 'example.com/later', world.universe.modules.slice(3), world.universe.proxyDir)
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
    const main = await runScenario(world.universe, { ...SLOW_LIMITS, proxies: urls.join(','), 'working-directory': 'sample', 'protect-later-steps': 'true' }, { workspace, modcache, env })
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
      expectComplete(modcache, world.universe.modules.slice(3))
    })

    it('alone: the job’s proxy itself answers within the stall rules (a 502: go then moves on to the chain)', async () => {
      const bad = await slowCandidate(mode, healthy)
      const { main } = await step([bad.server.url], bad.env)
      bad.server.setFault(mode.fault(['.zip'], 0))
      const front = (main.exported.GOPROXY as string).split('|')[0] as string
      const module = world.universe.modules[4] as Universe['modules'][number]
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
    await writeSample(sample, 'example.com/sample', world.universe.modules, world.universe.proxyDir)
    const lacking = world.universe.modules[2] as Universe['modules'][number]
    const goSum = path.join(sample, 'go.sum')
    writeFileSync(goSum, readFileSync(goSum, 'utf8').split('\n').filter(l => !l.startsWith(`${lacking.path} `)).join('\n'))
    sumdb = await startSumdb(world.universe.proxyDir)
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
        runScenario(world.universe, { ...SLOW_LIMITS, proxies: `${bad.url},${good.url}`, 'working-directory': 'sample' }, { workspace, env: { GOSUMDB: key, GOFLAGS: '-modcacherw -mod=mod' } })
      )

      expect(run.failed, run.log).toBe(false)
      expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
      expectComplete(run.modcache, world.universe.modules)
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
    await writeSample(sample, 'example.com/sample', world.universe.modules, world.universe.proxyDir)
    writeFileSync(path.join(sample, 'go.mod'), `${readFileSync(path.join(sample, 'go.mod'), 'utf8')}\ntoolchain go1.99.0\n`)
    const [hostOS, hostArch] = (await go(['env', 'GOHOSTOS', 'GOHOSTARCH'], os.tmpdir(), { GOTOOLCHAIN: 'local' })).trim().split('\n')
    writeTestToolchain(world.universe.proxyDir, { os: hostOS as string, arch: hostArch as string })
    toolchainZip = `/golang.org/toolchain/@v/v0.0.1-go1.99.0.${hostOS}-${hostArch}.zip`
    sumdb = await startSumdb(world.universe.proxyDir)
  })
  afterAll(() => sumdb.close())

  describe.each(slowModes)('a candidate that $name', mode => {
    it('first, with a healthy one behind it: the toolchain comes from the healthy one within the stall rules', async () => {
      // Only its zip: go writes the zip into its module cache as it comes, where the watchdog sees the bytes.
      const bad = await slowCandidate(mode, mode.fault([toolchainZip], 1))
      const good = await proxy(healthy)
      const toolCache = mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
      const run = await timed(() =>
        runScenario(world.universe, { ...SLOW_LIMITS, proxies: `${bad.server.url},${good.url}`, 'working-directory': 'sample' }, {
          workspace,
          env: { ...bad.env, GOTOOLCHAIN: 'auto', GOSUMDB: sumdb.gosumdb, RUNNER_TOOL_CACHE: toolCache }
        })
      )

      expect(run.failed, run.log).toBe(false)
      expect(run.ms).toBeLessThan(SLOW_BOUND_MS)
      expect(good.requests).toContain(toolchainZip)
      expect(readFileSync(path.join(toolCache, 'go', '1.99.0', os.arch(), 'bin', 'go'), 'utf8')).toContain('go version go1.99.0')
      expect(world.universe.modules.every(m => moduleCacheHas(run.modcache, m))).toBe(true)
    })
  })
})
