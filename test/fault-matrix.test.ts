// Every way a module proxy misbehaves, each met twice: first in line with a healthy proxy
// behind it (the action must succeed through the healthy one), and alone (the action must
// fail clearly, in bounded time, saving nothing).
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { processesWithEnv } from './support/action.ts'
import { type CacheService, startCacheService } from './support/cache-service.ts'
import { type Fault, healthy, type ProxyOptions, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { loopbackCertificate } from './support/tls.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

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

interface Mode {
  name: string
  fault: Fault
  options?: () => ProxyOptions
  /** What the failure must say about this candidate when it is alone. */
  alone: RegExp
}

const untrusted = () => ({ tls: loopbackCertificate() })
const modes: Mode[] = [
  { name: 'never answers', fault: { kind: 'hang' }, alone: /no complete answer within 1\.0s.*(stall|timeout)/s },
  { name: 'refuses connections', fault: { kind: 'refused' }, alone: /connection refused/ },
  { name: 'resets connections', fault: { kind: 'reset' }, alone: /ECONNRESET|connection reset/ },
  { name: 'answers 403', fault: { kind: 'status', status: 403 }, alone: /HTTP 403/ },
  { name: 'answers 429 with Retry-After', fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, alone: /HTTP 429/ },
  { name: 'answers 500', fault: { kind: 'status', status: 500 }, alone: /HTTP 500/ },
  { name: 'answers 502', fault: { kind: 'status', status: 502 }, alone: /HTTP 502/ },
  { name: 'answers 503', fault: { kind: 'status', status: 503 }, alone: /HTTP 503/ },
  { name: 'answers 200 with an HTML page', fault: { kind: 'html' }, alone: /an HTML page/ },
  { name: 'drips one byte per second', fault: { kind: 'drip', bytes: 1, everyMs: 1000 }, alone: /no complete answer within 1\.0s.*(stall|timeout)/s },
  { name: 'stalls after 3 requests', fault: { kind: 'stall-after', after: 3 }, alone: /stall/ },
  { name: 'stalls only on .zip files', fault: { kind: 'stall-zip' }, alone: /stall/ },
  { name: 'serves tampered .mod files', fault: { kind: 'tamper-mod' }, alone: /hash differs from go\.sum.*checksum mismatch/s },
  { name: 'serves tampered .zip files', fault: { kind: 'tamper-zip' }, alone: /checksum mismatch/ },
  { name: 'truncates bodies', fault: { kind: 'truncate' }, alone: /unexpected EOF|ended early|incomplete|aborted/i },
  { name: 'redirects to a dead address', fault: { kind: 'redirect-dead' }, alone: /connection refused/ },
  { name: 'never completes the TLS handshake', fault: { kind: 'tls-hang' }, alone: /no complete answer within 1\.0s/ },
  { name: 'has an untrusted certificate', fault: healthy, options: untrusted, alone: /certificate/ }
]

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
    expect(run.summary).toMatch(/#### Fetch\n\n.*\n.*\n\| 15 of 15 planned \| (?:[^|]+\| ){4}[1-9]\d* \|/)
  })
})
