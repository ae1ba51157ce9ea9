// Each kind of answer is cut at its limit (src/module/limits.ts): go's where go has one (.mod
// 16 MiB, .zip 500 MiB), a small one for an .info or a version list. Bodies stream to disk, so a
// candidate that sends a 300 MiB .info costs neither memory nor more than the limit in bytes.
import http from 'node:http'
import { mkdtempSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readProject } from '../src/fetch/resolve.ts'
import { type FetchStage, startFetch } from '../src/fetch/stage.ts'
import { parseCandidates } from '../src/go/goproxy.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import type { HttpClient } from '../src/net/client.ts'
import { tempModcache } from './support/go.ts'
import { networkClient } from './support/net.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

const MiB = 1 << 20

/** A candidate whose answers are as large as the path asks (`…/size-<bytes>/…`), made as they are sent; it counts what it got to send. */
async function startHugeCandidate() {
  const sent = new Map<string, number>()
  const server = http.createServer(async (request, response) => {
    const url = request.url ?? ''
    const size = Number(/size-(\d+)/.exec(url)?.[1] ?? 0)
    response.writeHead(200, { 'content-type': 'application/octet-stream' })
    const info = url.endsWith('.info')
    // A valid .info, padded: only its size is wrong.
    const head = info ? '{"Version":"v1.0.0","Pad":"' : ''
    const tail = info ? '"}' : ''
    const chunk = Buffer.alloc(64 * 1024, url.endsWith('/list') ? 'v1.0.0\n' : 'x')
    let count = 0
    const write = (data: Buffer | string) => {
      count += Buffer.byteLength(data)
      sent.set(url, count)
      return response.write(data)
    }
    write(head)
    while (count + chunk.length < size - tail.length && !response.destroyed) {
      if (!write(chunk)) await new Promise(resolve => response.once('drain', resolve).once('close', resolve))
    }
    if (!response.destroyed) {
      write(chunk.subarray(0, size - tail.length - count))
      response.end(tail)
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, close: () => new Promise<void>(resolve => server.close(() => resolve())) }
}

let universe: Universe
let client: HttpClient
let huge: Awaited<ReturnType<typeof startHugeCandidate>>
let stage: FetchStage

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 1 })
  client = await networkClient()
  huge = await startHugeCandidate()
  const candidates = parseCandidates(huge.url).map(c => ({ candidate: c, latencyMs: 5 }))
  stage = await startFetch({
    client,
    candidates,
    sumLines: [],
    isPrivate: () => false,
    project: await readProject(universe.sampleDir, ''),
    modcache: tempModcache(),
    writableTrees: true,
    concurrency: 4,
    rounds: 1,
    backoffMs: 50,
    stallTimeoutMs: 10_000
  })
})
afterAll(async () => {
  await stage.finish()
  await huge.close()
  client.close()
})

/** The status of a GET through the step's proxy, the bytes the fetch received meanwhile, and the step's peak memory above where it started. */
async function through(requestPath: string): Promise<{ status: number; received: number; peakGrowth: number }> {
  global.gc?.()
  const base = process.memoryUsage().rss
  let peak = base
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
  const before = stage.progress()
  try {
    const answer = await fetch(`${stage.url}/${requestPath}`)
    await answer.arrayBuffer()
    return { status: answer.status, received: stage.progress() - before, peakGrowth: peak - base }
  } finally {
    clearInterval(sampler)
  }
}

describe('answers over their limit', () => {
  it('a 300 MiB .info is cut at 1 MiB: the step’s memory does not grow with it', async () => {
    const { status, received, peakGrowth } = await through(`example.com/size-${300 * MiB}/@v/v1.0.0.info`)
    expect(status).toBe(502)
    expect(received).toBeLessThanOrEqual(MAX_BYTES.info)
    // What the candidate got into the socket before it was closed: the limit, and what the kernel buffers.
    expect(huge.sent.get(`/example.com/size-${300 * MiB}/@v/v1.0.0.info`)).toBeLessThan(MAX_BYTES.info + 16 * MiB)
    expect(peakGrowth).toBeLessThan(64 * MiB)
  })

  it('a .mod is cut at go’s 16 MiB, and one just under it is served', async () => {
    expect(MAX_BYTES.mod).toBe(16 * MiB)
    const over = await through(`example.com/size-${17 * MiB}/@v/v1.0.0.mod`)
    expect(over.status).toBe(502)
    expect(over.received).toBeLessThanOrEqual(MAX_BYTES.mod)
    expect((await through(`example.com/size-${MAX_BYTES.mod}/@v/v1.0.0.mod`)).status).toBe(200)
  })

  it('a version list is cut at 4 MiB, and one under it is served', async () => {
    const over = await through(`example.com/size-${5 * MiB}/@v/list`)
    expect(over.status).toBe(502)
    expect(over.received).toBeLessThanOrEqual(MAX_BYTES.list)
    expect((await through(`example.com/size-${3 * MiB}/@v/list`)).status).toBe(200)
  })

  it('a zip is allowed go’s 500 MiB', () => {
    expect(MAX_BYTES.zip).toBe(500 * MiB)
  })
})
