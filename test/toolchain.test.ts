import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { chooseToolchain, toolchainProblem, userToolchain } from '../src/toolchain/select.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { startSumdb, type SumdbServer } from './support/sumdb.ts'
import { writeTestToolchain } from './support/toolchain.ts'
import { makeUniverse, type Universe, writeSample } from './support/universe.ts'

describe('chooseToolchain, as go selects', () => {
  const installed = 'go1.26.8'
  it.each<[string, string, string | undefined, string | undefined, string, boolean, string]>([
    ['auto, go.mod at or below the installed go', 'auto', '1.22.0', undefined, 'go1.26.8', false, 'auto'],
    ['auto, a newer go line', 'auto', '1.99.1', undefined, 'go1.99.1', true, 'auto'],
    ['auto, a newer language version means its first release', 'auto', '1.99', undefined, 'go1.99.0', true, 'auto'],
    ['auto, a newer toolchain line', 'auto', '1.21', 'go1.99.0', 'go1.99.0', true, 'auto'],
    ['auto, a go line newer than the toolchain line wins', 'auto', '1.99.2', 'go1.99.0', 'go1.99.2', true, 'auto'],
    ['auto, an older toolchain line is ignored', 'auto', '1.21', 'go1.22.0', 'go1.26.8', false, 'auto'],
    ['auto, toolchain default', 'auto', '1.21', 'default', 'go1.26.8', false, 'auto'],
    ['path, a newer toolchain line', 'path', '1.21', 'go1.99.0', 'go1.99.0', true, 'path'],
    ['local never switches', 'local', '1.99', 'go1.99.0', 'go1.26.8', false, ''],
    ['a pinned toolchain, whatever go.mod says', 'go1.25.0', '1.21', 'go1.99.0', 'go1.25.0', true, ''],
    ['a pinned minimum with +auto, go.mod lower', 'go1.25.0+auto', '1.21', undefined, 'go1.25.0', true, 'auto'],
    ['a pinned minimum with +auto, go.mod higher', 'go1.25.0+auto', '1.99.0', undefined, 'go1.99.0', true, 'auto'],
    ['local+path, a newer go line', 'local+path', '1.99.0', undefined, 'go1.99.0', true, 'path']
  ])('%s', (_, gotoolchain, goLine, toolchainLine, name, switches, mode) => {
    expect(chooseToolchain({ goLine, toolchainLine, installed, gotoolchain })).toMatchObject({ name, switches, mode })
  })
})

describe('toolchainProblem', () => {
  const installed = 'go1.26.8'
  it.each<[string, string | undefined, string, RegExp | undefined]>([
    ['local, go.mod at or below the installed go', '1.26.8', 'local', undefined],
    ['local, go.mod newer: go would refuse', '1.99', 'local', /go\.mod requires go >= 1\.99, but the installed go is 1\.26\.8 and GOTOOLCHAIN=local/],
    ['auto, go.mod newer: go switches (not refused here)', '1.99', 'auto', undefined],
    ['local+auto, go.mod newer', '1.99', 'local+auto', undefined],
    ['a pinned toolchain that is the installed one', '1.21', 'go1.26.8', undefined],
    ['a pinned toolchain go.mod is content with: provided, not refused', '1.21', 'go1.25.0', undefined],
    ['a pinned toolchain older than go.mod: go would refuse', '1.99', 'go1.25.0', /go\.mod requires go >= 1\.99, but GOTOOLCHAIN=go1\.25\.0 makes go run go1\.25\.0 and forbids it to switch/],
    ['a pinned toolchain with +auto', '1.99', 'go1.25.0+auto', undefined],
    ['no go line', undefined, 'local', undefined]
  ])('%s', (_, goLine, gotoolchain, problem) => {
    const found = toolchainProblem({ goLine, installed, gotoolchain })
    if (problem) expect(found).toMatch(problem)
    else expect(found).toBeUndefined()
  })

  it('names how to fix it', () => {
    expect(toolchainProblem({ goLine: '1.99', installed, gotoolchain: 'local' })).toContain('actions/setup-go with go-version-file: go.mod')
  })
})

describe('userToolchain', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'goenv-'))
  const goenv = path.join(dir, 'env')
  const goroot = path.join(dir, 'goroot')
  writeFileSync(goenv, 'GOFLAGS=-mod=mod\nGOTOOLCHAIN=go1.25.0+auto\n')

  it('the environment first, then the go env file, then GOROOT/go.env, then auto', () => {
    expect(userToolchain({ GOTOOLCHAIN: 'local' }, goenv, goroot)).toBe('local')
    expect(userToolchain({}, goenv, goroot)).toBe('go1.25.0+auto')
    writeFileSync(path.join(dir, 'go.env'), 'GOTOOLCHAIN=path\n')
    expect(userToolchain({}, path.join(dir, 'missing'), dir)).toBe('path')
    expect(userToolchain({}, path.join(dir, 'missing'), path.join(dir, 'nowhere'))).toBe('auto')
  })
})

describe('a go.mod that asks for a newer go under GOTOOLCHAIN=local', () => {
  const universeRoot = mkdtempSync(path.join(os.tmpdir(), 'universe-'))
  const proxies = proxyPool(() => path.join(universeRoot, 'proxy'))
  afterEach(proxies.closeAll)

  it('fails in under a second, before any request, naming both versions and the fix', async () => {
    const universe = await makeUniverse(universeRoot, { count: 2 })
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'newer-go-'))
    const sample = path.join(workspace, 'sample')
    await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
    writeFileSync(path.join(sample, 'go.mod'), readFileSync(path.join(sample, 'go.mod'), 'utf8').replace(/^go .*$/m, 'go 1.99'))
    const proxy = await proxies.start(healthy)
    const started = Date.now()
    // The tests' go runs with GOTOOLCHAIN=local, as a runner with setup-go's go and that setting would.
    const run = await runScenario(universe, { proxies: proxy.url, 'working-directory': 'sample' }, { workspace })

    expect(run.failed).toBe(true)
    expect(Date.now() - started).toBeLessThan(1000)
    expect(proxy.requests).toEqual([])
    expect(run.log).toMatch(/::error::go\.mod requires go >= 1\.99, but the installed go is \d+\.\d+(\.\d+)? and GOTOOLCHAIN=local forbids go to switch\. Install go 1\.99 or later/)
  })
})

/**
 * A go.mod whose `toolchain` line names go1.99.0, under GOTOOLCHAIN=auto. The test toolchain
 * module (golang.org/toolchain@v0.0.1-go1.99.0.<host>) holds a bin/go that reports go1.99.0 and
 * hands every other command to the real go with GOTOOLCHAIN=local: enough for go to switch to
 * it, which is what is tested. go checks a toolchain against the checksum database even when
 * GOSUMDB=off would skip modules, so a real one (x/mod/sumdb's server) signs the universe.
 */
describe('a go.mod that asks for a newer toolchain under GOTOOLCHAIN=auto', () => {
  const universeRoot = mkdtempSync(path.join(os.tmpdir(), 'universe-'))
  const proxies = proxyPool(() => path.join(universeRoot, 'proxy'))
  afterEach(proxies.closeAll)
  const toolCache = mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
  let universe: Universe
  let workspace: string
  let host: { os: string; arch: string }
  let sumdb: SumdbServer

  beforeAll(async () => {
    universe = await makeUniverse(universeRoot, { count: 3 })
    workspace = mkdtempSync(path.join(os.tmpdir(), 'newer-toolchain-'))
    const sample = path.join(workspace, 'sample')
    await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
    writeFileSync(path.join(sample, 'go.mod'), `${readFileSync(path.join(sample, 'go.mod'), 'utf8')}\ntoolchain go1.99.0\n`)
    const [hostOS, hostArch] = (await go(['env', 'GOHOSTOS', 'GOHOSTARCH'], os.tmpdir(), { GOTOOLCHAIN: 'local' })).trim().split('\n')
    host = { os: hostOS as string, arch: hostArch as string }
    writeTestToolchain(universe.proxyDir, host)
    sumdb = await startSumdb(universe.proxyDir)
  })
  afterAll(() => sumdb.close())

  const step = (proxyUrls: string[], modcache = tempModcache()) =>
    runScenario(universe, { proxies: proxyUrls.join(','), 'working-directory': 'sample' }, { workspace, modcache, env: { GOTOOLCHAIN: 'auto', GOSUMDB: sumdb.gosumdb, RUNNER_TOOL_CACHE: toolCache } })
  const toolchainRequests = (requests: string[]) => requests.filter(r => r.includes('golang.org/toolchain'))

  it('fetches the toolchain through the healthy candidate past a silent one, puts it in the tool cache, and later go commands run it', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    const good = await proxies.start(healthy)
    const run = await step([silent.url, good.url])

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    const zip = `/golang.org/toolchain/@v/v0.0.1-go1.99.0.${host.os}-${host.arch}.zip`
    expect(toolchainRequests(good.requests)).toContain(zip)
    // go checked it against the checksum database (directly: the test proxies do not proxy it).
    expect(run.log).toContain(`/lookup/golang.org/toolchain@v0.0.1-go1.99.0.${host.os}-${host.arch}`)
    const goroot = path.join(toolCache, 'go', '1.99.0', os.arch())
    expect(statSync(path.join(goroot, 'bin', 'go')).mode & 0o111).not.toBe(0)
    expect(run.summary).toMatch(/<summary>Toolchain: [\s\S]*\| go1\.99\.0 \| go\d+\.\d+(\.\d+)? \| fetched through the chain, now in the tool cache \|/)
    // A later step: go, with PATH and GOTOOLCHAIN as the job has them, switches to it with no request.
    expect(run.paths).toHaveLength(1)
    const before = good.requests.length
    const later = await go(['version'], path.join(workspace, 'sample'), { ...offlineGoEnv(run.modcache), GOTOOLCHAIN: 'auto', GOPROXY: good.url, PATH: `${run.paths[0]}${path.delimiter}${process.env.PATH}` })
    expect(later).toContain('go1.99.0')
    expect(good.requests.length).toBe(before)
  })

  it('a tampered toolchain from the first candidate never reaches the tool cache: go rejects it, the next attempt asks the healthy one', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
    const tampering = await proxies.start({ kind: 'tamper-zip' })
    const good = await proxies.start(healthy)
    const run = await runScenario(
      universe,
      { proxies: [tampering.url, good.url].join(','), 'working-directory': 'sample' },
      { workspace, env: { GOTOOLCHAIN: 'auto', GOSUMDB: sumdb.gosumdb, RUNNER_TOOL_CACHE: cache } }
    )
    expect(run.failed, run.log).toBe(false)
    expect(toolchainRequests(tampering.requests).some(r => r.endsWith('.zip'))).toBe(true)
    expect(run.log).toMatch(/golang\.org\/toolchain@v0\.0\.1-go1\.99\.0\.\S+: verifying module: checksum mismatch/)
    const installed = readFileSync(path.join(cache, 'go', '1.99.0', os.arch(), 'bin', 'go'), 'utf8')
    expect(installed).toContain('go version go1.99.0')
    expect(installed).not.toContain('tampered')
  })

  it('when no candidate serves the toolchain, the step fails saying so, before go downloads any module', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
    const tampering = await proxies.start({ kind: 'tamper-zip' })
    const run = await runScenario(
      universe,
      { proxies: tampering.url, 'working-directory': 'sample' },
      { workspace, env: { GOTOOLCHAIN: 'auto', GOSUMDB: sumdb.gosumdb, RUNNER_TOOL_CACHE: cache } }
    )
    expect(run.failed).toBe(true)
    expect(run.log).toMatch(/::error::go switches to toolchain go1\.99\.0 for this module \(go\.mod asks for it; the installed go is go\S+\), and it could not be fetched: /)
    // go refused the toolchain's bytes, and nothing was asked of go for the modules.
    expect(run.log).toMatch(/::group::Fetch toolchain go1\.99\.0[\s\S]*checksum mismatch/)
    expect(run.log).not.toContain('::group::go mod download')
    expect(existsSync(path.join(cache, 'go', '1.99.0'))).toBe(false)
    expect(run.summary).toMatch(/could not be fetched/)
  })

  it('a second run on the same runner takes it from the tool cache, with no request for it', async () => {
    const good = await proxies.start(healthy)
    // The first test filled the tool cache; this run has a new module cache and RUNNER_TEMP.
    expect(existsSync(path.join(toolCache, 'go', '1.99.0', os.arch(), 'bin', 'go'))).toBe(true)
    const run = await step([good.url])
    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(toolchainRequests(good.requests)).toEqual([])
    expect(run.summary).toMatch(/\| go1\.99\.0 \| go\S+ \| the runner’s tool cache \|/)
  })
})
