// The rules against slow transfers, one by one: the floor rate that gives a transfer up, the
// hedge on throughput, in-flight fetches abandoned after a stalled attempt, and the route
// probe of the checksum database that nothing on go's path waits for. Real loopback servers;
// the whole paths are in fault-matrix.test.ts.
import { mkdtempSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AttemptOutcome } from '../src/download/attempt.ts'
import { classify } from '../src/download/classify.ts'
import { runDownload } from '../src/download/stage.ts'
import { Fetcher } from '../src/fetch/fetcher.ts'
import { movedBecause } from '../src/fetch/stats.ts'
import { readProject } from '../src/fetch/resolve.ts'
import { startFetch } from '../src/fetch/stage.ts'
import { Store } from '../src/fetch/store.ts'
import { parseCandidates } from '../src/go/goproxy.ts'
import { parseGoSum, type SumLine } from '../src/module/gosum.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import { escapePath } from '../src/module/path.ts'
import { downloadPath, parseRequestPath, type ProxyRequest } from '../src/module/request.ts'
import { jobFor as jobForRequest, knownFiles } from '../src/module/vouched.ts'
import type { HttpClient } from '../src/net/client.ts'
import { runProbe } from '../src/probe/stage.ts'
import { parseGosumdb, probeSumdb, SumdbRoutes } from '../src/go/sumdb.ts'
import { FLOOR_BYTES_PER_SEC, slowBodyBytesPerSec, Throughput } from '../src/util/timing.ts'
import { tempModcache } from './support/go.ts'
import { slowModes } from './support/faults.ts'
import { networkClient } from './support/net.ts'
import { type Fault, healthy, type ProxyOptions, proxyPool } from './support/proxy-server.ts'
import { loopbackCertificate } from './support/tls.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const jobFor = (known: ReturnType<typeof knownFiles>, path: string) => jobForRequest(known, parseRequestPath(path) as ProxyRequest)
let lines: SumLine[]
let client: HttpClient
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault: Fault = healthy, options?: ProxyOptions) => proxies.start(fault, options)

beforeAll(async () => {
  // Zips of about 100 KiB: large enough that a candidate's rate is measured from them.
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 6, sourceBytes: 200_000 })
  lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
  client = await networkClient()
})
afterEach(proxies.closeAll)
afterAll(() => client.close())

/** What go's attempt came to, as runAttempt reports it (go itself is not run here). */
function outcomeOf(endedBy: 'stall' | 'exit'): AttemptOutcome {
  const ended = { exit: endedBy === 'exit' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' as const }, endedBy, durationMs: 1, errors: [], waitingOn: [], zips: 0, failedRequests: [] }
  return { ...ended, classification: classify(ended) }
}
const zipPath = (i: number) => downloadPath(universe.modules[i]!.path, 'v1.0.0', 'zip')
const zipJob = (i: number) => jobFor(knownFiles(lines, () => false), zipPath(i))
const timed = async <T>(work: Promise<T>) => {
  const started = performance.now()
  const result = await work
  return { result, ms: performance.now() - started }
}

function fetcherFor(urls: string[], stallTimeoutMs = 5_000, options: { client?: HttpClient; rounds?: number } = {}): Fetcher {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fetcher-'))
  return new Fetcher({
    client: options.client ?? client,
    candidates: parseCandidates(urls.join(',')).map(candidate => ({ candidate, latencyMs: 5 })),
    store: new Store({ root: path.join(dir, 'store'), downloads: '' }),
    transientDir: path.join(dir, 'transient'),
    rounds: options.rounds ?? 1,
    backoffMs: 10,
    stallTimeoutMs
  })
}

describe('Throughput', () => {
  it('is the rate over the last window, known once a whole window has passed', () => {
    const meter = new Throughput(1000, 0)
    meter.add(500, 100)
    expect(meter.rate(900)).toBeUndefined()
    meter.add(500, 900)
    expect(meter.rate(1000)).toBe(1000)
    // Nothing more: what came in the first second leaves the window.
    expect(meter.rate(1950)).toBe(0)
    expect(meter.below(1, 1950)).toBe(true)
    expect(meter.below(1, 500)).toBe(false)
  })

  it('keeps a few slots per window however many chunks arrive', () => {
    const meter = new Throughput(1000, 0)
    for (let t = 0; t < 10_000; t++) meter.add(2, t)
    expect(meter.rate(10_000)).toBeCloseTo(2000, -2)
    expect((meter as unknown as { slots: unknown[] }).slots.length).toBeLessThanOrEqual(18)
  })

  it('hedges a body below an eighth of the candidate’s usual rate, never below the floor', () => {
    expect(slowBodyBytesPerSec(undefined)).toBe(FLOOR_BYTES_PER_SEC)
    expect(slowBodyBytesPerSec(4096)).toBe(FLOOR_BYTES_PER_SEC)
    expect(slowBodyBytesPerSec(8 << 20)).toBe(1 << 20)
  })
})

describe('the floor: a transfer below it for a whole window is given up', () => {
  const servers: http.Server[] = []
  afterAll(() => Promise.all(servers.map(s => new Promise(resolve => s.close(resolve)))))
  const serve = async (handler: http.RequestListener) => {
    const server = http.createServer(handler)
    servers.push(server)
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  const floor = { bytesPerSec: 1024, windowMs: 1000 }
  const get = (url: string) => client.get(url, { signal: AbortSignal.timeout(20_000), maxBytes: 1 << 20, floor })

  it('headers, then a byte every 100 ms: given up after the window, though the connection never falls silent', async () => {
    const url = await serve((_, response) => {
      response.writeHead(200, { 'content-length': 1000 })
      const timer = setInterval(() => (response.destroyed ? clearInterval(timer) : response.write('x')), 100)
    })
    const { ms } = await timed(expect(get(url)).rejects.toThrow('slower than 1024 bytes/s for 1.0s'))
    expect(ms).toBeLessThan(5_000)
  })

  it('a steady 4 KiB/s, above the floor, arrives whole', async () => {
    const url = await serve((_, response) => {
      response.writeHead(200, { 'content-length': 8192 })
      let sent = 0
      const timer = setInterval(() => {
        response.write(Buffer.alloc(512))
        if ((sent += 512) >= 8192) {
          clearInterval(timer)
          response.end()
        }
      }, 125)
    })
    expect((await get(url)).body.length).toBe(8192)
  })

  it('a redirect to a host that never answers: the window runs across the redirect', async () => {
    const silent = await proxy({ kind: 'hang' })
    const url = await serve((request, response) => {
      response.writeHead(302, { location: `${silent.url}${request.url}` })
      response.end()
    })
    await expect(get(url)).rejects.toThrow('slower than 1024 bytes/s')
  })

  it('a TLS handshake that drips (the socket never idle) is given up too', async () => {
    const cert = loopbackCertificate()
    const dripping = await proxy({ kind: 'tls-drip', after: 0 }, { tls: cert })
    const trusting = await networkClient({ SSL_CERT_FILE: cert.certFile })
    try {
      const { ms } = await timed(expect(trusting.get(`${dripping.url}/x`, { signal: AbortSignal.timeout(20_000), maxBytes: 1024, floor })).rejects.toThrow('slower than 1024 bytes/s'))
      expect(ms).toBeLessThan(5_000)
    } finally {
      trusting.close()
    }
  })
})

describe('the fetch hedges on throughput', () => {
  it.each(slowModes.filter(m => !m.tls))('a candidate that $name first: the next one is asked beside it and wins, before the floor’s window is out', async mode => {
    const slow = await proxy(mode.fault(['.zip'], 0))
    const good = await proxy()
    const fetcher = fetcherFor([slow.url, good.url])
    try {
      expect(await fetcher.get(zipJob(0))).toMatchObject({ kind: 'file' })
      // A hedge, not a failover after the slow request was given up.
      expect(fetcher.hedges).toBe(1)
      expect(fetcher.stats.get(fetcher.current[1]!)).toMatchObject({ hedgesWon: 1 })
    } finally {
      fetcher.close()
    }
  })

  it('a redirect is not an answer: one to a silent host is hedged like silence', async () => {
    const redirecting = await proxy({ kind: 'slow-body', how: 'redirect-silent', on: ['.zip'] })
    const good = await proxy()
    const fetcher = fetcherFor([redirecting.url, good.url])
    try {
      expect(await fetcher.get(zipJob(0))).toMatchObject({ kind: 'file' })
      expect(fetcher.hedges).toBe(1)
      expect(fetcher.stats.get(fetcher.current[1]!)).toMatchObject({ hedgesWon: 1 })
      // Overtaken before its answer began (once the overtaken request has wound up): a stall of the redirecting candidate's.
      await new Promise(resolve => setTimeout(resolve, 100))
      expect(fetcher.stats.get(fetcher.current[0]!)).toMatchObject({ stalls: 1 })
    } finally {
      fetcher.close()
    }
  })

  it('a candidate whose last 3 zips stalled is asked after the others until it serves a zip again, its quick answers besides notwithstanding, and the summary says why', async () => {
    const zipsStalling = await proxy({ kind: 'slow-body', how: 'headers-then-silence', on: ['.zip'] })
    const good = await proxy()
    const fetcher = fetcherFor([zipsStalling.url, good.url])
    const known = knownFiles(lines, () => false)
    try {
      // Small answers at once: enough requests served that 3 stalls stay under a tenth of its requests.
      for (let i = 0; i < 25; i++) expect(await fetcher.get(jobFor(known, `${escapePath(universe.modules[i % 6]!.path)}/@v/list`))).toMatchObject({ kind: 'file' })
      for (const i of [0, 1, 2, 3, 4]) {
        // A quick answer between the zips: no zip served, so the zips' streak goes on.
        expect(await fetcher.get(jobFor(known, `${escapePath(universe.modules[i]!.path)}/@v/list`))).toMatchObject({ kind: 'file' })
        expect(await fetcher.get(zipJob(i))).toMatchObject({ kind: 'file' })
      }
      // Three zips hedged away from it; the next ones were asked of the healthy one first.
      expect(zipsStalling.requests.filter(r => r.endsWith('.zip'))).toHaveLength(3)
      expect(movedBecause(fetcher.stats.get(fetcher.current[0]!)!)).toBe('stalled on 3 of 31 requests, 3 of one kind in a row; moved behind')
    } finally {
      fetcher.close()
    }
  })

  it('a body far slower than the candidate’s usual rate, though above the floor, is hedged', async () => {
    const slowing = await proxy()
    const good = await proxy()
    const fetcher = fetcherFor([slowing.url, good.url])
    try {
      // Its usual rate, from whole zips at loopback speed.
      for (const i of [0, 1, 2]) expect(await fetcher.get(zipJob(i))).toMatchObject({ kind: 'file' })
      expect(fetcher.hedges).toBe(0)
      // Then 32 KiB/s: thirty times the floor, a small fraction of what it usually sends.
      slowing.setFault({ kind: 'drip', bytes: 8192, everyMs: 250 })
      expect(await fetcher.get(zipJob(3))).toMatchObject({ kind: 'file' })
      expect(fetcher.hedges).toBe(1)
      expect(fetcher.stats.get(fetcher.current[1]!)).toMatchObject({ hedgesWon: 1 })
    } finally {
      fetcher.close()
    }
  })

  it('alone, a dripping candidate is given up after the window, and the file fails', async () => {
    const dripping = await proxy({ kind: 'slow-body', how: 'drip', on: ['.zip'] })
    const fetcher = fetcherFor([dripping.url], 1_000)
    try {
      const { result } = await timed(fetcher.get(zipJob(0)))
      expect(result).toMatchObject({ kind: 'failed', why: expect.stringContaining('slower than') })
      expect(fetcher.stats.get(fetcher.current[0]!)).toMatchObject({ stalls: 1 })
    } finally {
      fetcher.close()
    }
  })
})

describe('a stalled attempt’s fetches are abandoned', () => {
  it('the next request for the same file starts anew instead of joining it', async () => {
    const silent = await proxy({ kind: 'slow-body', how: 'headers-then-silence', on: ['.zip'] })
    const fetcher = fetcherFor([silent.url], 60_000, { rounds: 3 })
    try {
      const first = fetcher.get(zipJob(0))
      await new Promise(resolve => setTimeout(resolve, 300))
      expect(fetcher.abandon()).toBe(1)
      // Asked again at once, before the abandoned fetch has wound up.
      const second = fetcher.get(zipJob(0))
      expect(await first).toMatchObject({ kind: 'failed', why: expect.stringContaining('abandoned') })
      await new Promise(resolve => setTimeout(resolve, 300))
      expect(silent.requests.filter(r => r.endsWith('.zip'))).toHaveLength(2)
      fetcher.abandon()
      await second
    } finally {
      fetcher.close()
    }
  })

  it('by the download stage when the watchdog ended an attempt: go’s request waiting on it is answered at once', async () => {
    const silent = await proxy({ kind: 'slow-body', how: 'headers-then-silence', on: ['.zip'] })
    const stage = await startFetch({
      client,
      candidates: parseCandidates(silent.url).map(candidate => ({ candidate, latencyMs: 5 })),
      sumLines: lines,
      isPrivate: () => false,
      project: await readProject(universe.sampleDir, ''),
      modcache: tempModcache(),
      writableTrees: true,
      concurrency: 4,
      rounds: 3,
      backoffMs: 10,
      stallTimeoutMs: 60_000
    })
    // go, asking the local proxy for a zip the silent candidate will take three rounds of 3 s to give up.
    const waiting = fetch(`${stage.url}/${zipPath(0)}`).then(async answer => ({ status: answer.status, text: await answer.text() }))
    await new Promise(resolve => setTimeout(resolve, 300))
    // go's runs are stood in for: the first is ended by the watchdog, the second completes.
    const ended = [outcomeOf('stall'), outcomeOf('exit')]
    const attempt = async () => {
      await new Promise(resolve => setTimeout(resolve, 200))
      return ended.shift() as AttemptOutcome
    }
    const report = await runDownload({ chain: parseCandidates(silent.url), fetch: stage, attempt, retries: 1, backoffMs: 1 })
    expect(report.attempts.map(a => a.reason)).toEqual(['stall', 'ok'])
    expect(await waiting).toMatchObject({ status: 502, text: expect.stringContaining('abandoned') })
  })

  it('a speculative fetch go never asked for is left alone', async () => {
    const silent = await proxy({ kind: 'slow-body', how: 'headers-then-silence', on: ['.zip'] })
    const fetcher = fetcherFor([silent.url], 60_000)
    try {
      void fetcher.get(zipJob(0), { speculative: true })
      await new Promise(resolve => setTimeout(resolve, 100))
      expect(fetcher.abandon()).toBe(0)
    } finally {
      fetcher.close()
    }
  })
})

describe('the checksum database’s routes', () => {
  const relay = { sumdb: { name: 'sum.example.com', url: 'http://127.0.0.1:9' } }
  const route = parseGosumdb('sum.example.com') as NonNullable<ReturnType<typeof parseGosumdb>>

  it('are probed with the module probe’s cut-off: a silent candidate costs half a second, not the timeout', async () => {
    const silent = await proxy({ kind: 'hang' })
    const proxying = await proxy(healthy, relay)
    const { result, ms } = await timed(probeSumdb(client, parseCandidates(`${silent.url},${proxying.url}`), route, 10_000))
    expect(ms).toBeLessThan(5_000)
    expect(result.proxiedBy.map(c => c.spec)).toEqual([proxying.url])
    expect(result.candidates[0]?.reason).toMatch(/^no answer within 500ms, while http:\/\/127\.0\.0\.1:\d+ answered in/)
  })

  it('reach the relay as they answer: a lookup waits for the first route, not for the probe', async () => {
    const slow = await proxy(healthy, { ...relay, latencyMs: 300 })
    const proxying = await proxy(healthy, relay)
    const candidates = parseCandidates(`${slow.url},${proxying.url}`)
    const routes = new SumdbRoutes(client, candidates, route, 10_000)
    const seen: string[][] = []
    routes.follow(() => seen.push(routes.relay(candidates).routes.map(r => r.candidate.spec)))
    await new Promise(resolve => setTimeout(resolve, 150))
    // The quick one is a route already; the slow one, first in the chain, goes before it once it answers.
    expect(seen.at(-1)).toEqual([`${proxying.url}/sumdb/sum.example.com`])
    expect(routes.relay(candidates).final).toBe(false)
    await routes.done
    expect(routes.relay(candidates)).toMatchObject({ final: true })
    expect(routes.relay(candidates).routes.map(r => r.candidate.spec)).toEqual([`${slow.url}/sumdb/sum.example.com`, `${proxying.url}/sumdb/sum.example.com`, 'https://sum.example.com'])
  })

  it('a relay request made before any route is known waits for one', async () => {
    const proxying = await proxy(healthy, relay)
    const fetcher = new Fetcher({
      client,
      candidates: [],
      store: new Store({ root: mkdtempSync(path.join(os.tmpdir(), 'store-')), downloads: '' }),
      transientDir: mkdtempSync(path.join(os.tmpdir(), 'transient-')),
      rounds: 1,
      backoffMs: 10,
      stallTimeoutMs: 5_000,
      candidatesComing: true
    })
    try {
      const asked = fetcher.get({ module: 'checksum database', version: '', kind: 'other', path: 'supported', maxBytes: MAX_BYTES.sumdb, transient: true })
      await new Promise(resolve => setTimeout(resolve, 100))
      fetcher.useCandidates(parseCandidates(`${proxying.url}/sumdb/sum.example.com`).map(candidate => ({ candidate, latencyMs: 0 })), false)
      expect(await asked).toMatchObject({ kind: 'file' })
    } finally {
      fetcher.close()
    }
  })

  it('are not waited for by the probe stage: a database that never answers costs go’s first attempt nothing', async () => {
    const silentDatabase = await proxy({ kind: 'hang' })
    const good = await proxy(healthy)
    const { result, ms } = await timed(
      runProbe({ client, candidates: parseCandidates(good.url), sumLines: lines, isPrivate: () => false, gosumdb: `sum.example.com ${silentDatabase.url}`, timeoutMs: 5_000, selection: 'ordered' })
    )
    expect(ms).toBeLessThan(2_500)
    expect(result.probes.map(p => p.verdict)).toEqual(['healthy'])
    // The route probe goes on behind, and ends within its own limit.
    expect((await (result.sumdb as SumdbRoutes).done).direct).toMatchObject({ ok: false, reason: 'no answer within 5.0s' })
  })
})
