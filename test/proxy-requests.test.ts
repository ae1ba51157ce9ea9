// What the two local proxies (the step's, while go downloads; the job's, for later steps) accept
// from a client on 127.0.0.1: only requests under their secret path, decoded once, naming a
// module path and version go itself could ask for. Anything else gets a 4xx before it reaches
// the disk or a candidate. Real HTTP against the running proxies.
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readProject } from '../src/fetch/resolve.ts'
import { startFetch } from '../src/fetch/stage.ts'
import { parseCandidates } from '../src/goproxy.ts'
import type { HttpClient } from '../src/net/client.ts'
import { type AnyCandidate, startAnyCandidate } from './support/any-candidate.ts'
import { tempModcache } from './support/go.ts'
import { networkClient } from './support/net.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
let client: HttpClient
let candidate: AnyCandidate

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 2 })
  client = await networkClient()
})
afterEach(async () => candidate?.close())
afterAll(() => client.close())

describe('the step’s local proxy', () => {
  it('..%2F in a module path writes nothing outside its store and asks no candidate', async () => {
    candidate = await startAnyCandidate()
    const modcache = tempModcache()
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    const stage = await startFetch({
      client,
      candidates: parseCandidates(candidate.url).map(c => ({ candidate: c, latencyMs: 5 })),
      sumLines: [],
      isPrivate: () => false,
      project: await readProject(universe.sampleDir, ''),
      modcache,
      writableTrees: true,
      concurrency: 4,
      rounds: 1,
      backoffMs: 50,
      stallTimeoutMs: 5000
    })
    try {
      const store = path.join(modcache, 'cache', 'download')
      const climb = path.relative(store, outside).split(path.sep).join('%2F')
      const answer = await fetch(`${stage.url}/${climb}%2Fexample.com%2Fplanted/@v/v1.0.0.info`)
      expect(answer.status).toBe(400)
      expect(readdirSync(outside)).toEqual([])
      expect(candidate.requests).toEqual([])
    } finally {
      await stage.finish()
    }
    expect(existsSync(path.join(outside, 'example.com'))).toBe(false)
  })
})
