// A file fetched for one request counts against the one-off budget until its answer is over:
// released by whoever gets its outcome. Two ways an outcome was dropped with nobody to release it
// (its bytes then held against the budget, and its file on disk, for as long as the proxy lives):
// the fetch ended (client gone, deadline) while the file was being checked and kept, after its
// download; and a hedge that lost the race but still had its file kept. Real loopback HTTP; the
// client around the real one only holds each answer back, as a slow check would.
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Fetcher } from '../src/fetch/fetcher.ts'
import { Store } from '../src/fetch/store.ts'
import { type Candidate, parseCandidates } from '../src/go/goproxy.ts'
import { parseRequestPath, type ProxyRequest } from '../src/module/request.ts'
import { jobFor } from '../src/module/vouched.ts'
import type { HttpClient } from '../src/net/client.ts'
import { networkClient } from './support/net.ts'

const MIB = 1 << 20
let upstream: http.Server
let real: HttpClient
const candidates: Candidate[] = []

beforeAll(async () => {
  upstream = http.createServer((request, response) => {
    if (!request.url?.endsWith('.zip')) return void response.writeHead(404).end()
    response.writeHead(200, { 'content-length': MIB }).end(Buffer.alloc(MIB, 3))
  })
  await new Promise<void>(resolve => upstream.listen(0, '127.0.0.1', resolve))
  const port = (upstream.address() as AddressInfo).port
  // Two names for the same server: two candidates.
  candidates.push(...parseCandidates(`http://127.0.0.1:${port}/a,http://127.0.0.1:${port}/b`))
  real = await networkClient()
})

afterAll(async () => {
  await new Promise(resolve => upstream.close(resolve))
})

const oneOff = (module: string) => jobFor(new Map(), parseRequestPath(`${module}/@v/v1.0.0.zip`) as ProxyRequest)
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

function fetcherWith(client: HttpClient, use: Candidate[], budget: number): { fetcher: Fetcher; transientDir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'one-off-release-'))
  const transientDir = path.join(dir, 'transient')
  const fetcher = new Fetcher({
    client,
    candidates: use.map(candidate => ({ candidate, latencyMs: 0 })),
    store: new Store({ root: path.join(dir, 'store'), downloads: '' }),
    transientDir,
    rounds: 1,
    backoffMs: 10,
    stallTimeoutMs: 60_000,
    oneOffBudgetBytes: budget
  })
  return { fetcher, transientDir }
}

const filesIn = (dir: string) => readdirSync(dir, { recursive: true }).filter(f => statSync(path.join(dir, String(f))).isFile())

it('the client gone after the download, while the file is checked: its bytes are given back', async () => {
  const gone = new AbortController()
  let first = true
  const client = {
    download: async (...args: Parameters<HttpClient['download']>) => {
      const answer = await real.download(...args)
      // The client goes away once the bytes are in, before the fetch hands the file on.
      if (first) gone.abort(new Error('its client went away'))
      first = false
      await sleep(50)
      return answer
    }
  } as unknown as HttpClient
  const { fetcher, transientDir } = fetcherWith(client, candidates.slice(0, 1), 1.5 * MIB)
  try {
    const outcome = await fetcher.get(oneOff('example.com/gone'), { signal: gone.signal })
    // Whatever it says, whoever gets it must be able to give it back.
    if (outcome.kind === 'file') outcome.release?.()
    await sleep(100)
    const after = await fetcher.get(oneOff('example.com/after'))
    expect(after).toMatchObject({ kind: 'file', size: MIB })
    if (after.kind === 'file') after.release?.()
    await sleep(100)
    expect(filesIn(transientDir)).toEqual([])
  } finally {
    await fetcher.close()
  }
})

it('a hedge whose file is kept after the race was won: its bytes are given back', async () => {
  const client = {
    download: async (url: string, ...rest: [string, Parameters<HttpClient['download']>[2]]) => {
      if (url.includes('/a/')) {
        // Silent long enough to be hedged, then quick.
        await sleep(600)
        return real.download(url, ...rest)
      }
      // The hedge: its bytes in at once, then held back until after the first has won.
      const answer = await real.download(url, ...rest)
      await sleep(1200)
      return answer
    }
  } as unknown as HttpClient
  const { fetcher, transientDir } = fetcherWith(client, candidates, 2.5 * MIB)
  try {
    const won = await fetcher.get(oneOff('example.com/hedged'))
    expect(won).toMatchObject({ kind: 'file', size: MIB })
    expect(fetcher.hedges).toBe(1)
    if (won.kind === 'file') won.release?.()
    // The loser's answer comes back.
    await sleep(1500)
    // Nothing of the loser left on disk, nor held against the budget.
    expect(filesIn(transientDir)).toEqual([])
    expect((fetcher as unknown as { oneOffBytes: number }).oneOffBytes).toBe(0)
  } finally {
    await fetcher.close()
  }
}, 15_000)
