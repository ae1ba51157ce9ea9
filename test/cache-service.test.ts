// The module cache through a real cache service (act's, on loopback) with @actions/cache's
// real client and tar: what is saved, under which key, what a later run gets back, and what
// it trusts of it.
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { setTimeout as sleep } from 'node:timers/promises'
import { moduleStash } from '../src/cache/layout.ts'
import { savedPaths } from '../src/module/vouched.ts'
import { saveEntry } from '../src/cache/service.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { escapePath } from '../src/module/path.ts'
import { processesWithEnv } from './support/action.ts'
import { type CacheEntry, type CacheService, cacheEnv, servicePool } from './support/cache-service.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { type Fault, healthy, type ProxyServer, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario, type Where } from './support/scenario.ts'
import { type Module, TAMPERED, makeUniverse, type Universe, writeSample } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault: Fault = healthy) => proxies.start(fault)
const services = servicePool()

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 7 })
})

afterEach(async () => {
  await Promise.all([proxies.closeAll(), services.closeAll()])
})

const runAction = (inputs: Record<string, string>, where: Where) => runScenario(universe, inputs, where)

/** The same GOMODCACHE path, emptied: a fresh runner (the cache version covers the path). */
function emptied(modcache: string): string {
  rmSync(modcache, { recursive: true, force: true })
  return modcache
}

const zipsAsked = (server: ProxyServer) => server.requests.filter(r => r.endsWith('.zip'))

describe('a real cache service', () => {
  it.each(['everything', 'downloads'])('cache-contents %s: a cold run saves one entry under the cache key; a warm run restores it and asks no proxy anything', async contents => {
    const service = await services.start()
    const modcache = tempModcache()
    const cold = await runAction({ proxies: (await proxy()).url, 'cache-contents': contents }, { modcache, env: service.env })

    expect(cold.failed, cold.log).toBe(false)
    expect(cold.outputs['cache-hit']).toBe('false')
    const entries = await service.entries()
    expect(entries.map(e => e.key)).toEqual([cold.outputs['cache-key']?.toLowerCase()])
    expect(entries[0]?.cacheSize).toBeGreaterThan(0)
    const members = await service.archiveMembers(entries[0] as CacheEntry)
    const extracted = members.filter(m => m.endsWith('/example.com/fixture/m002@v1.0.0/m002.go'))
    expect(members.filter(m => m.endsWith('/cache/download/example.com/fixture/m002/@v/v1.0.0.zip'))).toHaveLength(1)
    expect(extracted).toHaveLength(contents === 'everything' ? 1 : 0)
    expect(cold.summary).toMatch(/\| miss, [^|]*\| — \| \S+ \| — \| saved, /)

    const fresh = [await proxy(), await proxy()]
    const warm = await runAction({ proxies: fresh.map(p => p.url).join(','), 'cache-contents': contents }, { modcache: emptied(modcache), env: service.env })

    expect(warm.failed, warm.log).toBe(false)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(fresh.map(p => p.requests.length)).toEqual([0, 0])
    expectComplete(modcache, universe.modules)
    // What came back is a working module cache on its own.
    await go(['mod', 'download'], universe.sampleDir, offlineGoEnv(modcache))
    expect(warm.summary).toMatch(/✅ hit/)
    expect(warm.summary).toContain('not saved: the exact key was restored')
    expect(await service.entries()).toHaveLength(1)
  })

  it('go.sum gains a module: restored by prefix, only the new module fetched, saved under the new key unless save-cache is false', async () => {
    const service = await services.start()
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'grows-'))
    const sample = path.join(workspace, 'sample')
    const [added] = universe.modules.slice(-1)
    await writeSample(sample, 'example.com/sample', universe.modules.slice(0, -1), universe.proxyDir)
    const modcache = tempModcache()
    const runGrown = (inputs: Record<string, string>) =>
      runAction({ 'working-directory': 'sample', ...inputs }, { workspace, modcache: emptied(modcache), env: service.env })
    const first = await runGrown({ proxies: (await proxy()).url })
    expect(first.failed, first.log).toBe(false)

    await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
    const restoreOnly = await runGrown({ proxies: (await proxy()).url, 'save-cache': 'false' })
    expect(restoreOnly.failed, restoreOnly.log).toBe(false)
    expect(restoreOnly.summary).toMatch(/🟡 partial/)
    expect(restoreOnly.summary).toContain('not saved: save-cache is false')
    expect(await service.entries()).toHaveLength(1)

    const server = await proxy()
    const second = await runGrown({ proxies: server.url })
    expect(second.failed, second.log).toBe(false)
    expect(second.outputs['cache-hit']).toBe('false')
    expect(second.outputs['cache-key']).not.toBe(first.outputs['cache-key'])
    expect(zipsAsked(server)).toEqual([`/${added?.path}/@v/${added?.version}.zip`])
    // Besides the new module, at most the probe's one .mod request.
    expect(server.requests.filter(r => !r.includes(`/${added?.pkg}/`)).length).toBeLessThanOrEqual(1)
    expectComplete(modcache, universe.modules)
    const keys = (await service.entries()).map(e => e.key).sort()
    expect(keys).toEqual([first.outputs['cache-key'], second.outputs['cache-key']].map(k => k?.toLowerCase()).sort())
  })

  it('a Go patch release restores the same entry: the key holds no Go version', async () => {
    const service = await services.start()
    const modcache = tempModcache()
    const cold = await runAction({ proxies: (await proxy()).url }, { modcache, env: service.env })
    expect(cold.failed, cold.log).toBe(false)

    // The next patch release, as `go env` reports it: a go on PATH that says it is go1.99.1.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'go-patch-'))
    writeFileSync(
      path.join(bin, 'go'),
      `#!/bin/sh\nif [ "$1" = env ]; then "${goBinary()}" "$@" | sed 's/"GOVERSION": "[^"]*"/"GOVERSION": "go1.99.1"/'; exit 0; fi\nexec "${goBinary()}" "$@"\n`,
      { mode: 0o755 }
    )
    const server = await proxy()
    const warm = await runAction({ proxies: server.url }, { modcache: emptied(modcache), env: { ...service.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } })

    expect(warm.failed, warm.log).toBe(false)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(warm.outputs['cache-key']).toBe(cold.outputs['cache-key'])
    expect(server.requests).toEqual([])
  })

  it('a failed download saves nothing', async () => {
    const service = await services.start()
    const portal = await proxy({ kind: 'html' })
    const run = await runAction({ proxies: portal.url, retries: '0' }, { env: service.env })

    expect(run.failed).toBe(true)
    expect(run.summary).toContain('not saved: the download did not complete')
    expect(await service.entries()).toEqual([])
  })

  it('restores onto a module cache that already holds read-only files', async () => {
    const service = await services.start()
    const modcache = tempModcache()
    const cold = await runAction({ proxies: (await proxy()).url }, { modcache, env: service.env })
    expect(cold.failed, cold.log).toBe(false)

    // What a plain `go mod download` leaves: read-only module directories, here with one module gone.
    rmSync(path.join(modcache, 'cache', 'download', 'example.com', 'fixture', 'm002'), { recursive: true })
    makeReadOnly(modcache)
    const server = await proxy()
    const warm = await runAction({ proxies: server.url }, { modcache, env: service.env })

    expect(warm.failed, warm.log).toBe(false)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(warm.log).not.toMatch(/File exists|Cannot open|Failed to restore|restore failed/)
    expect(server.requests).toEqual([])
    expectComplete(modcache, universe.modules)
  })
})

/** What this process prints while `work` runs and for a moment after. */
async function outputWhile(work: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0) as typeof process.stdout.write
  try {
    await work()
    await sleep(500)
  } finally {
    process.stdout.write = write
  }
  return chunks.join('')
}

function makeReadOnly(dir: string): void {
  for (const name of readdirSync(dir)) {
    const child = path.join(dir, name)
    if (statSync(child).isDirectory()) makeReadOnly(child)
  }
  chmodSync(dir, 0o555)
}

describe('a cache service that misbehaves', () => {
  it.each<[string, () => Promise<string>]>([
    ['is down (port closed)', async () => (await proxy({ kind: 'refused' })).url],
    ['answers HTTP 500', async () => (await proxy({ kind: 'status', status: 500 })).url],
    ['never answers', async () => (await proxy({ kind: 'hang' })).url]
  ])('%s: a warning, the download succeeds, the cache costs at most its timeout twice', async (_, serviceUrl) => {
    const env = cacheEnv(`${await serviceUrl()}/`)
    const good = await proxy()
    const started = Date.now()
    const run = await runAction({ proxies: good.url, 'cache-timeout': '3s' }, { env })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(run.log).toMatch(/::warning::.*(restore|save)/i)
    expect(run.outputs['cache-hit']).toBe('false')
    // Restore and save each bounded by cache-timeout; the rest is generous slack for go.
    expect(Date.now() - started).toBeLessThan(6_000 + 30_000)
    // The restore ran in its own process, killed at its deadline: nothing of it lives on to
    // extract into the module cache later, nor to log once the service finally lets go.
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
    expect(await outputWhile(proxies.closeAll)).not.toMatch(/cache|restore/i)
  })

  it("refuses a chunk of a large entry (HTTP 500): the save is reported failed, and the library's stray error ends no process of the step's", async () => {
    // Reserves the entry, answers the first chunk 500 and never reads the second: the library
    // returns the reserved id as if it had saved, closes the archive while the second chunk is
    // still read from it, and throws that read's EBADF later, from an event handler, where
    // nothing can catch it (in the step's own process, it ended the step).
    const ranges: string[] = []
    const service = http.createServer((request, response) => {
      if (request.method === 'POST' && request.url?.endsWith('/caches')) {
        request.resume()
        request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ cacheId: 7 })))
      } else if (request.method === 'PATCH') {
        const range = String(request.headers['content-range'])
        ranges.push(range)
        if (!range.startsWith('bytes 0-')) return request.pause()
        request.resume()
        request.on('end', () => response.writeHead(500).end())
      } else response.writeHead(404).end()
    })
    await new Promise<void>(resolve => service.listen(0, '127.0.0.1', resolve))
    const root = mkdtempSync(path.join(os.tmpdir(), 'large-entry-'))
    mkdirSync(path.join(root, 'cache', 'download'), { recursive: true })
    // More than one 32 MiB chunk, however well the archive compresses.
    writeFileSync(path.join(root, 'cache', 'download', 'large'), randomBytes(40 << 20))
    const saved = { ...process.env }
    Object.assign(process.env, cacheEnv(`http://127.0.0.1:${(service.address() as AddressInfo).port}/`), { GITHUB_WORKSPACE: root })
    try {
      const report = await saveEntry(moduleStash(root), 'go-mod-large', ['cache/download'], 30_000)
      expect(report).toMatchObject({ state: 'failed', why: 'not saved (the log says why)' })
      expect(ranges.length).toBeGreaterThanOrEqual(2)
      // The stray error has had time to be thrown: this process is still here to see it was not.
      await sleep(500)
    } finally {
      process.env = saved
      service.closeAllConnections()
      await new Promise(resolve => service.close(resolve))
    }
  })
})

// A module cache the step starts from is checked against go.sum, not trusted: restored from a
// cache entry anyone with write access could have saved, or left on a self-hosted runner. And
// an entry holds only what go.sum implies.
const workspaceOf = () => path.dirname(universe.sampleDir)
const zipRequest = (m: Module) => `/${escapePath(m.path)}/@v/${m.version}.zip`

/** Modules 2–4 of the universe, named before it is made (the first has a capital in its path; these do not). */
const [poisoned, truncated, retouched] = [2, 3, 4].map(i => ({ path: `example.com/fixture/m00${i}`, version: 'v1.0.0', pkg: `m00${i}` })) as [Module, Module, Module]

const download = (modcache: string, m: Module, ext: string) => path.join(modcache, 'cache', 'download', escapePath(m.path), '@v', `${m.version}.${ext}`)
const tree = (modcache: string, m: Module) => path.join(modcache, `${escapePath(m.path)}@${m.version}`)

/**
 * What the issue found poisoning go: a valid zip with one changed .go file (the .ziphash kept,
 * so go's own check passes), a zip cut short, and an extracted tree whose code was changed
 * (its zip intact). With `trees`, the poisoned zip's tree is changed to match it, as go would
 * have extracted it.
 */
function damage(modcache: string, trees: boolean): void {
  copyFileSync(path.join(universe.proxyDir, escapePath(poisoned.path), '@v', `${poisoned.version}.zip${TAMPERED}`), download(modcache, poisoned, 'zip'))
  truncateSync(download(modcache, truncated, 'zip'), Math.floor(statSync(download(modcache, truncated, 'zip')).size / 2))
  if (!trees) return
  for (const m of [poisoned, retouched]) {
    const file = path.join(tree(modcache, m), `${m.pkg}.go`)
    chmodSync(file, 0o644)
    writeFileSync(file, readFileSync(file, 'utf8').replace('return "', 'return "tampered '))
  }
}

/** Every .go file of every extracted tree in the module cache. */
function extractedSources(modcache: string): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory() && !(dir === modcache && entry.name === 'cache')) walk(full)
      else if (entry.name.endsWith('.go')) found.push(readFileSync(full, 'utf8'))
    }
  }
  walk(modcache)
  return found
}

/** What must hold after a run that started from a damaged cache. */
async function expectRepaired(run: Awaited<ReturnType<typeof runAction>>, server: ProxyServer): Promise<void> {
  expect(run.failed, run.log).toBe(false)
  expectComplete(run.modcache, universe.modules)
  expect(extractedSources(run.modcache).filter(s => s.includes('tampered'))).toEqual([])
  // go's own full check, of zips and extracted trees alike.
  await go(['mod', 'verify'], universe.sampleDir, offlineGoEnv(run.modcache))
  expect(zipsAsked(server).sort()).toEqual([zipRequest(poisoned), zipRequest(truncated)].sort())
  expect(run.summary).toContain(`discarded: \`${poisoned.path}\` \`${poisoned.version}\`, zip does not match go.sum`)
  expect(run.summary).toMatch(new RegExp(`discarded: \`${truncated.path}\` \`${truncated.version}\`, zip unreadable`))
  expect(run.log).toMatch(new RegExp(`::warning::Discarded ${poisoned.path} ${poisoned.version}`))
}

/** Saves `modcache`'s files for the sample's go.sum under `key`, as any workflow with write access to the cache could. */
async function savePoisoned(service: CacheService, modcache: string, key: string): Promise<void> {
  const saved = { ...process.env }
  Object.assign(process.env, service.env, { GITHUB_WORKSPACE: workspaceOf() })
  try {
    const lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
    const report = await saveEntry(moduleStash(modcache), key, savedPaths(lines, 'downloads'), 30_000)
    expect(report.state, report.why).toBe('saved')
  } finally {
    process.env = saved
  }
}

describe('the module cache the step starts from', () => {
  it('a restored entry with a changed zip and a zip cut short: both thrown away and fetched again, the step succeeds', async () => {
    const service = await services.start()
    // A complete cache, damaged, then saved under the restore prefix this project uses.
    const first = await runAction({ proxies: (await proxy()).url, 'save-cache': 'false' }, { env: service.env })
    expect(first.failed, first.log).toBe(false)
    damage(first.modcache, false)
    const prefix = (first.outputs['cache-key'] as string).replace(/[0-9a-f]{64}$/, '')
    await savePoisoned(service, first.modcache, `${prefix}poisoned`)

    // A fresh runner: the same module cache path (the entry's version covers it), empty.
    const fresh = emptied(first.modcache)
    const server = await proxy()
    const run = await runAction({ proxies: server.url }, { modcache: fresh, env: service.env })

    expect(run.summary, run.log).toMatch(/🟡 partial/)
    await expectRepaired(run, server)
    // What it saved is the repaired cache: a later run restores it exactly and fetches nothing.
    const again = await proxy()
    const later = await runAction({ proxies: again.url }, { modcache: emptied(fresh), env: service.env })
    expect(later.outputs['cache-hit']).toBe('true')
    expect(later.summary).toMatch(/all match/)
    expect(again.requests).toEqual([])
    await go(['mod', 'verify'], universe.sampleDir, offlineGoEnv(fresh))
  })

  it('a module cache left on the runner with the same damage, and a changed extracted tree: the same repair', async () => {
    const first = await runAction({ proxies: (await proxy()).url }, {})
    expect(first.failed, first.log).toBe(false)
    damage(first.modcache, true)

    const server = await proxy()
    const run = await runAction({ proxies: server.url }, { modcache: first.modcache })

    await expectRepaired(run, server)
    expect(run.summary).toContain(`discarded: \`${retouched.path}\` \`${retouched.version}\`, extracted tree does not match go.sum`)
    expect(run.summary).toMatch(/7 zips, 7 extracted trees, \d+ go\.mod files in [^|]*: 3 discarded/)
  })

  it('a zip whose .ziphash is missing is hashed, kept, and its .ziphash written again', async () => {
    const first = await runAction({ proxies: (await proxy()).url }, {})
    rmSync(download(first.modcache, poisoned, 'ziphash'))

    const server = await proxy()
    const run = await runAction({ proxies: server.url }, { modcache: first.modcache })

    expect(run.failed, run.log).toBe(false)
    expect(server.requests).toEqual([])
    expect(readFileSync(download(first.modcache, poisoned, 'ziphash'), 'utf8')).toMatch(/^h1:/)
    expect(run.summary).toContain('.ziphash rewritten for 1 zip that matched go.sum')
  })
})

describe('what an entry holds', () => {
  it.each(['downloads', 'everything'])('%s: modules go.sum dropped are not carried into the next entry', async contents => {
    const service = await services.start()
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'shrinks-'))
    const sample = path.join(workspace, 'sample')
    const kept = universe.modules.slice(0, 4)
    const dropped = universe.modules.slice(4)
    const modcache = tempModcache()
    const inSample = { 'working-directory': 'sample', 'cache-contents': contents }
    await writeSample(sample, 'example.com/sample', universe.modules, universe.proxyDir)
    const first = await runAction({ ...inSample, proxies: (await proxy()).url }, { workspace, modcache, env: service.env })
    expect(first.failed, first.log).toBe(false)

    await writeSample(sample, 'example.com/sample', kept, universe.proxyDir)
    // A fresh runner, but for one dropped module a project before left on it.
    const [leftover] = dropped as [Module]
    const aside = mkdtempSync(path.join(os.tmpdir(), 'leftover-'))
    cpSync(path.dirname(download(modcache, leftover, 'zip')), aside, { recursive: true })
    emptied(modcache)
    cpSync(aside, path.dirname(download(modcache, leftover, 'zip')), { recursive: true })
    const server = await proxy()
    const second = await runAction({ ...inSample, proxies: server.url }, { workspace, modcache, env: service.env })

    expect(second.failed, second.log).toBe(false)
    expect(second.summary).toMatch(/🟡 partial/)
    expect(server.requests).toEqual([])
    const entry = (await service.entries()).find(e => e.key === second.outputs['cache-key']?.toLowerCase())
    expect(entry).toBeDefined()
    const members = await service.archiveMembers(entry as NonNullable<typeof entry>)
    const mentions = (m: Module) => members.filter(name => name.includes(`/${escapePath(m.path)}/`) || name.includes(`/${escapePath(m.path)}@`))
    for (const m of dropped) expect(mentions(m), m.path).toEqual([])
    for (const m of kept) {
      expect(mentions(m).filter(name => name.endsWith('.zip')), m.path).toHaveLength(1)
      expect(mentions(m).some(name => name.endsWith(`/${m.pkg}.go`)), m.path).toBe(contents === 'everything')
    }
    // From the entry, what go.sum no longer names stays out; on the runner, nothing is deleted: another project may use it.
    for (const m of dropped) expect(existsSync(download(modcache, m, 'zip')), m.path).toBe(m === leftover)
  })
})
