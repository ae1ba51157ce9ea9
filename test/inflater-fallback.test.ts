// The inflater's self-check (inflater.ts): a node whose zlib handle kept its shape but changed
// what it does would make every zip hash wrong, every candidate look like it tampers, and the
// restored cache be thrown away. Here the handle is broken as such a node's would be (the
// test-only BROKEN_ENGINE_ENV, read by each thread at its check): the hashes must still be go's,
// on the hashing threads and on the main thread, no candidate is blamed, and the warning comes
// once for the whole process.
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { usePort, type Port } from '../src/engine/port.ts'
import { Hashers } from '../src/fetch/hashers.ts'
import { BROKEN_ENGINE_ENV, Inflater } from '../src/fetch/inflater.ts'
import { zipFileHash } from '../src/fetch/zip-hash.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import { verify } from '../src/module/matches.ts'
import { downloadPath } from '../src/module/request.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
let sums: string[]
const warnings: string[] = []
let before: Port
const zipOf = (i: number) => path.join(universe.proxyDir, downloadPath(universe.modules[i]!.path, 'v1.0.0', 'zip'))

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 6, sourceBytes: 300_000 })
  const lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
  sums = universe.modules.map(m => lines.find(l => l.module === m.path && !l.goMod)!.hash)
  before = usePort({ info: () => {}, echo: () => {}, warning: line => warnings.push(line), group: (_, work) => work(), secret: () => {}, progress: () => {} })
})
afterAll(() => {
  usePort(before)
  delete process.env[BROKEN_ENGINE_ENV]
})

describe("a zlib handle that no longer does what the inflater expects", () => {
  for (const how of ['corrupt', 'throw']) {
    it(`(${how}) is set aside at its first use: the hashes are go's on two threads and on the main thread, no candidate is blamed, one warning`, async () => {
      process.env[BROKEN_ENGINE_ENV] = how
      const hashers = new Hashers(2)
      try {
        expect(await Promise.all(universe.modules.map((_, i) => hashers.zip(zipOf(i))))).toEqual(sums)
        expect(hashers.threaded).toBe(true)
        const job = { module: universe.modules[0]!.path, version: 'v1.0.0', kind: 'zip' as const, path: '', maxBytes: MAX_BYTES.zip, hash: sums[0]! }
        expect(await verify(job, zipOf(0), zip => hashers.zip(zip))).toBeUndefined()
      } finally {
        await hashers.close()
      }
      // Told by the threads: the main thread has not inflated anything yet.
      expect(warnings).toHaveLength(1)
      // The main thread checks its own engine (on its first use in this process) and falls back too.
      expect(universe.modules.map((_, i) => zipFileHash(zipOf(i)))).toEqual(sums)
      expect(new Inflater().piecewise).toBe(false)
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/inflateRawSync .*self-check \(it (inflated a sample unlike inflateRawSync|threw on a sample: the handle refused the write)\)\. No proxy and no cache is at fault\.$/)
    })
  }
})
