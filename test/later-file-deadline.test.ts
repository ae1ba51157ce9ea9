// The job's proxy (later steps, and the CLI's serve) has no watchdog behind go: a sole candidate
// that sends its body just above the 1 KiB/s floor would hold go's request for as long as the
// file's size allows. Each file has the `timeout` setting as its deadline, rounds included: go
// then gets a 502 saying so. Real loopback servers, the job's proxy as the CLI's serve runs it.
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { serveJobProxy } from '../src/later/serve.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { type ProxyServer, startProxy } from './support/proxy-server.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const open: { close: () => Promise<void> }[] = []

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'deadline-universe-')), { count: 1, sourceBytes: 60_000 })
})

afterEach(async () => {
  for (const o of open.splice(0)) await o.close()
})

const TIMEOUT_MS = 2000

it('a sole candidate that drips a zip above the floor: go’s request gets a 502 at the timeout, not after the whole drip', async () => {
  const module = universe.modules[0] as Universe['modules'][number]
  const zipPath = `${escapePath(module.path)}/@v/${module.version}.zip`
  const zipBytes = statSync(path.join(universe.proxyDir, zipPath)).size
  // 2,400 bytes/s: above the 1 KiB/s floor, and the zip takes several times the timeout.
  const dripping: ProxyServer = await startProxy(universe.proxyDir, { kind: 'drip', bytes: 600, everyMs: 250, zipOnly: true })
  open.push(dripping)
  expect(zipBytes / 2400).toBeGreaterThan((3 * TIMEOUT_MS) / 1000)
  const proxy = await serveJobProxy({
    candidates: [{ spec: dripping.url, latencyMs: 1 }],
    sumLines: parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8')),
    goauth: 'off',
    secret: 'deadline-secret',
    stallTimeoutMs: 60_000,
    timeoutMs: TIMEOUT_MS,
    workDir: mkdtempSync(path.join(os.tmpdir(), 'deadline-'))
  })
  open.push(proxy)

  const started = performance.now()
  const answer = await fetch(`${proxy.url}/${zipPath}`, { signal: AbortSignal.timeout(6 * TIMEOUT_MS) })
  const text = await answer.text()
  const ms = performance.now() - started
  expect(answer.status).toBe(502)
  expect(text).toContain(`no candidate delivered ${zipPath} within 2.0s (the timeout)`)
  expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
  expect(ms).toBeLessThan(TIMEOUT_MS + 1500)
  // What the candidate serves at speed is served as before.
  const mod = await fetch(`${proxy.url}/${escapePath(module.path)}/@v/${module.version}.mod`)
  expect(mod.status).toBe(200)
})
