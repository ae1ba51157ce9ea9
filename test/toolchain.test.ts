import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { toolchainProblem, userToolchain } from '../src/toolchain.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { runScenario } from './support/scenario.ts'
import { makeUniverse, writeSample } from './support/universe.ts'

describe('toolchainProblem', () => {
  const installed = 'go1.26.8'
  it.each<[string, string | undefined, string, RegExp | undefined]>([
    ['local, go.mod at or below the installed go', '1.26.8', 'local', undefined],
    ['local, go.mod newer: go would refuse', '1.99', 'local', /go\.mod requires go >= 1\.99, but the installed go is 1\.26\.8 and GOTOOLCHAIN=local/],
    ['auto, go.mod newer: go switches (not refused here)', '1.99', 'auto', undefined],
    ['local+auto, go.mod newer', '1.99', 'local+auto', undefined],
    ['a pinned toolchain that is the installed one', '1.21', 'go1.26.8', undefined],
    ['a pinned toolchain that is not: go would fetch it unprotected', '1.21', 'go1.25.0', /GOTOOLCHAIN=go1\.25\.0 makes go fetch toolchain go1\.25\.0/],
    ['a pinned toolchain with +auto', '1.21', 'go1.25.0+auto', undefined],
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
