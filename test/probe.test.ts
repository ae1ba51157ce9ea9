// Probes against real loopback servers.
import { mkdtempSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCandidates } from '../src/go/goproxy.ts'
import { parseGoSum, probeTarget } from '../src/module/gosum.ts'
import type { HttpClient } from '../src/net/client.ts'
import { modRequest, probeAll, protocolRequest } from '../src/probe/probe.ts'
import { probeCutoffMs } from '../src/util/timing.ts'
import { networkClient } from './support/net.ts'
import { type Fault, healthy, proxyPool } from './support/proxy-server.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
let client: HttpClient
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'probe-')), { count: 2 })
  client = await networkClient()
})
afterAll(async () => {
  client.close()
  await proxies.closeAll()
})

const proxy = async (fault: Fault) => (await proxies.start(fault)).url

const target = () => probeTarget(parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8')), () => false)!

describe('probeCutoffMs', () => {
  it('is four times the first healthy answer, at least 500ms, at most the probe timeout', () => {
    expect(probeCutoffMs(10, 5000)).toBe(500)
    expect(probeCutoffMs(300, 5000)).toBe(1200)
    expect(probeCutoffMs(2000, 5000)).toBe(5000)
    expect(probeCutoffMs(10, 300)).toBe(300)
  })
})

describe('the .mod probe', () => {
  it('judges each candidate by what it serves, in parallel, within the timeout', async () => {
    const urls = [await proxy(healthy), await proxy({ kind: 'html' }), await proxy({ kind: 'tamper-zip' }), await proxy({ kind: 'hang' }), await proxy({ kind: 'status', status: 403 })]
    const started = Date.now()
    const results = await probeAll(client, parseCandidates([...urls, 'direct'].join(',')), modRequest(target()), 800)
    expect(Date.now() - started).toBeLessThan(5000)
    const what = `${target().module}@v1.0.0 .mod`
    expect(results.map(r => [r.verdict, r.reason])).toEqual([
      ['healthy', `served ${what}`],
      ['unhealthy', `200 with an HTML page instead of ${what}`],
      // A tampered zip is not visible in the .mod: the download's checksum check catches it.
      ['healthy', `served ${what}`],
      ['slow', expect.stringMatching(new RegExp(`^no answer within 500ms, while ${urls[0]} answered in \\d+ms$`))],
      ['unhealthy', `HTTP 403 for ${what}`],
      ['not probed', 'direct is used as given']
    ])
    expect(results[0]!.latencyMs).toBeGreaterThan(0)
  })

  it('hedges: once one candidate is healthy, a never-answering one costs the hedge, not the timeout', async () => {
    const urls = [await proxy({ kind: 'hang' }), await proxy(healthy)]
    const started = Date.now()
    const results = await probeAll(client, parseCandidates(urls.join(',')), modRequest(target()), 60_000)
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(results.map(r => r.verdict)).toEqual(['slow', 'healthy'])
  })

  it('waits the whole timeout when nothing has answered healthy', async () => {
    const results = await probeAll(client, parseCandidates([await proxy({ kind: 'hang' }), await proxy({ kind: 'status', status: 500 })].join(',')), modRequest(target()), 700)
    expect(results.map(r => [r.verdict, r.reason])).toEqual([
      ['unhealthy', 'no complete answer within 700ms'],
      ['unhealthy', `HTTP 500 for ${target().module}@v1.0.0 .mod`]
    ])
  })

  it('calls wrong bytes wrong bytes', async () => {
    const url = await proxy(healthy)
    const wrong = { ...target(), hash: 'h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }
    const [result] = await probeAll(client, parseCandidates(url), modRequest(wrong), 2000)
    expect(result).toMatchObject({ verdict: 'unhealthy', reason: `wrong bytes for ${wrong.module}@v1.0.0 .mod: hash differs from go.sum` })
  })

  it('reports a refused or reset connection', async () => {
    const refused = 'http://127.0.0.1:9'
    const results = await probeAll(client, parseCandidates(`${refused},${await proxy({ kind: 'reset' })}`), modRequest(target()), 2000)
    expect(results.map(r => r.reason)).toEqual(['connection refused', 'connection reset'])
  })
})

describe('the protocol probe (no go.sum line to check)', () => {
  it('accepts a version list or a plain not-found, and rejects a portal page', async () => {
    const results = await probeAll(client, parseCandidates(`${await proxy(healthy)},${await proxy({ kind: 'html' })}`), protocolRequest(), 2000)
    expect(results.map(r => r.verdict)).toEqual(['healthy', 'unhealthy'])
    expect(results[1]!.reason).toBe('answer to golang.org/toolchain version list is not a version list (an HTML page)')
  })

  it('reads a real version list', async () => {
    const [result] = await probeAll(client, parseCandidates(await proxy(healthy)), protocolRequest(target().module), 2000)
    expect(result).toMatchObject({ verdict: 'healthy', reason: `served ${target().module} version list` })
  })
})

describe('the HTTP client', () => {
  const started: http.Server[] = []
  let loop = ''

  beforeAll(async () => {
    const server = http.createServer((request, response) => {
      if (request.url === '/big') return response.end('four')
      response.writeHead(302, { location: '/loop' })
      response.end()
    })
    started.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    loop = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => Promise.all(started.map(s => new Promise(resolve => s.close(resolve)))))

  it('gives up after 10 redirects, as go does', async () => {
    await expect(client.get(`${loop}/loop`, { signal: AbortSignal.timeout(2000), maxBytes: 1024, floor: { bytesPerSec: 1, windowMs: 2000 } })).rejects.toThrow('stopped after 10 redirects')
  })

  it('refuses an answer larger than asked for', async () => {
    await expect(client.get(`${loop}/big`, { signal: AbortSignal.timeout(2000), maxBytes: 3, floor: { bytesPerSec: 1, windowMs: 2000 } })).rejects.toThrow('answer larger than 3 bytes')
  })
})
