// The action against real loopback proxies with the real go: a faulty candidate first, a
// healthy one second, and what must come out of it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { processesWithEnv } from './support/action.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { type Fault, healthy, proxyPool } from './support/proxy-server.ts'
import { expectComplete as expectCompleteCache, runScenario, type Where } from './support/scenario.ts'
import { makeUniverse, type Universe, writeSample } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault: Fault) => proxies.start(fault)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 6 })
})

afterEach(proxies.closeAll)

const runAction = (inputs: Record<string, string>, where?: Where) => runScenario(universe, inputs, where)
const expectComplete = (modcache: string) => expectCompleteCache(modcache, universe.modules)

const faults: [string, Fault, string][] = [
  // Once the healthy one has answered, a silent one is cut short by the hedge.
  ['never answers', { kind: 'hang' }, '🐢 too slow'],
  ['resets the connection', { kind: 'reset' }, '❌ unhealthy'],
  ['answers HTTP 500', { kind: 'status', status: 500 }, '❌ unhealthy'],
  ['answers 200 with an HTML page', { kind: 'html' }, '❌ unhealthy']
]

describe('a faulty first candidate and a healthy second', () => {
  it.each(faults)('first one %s: succeeds through the healthy one', async (_, fault, verdict) => {
    const bad = await proxy(fault)
    const good = await proxy(healthy)
    const run = await runAction({ proxies: `${bad.url}\n${good.url}` })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache)
    expect(run.outputs.proxy).toBe(good.url)
    expect(run.exported.GOPROXY).toBe(good.url)
    expect(run.outputs.attempts).toBe('1')
    expect(run.summary).toMatch(new RegExp(`\\| ${bad.url} \\| ${verdict} \\|`))
    expect(run.summary).toMatch(new RegExp(`\\| ${good.url} \\| ✅ healthy \\|`))
    // The probe found the fault; go never had to wait on it.
    expect(bad.requests.length).toBeLessThanOrEqual(1)
    expect(good.requests.some(r => r.endsWith('.zip'))).toBe(true)
  })

  it('first one stalls after a few requests: the stalled attempt is killed and the next goes through the healthy one', async () => {
    const stalling = await proxy({ kind: 'stall-after', after: 3 })
    const good = await proxy(healthy)
    // Without the prefetch, which would fetch around the stall before go starts.
    const run = await runAction({ proxies: `${stalling.url},${good.url}`, prefetch: 'false' })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache)
    expect(run.outputs.attempts).toBe('2')
    expect(run.outputs.proxy).toBe(good.url)
    expect(run.exported.GOPROXY).toBe(`${good.url}|${stalling.url}`)
    expect(run.summary).toMatch(new RegExp(`\\| 1 \\| ${stalling.url} \\| ❌ stall \\|`))
    expect(run.summary).toMatch(new RegExp(`\\| 2 \\| ${good.url} \\| ✅ ok \\|`))
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })

  it('first one serves tampered zips: that candidate is dropped, the healthy one completes the download', async () => {
    const tampering = await proxy({ kind: 'tamper-zip' })
    const good = await proxy(healthy)
    const run = await runAction({ proxies: `${tampering.url},${good.url}`, prefetch: 'false' })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache)
    expect(run.summary).toMatch(/❌ checksum mismatch/)
    expect(run.exported.GOPROXY).toBe(good.url)
  })
})

describe('the watchdog', () => {
  it('lets a slow download that keeps receiving bytes above the floor rate finish', async () => {
    // Zips of about 10 KiB at 2 KiB/s each: about 5 s with no completed request meanwhile, longer than the stall timeout.
    const larger = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3, sourceBytes: 16_384 })
    const slow = await proxies.start({ kind: 'drip', bytes: 512, everyMs: 250, zipOnly: true }, {}, larger.proxyDir)
    const run = await runScenario(larger, { proxies: slow.url, 'stall-timeout': '2s', prefetch: 'false' })

    expect(run.failed, run.log).toBe(false)
    expect(run.outputs.attempts).toBe('1')
    // It ran past the stall timeout, receiving bytes, and was left alone.
    expect(Number(/Attempt 1 \(\S+ first\): ok after (\d+\.\d)s/.exec(run.log)?.[1])).toBeGreaterThan(2)
    expectCompleteCache(run.modcache, larger.modules)
  })

  it('kills an attempt that runs past its timeout, even while it progresses', async () => {
    const slow = await proxy({ kind: 'drip', bytes: 128, everyMs: 250, zipOnly: true })
    const good = await proxy(healthy)
    const run = await runAction({ proxies: `${slow.url},${good.url}`, timeout: '1s', 'stall-timeout': '30s', prefetch: 'false' })

    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toMatch(new RegExp(`\\| 1 \\| ${slow.url} \\| ❌ timeout \\|`))
    expect(run.outputs.proxy).toBe(good.url)
    expectComplete(run.modcache)
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })

  it('kills git children of a direct fetch too, even a git that ignores SIGTERM', async () => {
    // A git that hangs and shrugs off polite signals, first on PATH: go runs it for `direct`.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'hanging-git-'))
    const ran = path.join(bin, 'ran')
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\ntrap '' TERM INT HUP\necho "$*" >> ${ran}\nsleep 600\n`, { mode: 0o755 })
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'direct-'))
    writeFileSync(path.join(workspace, 'go.mod'), 'module example.com/direct\n\ngo 1.21\n\nrequire example.com/hang/repo.git v1.0.0\n')
    const run = await runAction(
      { proxies: 'direct', retries: '0' },
      { workspace, env: { PATH: [bin, process.env.PATH].join(path.delimiter) } }
    )

    expect(run.failed).toBe(true)
    expect(readFileSync(ran, 'utf8')).toContain('ls-remote')
    expect(run.summary).toMatch(/\| 1 \| direct \| ❌ stall \|/)
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })
})

describe('when nothing can work', () => {
  it('every candidate bad: a bounded failure that names each candidate, and no go left running', async () => {
    const hanging = await proxy({ kind: 'hang' })
    const failing = await proxy({ kind: 'status', status: 503 })
    const started = Date.now()
    const run = await runAction({ proxies: `${hanging.url},${failing.url}`, retries: '1' })

    expect(run.failed).toBe(true)
    expect(Date.now() - started).toBeLessThan(45_000)
    expect(run.log).toContain(`${hanging.url}: unhealthy, no complete answer within 1.0s`)
    expect(run.log).toContain(`${failing.url}: unhealthy, HTTP 503`)
    expect(run.summary).toContain('❌ Go modules could not be downloaded')
    expect(run.summary).toContain('No candidate passed its probe')
    // Each candidate's first turn, then the one retry: back to the first.
    expect(run.outputs.attempts).toBe('3')
    expect(run.outputs.proxy).toBe('')
    expect(run.summary).toMatch(/not saved: the download did not complete/)
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
  })

  it('a module missing from every candidate stops at once instead of retrying', async () => {
    const empty = await proxies.start(healthy, {}, mkdtempSync(path.join(os.tmpdir(), 'empty-proxy-')))
    const run = await runAction({ proxies: empty.url, retries: '3' })

    expect(run.failed).toBe(true)
    expect(run.outputs.attempts).toBe('1')
    expect(run.summary).toMatch(/❌ not found/)
  })

  it('a bad input fails before any request, naming the input', async () => {
    const good = await proxy(healthy)
    const run = await runAction({ proxies: good.url, 'stall-timeout': '10 minutes' })

    expect(run.failed).toBe(true)
    expect(run.log).toContain('Input "stall-timeout": "10 minutes" is not a duration')
    expect(good.requests).toEqual([])
  })

  it('GOFLAGS go refuses fail before any request, naming GOFLAGS and quoting go', async () => {
    const good = await proxy(healthy)
    const run = await runAction({ proxies: good.url, retries: '3' }, { env: { GOFLAGS: '-modcacherw -bogus' } })

    expect(run.failed).toBe(true)
    // GOFLAGS is no input of the action: named as the setting go reads, not as an input.
    expect(run.log).toContain('::error::GOFLAGS (from go env GOFLAGS): go refuses them (go: parsing $GOFLAGS: unknown flag -bogus)')
    expect(run.log + run.summary).not.toContain('Input "GOFLAGS')
    expect(run.outputs.attempts ?? '0').toBe('0')
    expect(good.requests).toEqual([])
  })
})

describe('private modules', () => {
  it('are never requested from a public candidate, nor probed there', async () => {
    // The private module sorts first, so it is what a careless probe would ask for.
    const [secret] = universe.modules
    const modcache = tempModcache()
    // Already fetched by other means (a restored cache, say): go must not ask the proxy for it.
    await go(['mod', 'download', `${secret?.path}@${secret?.version}`], universe.sampleDir, { ...offlineGoEnv(modcache), GOPROXY: `file://${universe.proxyDir}` })
    const good = await proxy(healthy)
    const run = await runAction({ proxies: good.url }, { modcache, env: { GOPRIVATE: secret?.path ?? '', GONOSUMDB: secret?.path ?? '' } })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache)
    expect(good.requests.filter(r => r.toLowerCase().includes('/!fixture/'))).toEqual([])
    expect(run.summary).toMatch(/served `example\.com\/fixture\/m002@v1\.0\.0` \.mod/)
  })
})

describe('a module without dependencies', () => {
  it('has no go.sum line to check, so the probe asks for a version list; nothing to download', async () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'nodeps-'))
    writeFileSync(path.join(workspace, 'go.mod'), 'module example.com/nodeps\n\ngo 1.21\n')
    const good = await proxy(healthy)
    const portal = await proxy({ kind: 'html' })
    const run = await runAction({ proxies: `${portal.url},${good.url}` }, { workspace })

    expect(run.failed, run.log).toBe(false)
    expect(good.requests).toEqual(['/golang.org/toolchain/@v/list'])
    // Healthy, and first in the exported chain, but nothing went through it: no proxy is named.
    expect(run.outputs.proxy).toBe('')
    expect(run.exported.GOPROXY).toBe(good.url)
    expect(run.summary).toContain('answer to golang.org/toolchain version list is not a version list (an HTML page)')
  })
})

describe('a go.work workspace', () => {
  it('downloads what every used module needs', async () => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'workspace-'))
    await writeSample(path.join(workspace, 'a'), 'example.com/a', universe.modules.slice(0, 3), universe.proxyDir)
    await writeSample(path.join(workspace, 'b'), 'example.com/b', universe.modules.slice(3), universe.proxyDir)
    writeFileSync(path.join(workspace, 'go.work'), 'go 1.21\n\nuse (\n\t./a\n\t./b\n)\n')
    const good = await proxy(healthy)
    const run = await runAction({ proxies: good.url }, { workspace })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache)
    expect(run.summary).toMatch(/served `example\.com\/Fixture\/m001@v1\.0\.0` \.mod/)
  })
})

describe('a module cache that already holds everything', () => {
  it('is checked offline and no proxy is asked anything', async () => {
    const good = await proxy(healthy)
    const first = await runAction({ proxies: good.url, cache: 'false' })
    expect(first.failed, first.log).toBe(false)
    const asked = good.requests.length

    const again = await runAction({ proxies: good.url, cache: 'false' }, { modcache: first.modcache })
    expect(again.failed, again.log).toBe(false)
    expect(good.requests.length).toBe(asked)
    expect(again.summary).toContain('Every module was already in the module cache')
    expect(again.exported.GOPROXY).toBe(good.url)
  })
})
