// The fetch stage: the fetcher's verification, hedging and failover against real loopback
// proxies; the local proxy go talks to; the adaptive limit; and what the summary says of each
// candidate. go itself runs where the claim is about go.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { readProject } from '../src/fetch/resolve.ts'
import { type FetchOptions, startFetch } from '../src/fetch/stage.ts'
import { Fetcher } from '../src/fetch/fetcher.ts'
import { Hashers } from '../src/fetch/hashers.ts'
import { Store } from '../src/fetch/store.ts'
import { parseCandidates } from '../src/go/goproxy.ts'
import { MAX_BYTES } from '../src/module/limits.ts'
import { verify } from '../src/module/matches.ts'
import { downloadPath, parseRequestPath, type ProxyRequest } from '../src/module/request.ts'
import { jobFor as jobForRequest, knownFiles } from '../src/module/vouched.ts'
import { parseGoSum, type SumLine } from '../src/module/gosum.ts'
import { escapePath } from '../src/module/path.ts'
import type { HttpClient } from '../src/net/client.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { networkClient } from './support/net.ts'
import { type Fault, healthy, type ProxyServer, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
/** The job a checked request path stands for. */
const jobFor = (known: ReturnType<typeof knownFiles>, path: string) => jobForRequest(known, parseRequestPath(path) as ProxyRequest)
let lines: SumLine[]
let client: HttpClient
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault: Fault = healthy) => proxies.start(fault)
const zips = (server: ProxyServer) => server.requests.filter(r => r.endsWith('.zip'))

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 8, sourceBytes: 20_000 })
  lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
  client = await networkClient()
})
afterEach(proxies.closeAll)
afterAll(() => client.close())

async function options(urls: string[], change: Partial<FetchOptions> = {}): Promise<FetchOptions> {
  return {
    client,
    candidates: parseCandidates(urls.join(',')).map(candidate => ({ candidate, latencyMs: 5 })),
    sumLines: lines,
    isPrivate: () => false,
    project: await readProject(universe.sampleDir, ''),
    modcache: tempModcache(),
    writableTrees: true,
    concurrency: 16,
    rounds: 3,
    backoffMs: 50,
    stallTimeoutMs: 5_000,
    ...change
  }
}

/** go mod download with the stage's local proxy first, as an attempt runs it; `chain` behind it. */
function goThrough(url: string, chain: string, modcache: string, onLine?: (line: string) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise(resolve => {
    const child = execFile(goBinary(), ['mod', 'download', '-x'], {
      cwd: universe.sampleDir,
      env: { ...process.env, ...offlineGoEnv(modcache), GOPROXY: `${url}|${chain}` }
    }, (error, _stdout, stderr) => resolve({ code: error ? (error.code as number) ?? 1 : 0, stderr }))
    child.stderr?.on('data', (chunk: Buffer) => onLine?.(chunk.toString()))
  })
}

describe('rules', () => {
  it('knows the files go.sum names by their request path; anything else passes through unkept', () => {
    const known = knownFiles(lines, m => m.endsWith('m002'))
    const [first] = universe.modules
    const zip = downloadPath(first!.path, 'v1.0.0', 'zip')
    expect(zip).toContain('!fixture')
    expect(jobFor(known, zip)).toMatchObject({ kind: 'zip', hash: expect.stringMatching(/^h1:/) })
    expect(jobFor(known, downloadPath(first!.path, 'v1.0.0', 'info'))).toMatchObject({ kind: 'info', version: 'v1.0.0' })
    // A private module is never in the table: go does not ask a proxy for it, and neither does the action.
    expect(known.has(downloadPath('example.com/fixture/m002', 'v1.0.0', 'zip'))).toBe(false)
    expect(jobFor(known, 'example.com/other/@v/list')).toMatchObject({ kind: 'other', transient: true })
    expect(jobFor(known, 'example.com/!other/@v/v2.0.0.zip')).toMatchObject({ kind: 'other', module: 'example.com/Other', transient: true })
  })

  it('checks bytes against go.sum, and an .info against its version', async () => {
    const [module] = universe.modules
    const file = (kind: string) => path.join(universe.proxyDir, downloadPath(module!.path, 'v1.0.0', 'zip').replace(/zip$/, kind))
    const line = (goMod: boolean) => lines.find(l => l.module === module!.path && l.goMod === goMod)!
    const job = (kind: 'zip' | 'mod' | 'info', hash?: string) => ({ module: module!.path, version: 'v1.0.0', kind, path: '', maxBytes: MAX_BYTES[kind], ...(hash ? { hash } : {}) })
    expect(await verify(job('zip', line(false).hash), file('zip'))).toBeUndefined()
    expect(await verify(job('zip', line(false).hash), file('zip.tampered'))).toBe('zip does not match go.sum')
    expect(await verify(job('zip', line(false).hash), file('mod'))).toMatch(/^zip unreadable: not a zip/)
    expect(await verify(job('mod', line(true).hash), file('mod'))).toBeUndefined()
    expect(await verify(job('mod', line(true).hash), file('info'))).toBe('go.mod does not match go.sum')
    expect(await verify(job('info'), file('info'))).toBeUndefined()
    expect(await verify({ ...job('info'), version: 'v2.0.0' }, file('info'))).toBe('.info names v1.0.0, not v2.0.0')
  })

  it('hashes zips in a worker thread, as go.sum does, and says why a broken or cut-short zip has no hash', async () => {
    const hashers = new Hashers()
    try {
      const zipOf = (i: number) => path.join(universe.proxyDir, downloadPath(universe.modules[i]!.path, 'v1.0.0', 'zip'))
      const sums = universe.modules.map(m => lines.find(l => l.module === m.path && !l.goMod)!.hash)
      // All at once: the pool queues them behind its thread, each answered with its own hash.
      expect(await Promise.all(universe.modules.map((_, i) => hashers.zip(zipOf(i))))).toEqual(sums)
      const whole = readFileSync(zipOf(0))
      const cut = path.join(mkdtempSync(path.join(os.tmpdir(), 'cut-')), 'cut.zip')
      writeFileSync(cut, whole.subarray(0, whole.length - 40))
      await expect(hashers.zip(cut)).rejects.toThrow(/end of central directory|cut short|corrupt/)
      await expect(hashers.zip(`${zipOf(0)}.tampered`)).resolves.not.toBe(sums[0])
      expect(hashers.threaded).toBe(true)
    } finally {
      await hashers.close()
    }
  })

  it('hashes extracted trees as go mod verify does, on two threads, and refuses a symlink in a tree', async () => {
    const modcache = tempModcache()
    await go(['mod', 'download'], universe.sampleDir, { ...offlineGoEnv(modcache), GOPROXY: `file://${universe.proxyDir}` })
    const treeOf = (i: number) => path.join(modcache, `${escapePath(universe.modules[i]!.path)}@v1.0.0`)
    const sums = universe.modules.map(m => lines.find(l => l.module === m.path && !l.goMod)!.hash)
    const hashers = new Hashers(2)
    try {
      expect(await Promise.all(universe.modules.map((m, i) => hashers.tree(treeOf(i), `${m.path}@v1.0.0`)))).toEqual(sums)
      const copy = mkdtempSync(path.join(os.tmpdir(), 'tree-'))
      cpSync(treeOf(0), copy, { recursive: true })
      symlinkSync('/etc/hostname', path.join(copy, 'extra.go'))
      await expect(hashers.tree(copy, `${universe.modules[0]!.path}@v1.0.0`)).rejects.toThrow(/extra.go is a symlink, not a regular file/)
    } finally {
      await hashers.close()
    }
  })

  it('takes waiting zips in order of need: those go waits for, then the largest', async () => {
    const hashers = new Hashers()
    const zipOf = (i: number) => path.join(universe.proxyDir, downloadPath(universe.modules[i]!.path, 'v1.0.0', 'zip'))
    const order: number[] = []
    const hash = (i: number, precedence = {}) => hashers.zip(zipOf(i), precedence).then(() => order.push(i))
    try {
      // The first two are posted at once (one hashed, one next, so that the thread never waits
      // for the main thread to post it another); the others wait behind the one thread.
      const all = [hash(0), hash(1, { size: 10 }), hash(2, { size: 30 }), hash(3, { size: 20 }), hash(4, { size: 5 }), hash(5, { size: 30 }), hash(6, { size: 1 })]
      hashers.hurry(zipOf(4))
      await Promise.all(all)
      // go's first; then the largest, the earlier of two the same size first.
      expect(order).toEqual([0, 1, 4, 2, 5, 3, 6])
    } finally {
      await hashers.close()
    }
  })

  it('frees a speculative request once its bytes are on disk, before they are verified; a caller joining it needs no request', async () => {
    const good = await proxy()
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fetcher-'))
    const fetcher = new Fetcher({
      client,
      candidates: parseCandidates(good.url).map(candidate => ({ candidate, latencyMs: 5 })),
      store: new Store({ root: path.join(dir, 'store'), downloads: '' }),
      transientDir: path.join(dir, 'transient'),
      rounds: 1,
      backoffMs: 10,
      stallTimeoutMs: 5_000
    })
    try {
      const known = knownFiles(lines, () => false)
      const zip = jobFor(known, downloadPath(universe.modules[0]!.path, 'v1.0.0', 'zip'))
      const kept = path.join(dir, 'store', zip.path)
      const events: string[] = []
      const first = fetcher.get(zip, { speculative: true, onFetched: () => events.push(existsSync(kept) ? 'freed after verifying' : 'freed before verifying') })
      const joined = fetcher.get(zip, { onFetched: () => events.push('joined') })
      expect(events).toEqual(['joined'])
      expect(await first).toMatchObject({ kind: 'file', file: kept })
      expect(await joined).toEqual(await first)
      expect(events).toEqual(['joined', 'freed before verifying'])
      // A file no candidate has frees its request too, once.
      const missing = { ...jobFor(known, downloadPath(universe.modules[1]!.path, 'v1.0.0', 'info')), path: downloadPath('example.com/none', 'v1.0.0', 'info') }
      let freed = 0
      expect(await fetcher.get(missing, { speculative: true, onFetched: () => freed++ })).toMatchObject({ kind: 'absent', status: 404 })
      expect(freed).toBe(1)
      expect(zips(good)).toHaveLength(1)
    } finally {
      await fetcher.close()
    }
  })

  it('closed while zips it fetched wait to be hashed: no candidate is blamed for wrong bytes', async () => {
    const good = await proxy()
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fetcher-'))
    const candidates = parseCandidates(good.url).map(candidate => ({ candidate, latencyMs: 5 }))
    const fetcher = new Fetcher({ client, candidates, store: new Store({ root: path.join(dir, 'store'), downloads: '' }), transientDir: path.join(dir, 'transient'), rounds: 1, backoffMs: 10, stallTimeoutMs: 5_000 })
    const known = knownFiles(lines, () => false)
    // go failed at once (a bad GOFLAGS, say) and the run closes the fetch: the hashing of what
    // is on disk is abandoned, which says nothing of the bytes.
    let closing: Promise<void> | undefined
    const outcomes = universe.modules.map(m =>
      fetcher.get(jobFor(known, downloadPath(m.path, 'v1.0.0', 'zip')), { speculative: true, onFetched: () => (closing ??= fetcher.close()) })
    )
    await Promise.all(outcomes)
    await closing
    expect(zips(good).length).toBeGreaterThan(0)
    expect(fetcher.rejected).toBe(0)
    expect([...fetcher.stats.values()].map(s => s.rejected)).toEqual([0])
  })

  it('closing the hashers while zips wait or are being hashed leaves no caller waiting', async () => {
    const hashers = new Hashers()
    const zipOf = (i: number) => path.join(universe.proxyDir, downloadPath(universe.modules[i]!.path, 'v1.0.0', 'zip'))
    const sums = universe.modules.map(m => lines.find(l => l.module === m.path && !l.goMod)!.hash)
    const pending = universe.modules.map((_, i) => hashers.zip(zipOf(i)))
    await hashers.close()
    expect(await Promise.all(pending)).toEqual(sums)
    expect(hashers.threaded).toBe(false)
  })
})

// The plan reads each go.mod it fetched from go's module cache, shared ground: another user
// of the cache can put a FIFO in its place once it is kept. Read by its path, it would hold the
// fetch's thread for good, so the stage runs in a node of its own, killed after 20 s.
describe.skipIf(process.platform === 'win32')('a go.mod swapped for a FIFO after the fetch kept it', () => {
  it('is read as the store reached it: refused at once, the plan goes on without it', async () => {
    const good = await proxy()
    const support = (file: string) => JSON.stringify(path.join(import.meta.dirname, file))
    const code = `
      import { execFileSync } from 'node:child_process'
      import { readFileSync, rmSync } from 'node:fs'
      import { startFetch } from ${support('../src/fetch/stage.ts')}
      import { readProject } from ${support('../src/fetch/resolve.ts')}
      import { Store } from ${support('../src/fetch/store.ts')}
      import { parseCandidates } from ${support('../src/go/goproxy.ts')}
      import { parseGoSum } from ${support('../src/module/gosum.ts')}
      import { tempModcache } from ${support('support/go.ts')}
      import { networkClient } from ${support('support/net.ts')}
      const begin = Store.prototype.begin
      Store.prototype.begin = function (job, extract) {
        const pending = begin.call(this, job, extract)
        const keep = pending.keep
        pending.keep = async (dirs, signals) => {
          const kept = await keep(dirs, signals)
          if (job.kind === 'mod') {
            rmSync(kept.file)
            execFileSync('mkfifo', [kept.file])
          }
          return kept
        }
        return pending
      }
      const sampleDir = ${JSON.stringify(universe.sampleDir)}
      const stage = await startFetch({
        client: await networkClient(),
        candidates: parseCandidates(${JSON.stringify(good.url)}).map(candidate => ({ candidate, latencyMs: 5 })),
        sumLines: parseGoSum(readFileSync(sampleDir + '/go.sum', 'utf8')),
        isPrivate: () => false,
        project: await readProject(sampleDir, ''),
        modcache: tempModcache(),
        writableTrees: true,
        concurrency: 16,
        rounds: 1,
        backoffMs: 50,
        stallTimeoutMs: 5_000
      })
      await new Promise(resolve => setTimeout(resolve, 1_500))
      const report = await stage.finish()
      console.log(JSON.stringify({ unresolved: report.unresolved }))
      process.exit(0)`
    const child = await new Promise<{ code: number | null; stdout: string }>(resolve =>
      execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: 20_000 }, (e, stdout) => resolve({ code: e ? ((e as { code?: number }).code ?? null) : 0, stdout }))
    )
    expect(child.code).toBe(0)
    // Every go.mod the plan fetched was refused when read: none of them reached the plan.
    expect(JSON.parse(child.stdout).unresolved).toBeGreaterThan(0)
    expect(good.requests.some(r => r.endsWith('.mod'))).toBe(true)
  }, 30_000)
})

describe('the fetch stage and its local proxy', () => {
  it('serves go its download set, each file fetched once and verified', async () => {
    const good = await proxy()
    const stage = await startFetch(await options([good.url]))
    const modcache = tempModcache()
    const run = await goThrough(stage.url, 'off', modcache)
    const report = await stage.finish()
    expect(run.code, run.stderr).toBe(0)
    expectComplete(modcache, universe.modules)
    expect(report).toMatchObject({ planned: 24, plannedZips: 8, rejected: 0, troubled: [] })
    expect(report.served).toBe(report.requests)
    // Each file asked of the candidate once, whoever needed it first.
    expect(new Set(good.requests).size).toBe(good.requests.length)
  })

  it("asks for the zips the project's go.mod names first, the go.mod files its plan reads behind them", async () => {
    // Each answer 200 ms away and 8 requests at a time: the first 8 asked all arrive before any answer frees a slot.
    const good = await proxies.start(healthy, { latencyMs: 200 })
    const stage = await startFetch(await options([good.url], { concurrency: 8 }))
    const mods = () => good.requests.filter(r => r.endsWith('.mod'))
    await vi.waitFor(() => expect(zips(good).length + mods().length).toBeGreaterThanOrEqual(16), { timeout: 10_000, interval: 20 })
    await stage.finish()
    const firstMod = good.requests.indexOf(mods()[0] as string)
    expect(good.requests.slice(0, firstMod).filter(r => r.endsWith('.zip'))).toHaveLength(universe.modules.length)
  })

  it("asks nothing the project's go.mod names that go.sum does not vouch for, nor a private module, zips first or later", async () => {
    const [unvouched, secret] = universe.modules as [Universe['modules'][number], Universe['modules'][number]]
    const good = await proxy()
    const stage = await startFetch(
      await options([good.url], { sumLines: lines.filter(l => l.module !== unvouched.path), isPrivate: module => module === secret.path })
    )
    const others = universe.modules.length - 2
    await vi.waitFor(() => expect(zips(good).length).toBeGreaterThanOrEqual(others), { timeout: 10_000, interval: 20 })
    await stage.finish()
    expect(zips(good)).toHaveLength(others)
    for (const m of [unvouched, secret]) expect(good.requests.filter(r => r.includes(escapePath(m.path)))).toEqual([])
  })

  it('a tampering candidate first: go never receives its bytes, and every zip it extracted matches go.sum', async () => {
    const tampering = await proxy({ kind: 'tamper-zip' })
    const good = await proxy()
    const run = await runScenario(universe, { proxies: `${tampering.url}\n${good.url}` })
    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(zips(tampering).length).toBeGreaterThan(0)
    // go checked every zip against go.sum as it extracted it; go mod verify checks the trees again.
    await go(['mod', 'verify'], universe.sampleDir, offlineGoEnv(run.modcache))
    for (const module of universe.modules) {
      const dir = path.join(run.modcache, `${module.path.replace('Fixture', '!fixture')}@v1.0.0`)
      for (const name of readdirSync(dir)) expect(readFileSync(path.join(dir, name), 'utf8')).not.toContain('tampered')
    }
    expect(run.log).not.toMatch(/SECURITY ERROR|checksum mismatch/)
    // Its zips rejected (once it has served one, it is asked last); its .mod and .info files were right, and kept.
    expect(run.summary).toMatch(new RegExp(`\\| ${tampering.url} \\| \\d+ \\| [^|]+ \\| \\d+ \\| 0 \\| 0 \\| [^|]+ \\| ([1-9]\\d*) \\| served bytes go.sum disagrees with \\(\\1×\\); moved behind \\|`))
    expect(run.exported.GOPROXY).toBe(`${good.url}|${tampering.url}`)
  })

  it('hedges around a candidate that never answers zips, without waiting for its silence limit', async () => {
    const stalling = await proxy({ kind: 'stall-zip' })
    const good = await proxy()
    const stage = await startFetch(await options([stalling.url, good.url], { stallTimeoutMs: 60_000 }))
    const modcache = tempModcache()
    const started = performance.now()
    const run = await goThrough(stage.url, 'off', modcache)
    const report = await stage.finish()
    expect(run.code, run.stderr).toBe(0)
    expect(performance.now() - started).toBeLessThan(20_000)
    expect(report.hedges).toBeGreaterThanOrEqual(1)
    expect(zips(good)).toHaveLength(8)
  })

  it('started with the first candidate to answer its probe, it takes the others once the probe is over: requests already waiting hedge to them', async () => {
    const stalling = await proxy({ kind: 'stall-zip' })
    const good = await proxy()
    const [first, second] = parseCandidates([stalling.url, good.url].join(','))
    const stage = await startFetch(await options([stalling.url], { stallTimeoutMs: 60_000, candidates: [{ candidate: first!, latencyMs: 5 }] }))
    // Zip requests are now waiting on the silent candidate, with no other to hedge to.
    await new Promise(resolve => setTimeout(resolve, 300))
    expect(zips(stalling).length).toBeGreaterThan(0)
    stage.probed([{ candidate: first!, latencyMs: 5 }, { candidate: second!, latencyMs: 5 }])
    const run = await goThrough(stage.url, 'off', tempModcache())
    const report = await stage.finish()
    expect(run.code, run.stderr).toBe(0)
    expect(zips(good)).toHaveLength(8)
    expect(report.hedges).toBeGreaterThanOrEqual(1)
    expect(report.candidates.map(c => c.candidate.display)).toEqual([stalling.url, good.url])
  })

  it('a stalling candidate is moved behind, and the summary says why', async () => {
    const stalling = await proxy({ kind: 'stall-after', after: 4 })
    const good = await proxy()
    const run = await runScenario(universe, { proxies: `${stalling.url}\n${good.url}`, 'stall-timeout': '2s' })
    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(run.summary).toMatch(new RegExp(`\\| ${stalling.url} \\| \\d+ \\|.*\\| stalled on \\d+ of \\d+ requests; moved behind \\|`))
    expect(run.exported.GOPROXY).toBe(`${good.url}|${stalling.url}`)
    expect(run.log).toContain(`${stalling.url} stalled on`)
  })

  it('the local proxy dying mid-attempt: go falls through to the real chain at once', async () => {
    const slow = await proxies.start(healthy, { latencyMs: 300 })
    const good = await proxy()
    const stage = await startFetch(await options([slow.url]))
    const modcache = tempModcache()
    let killed = false
    const started = performance.now()
    const run = await goThrough(stage.url, good.url, modcache, text => {
      // After go's first answered request, the local proxy goes away.
      if (!killed && /# get http:\/\/127\.0\.0\.1:\d+\/.*: 200/.test(text)) {
        killed = true
        void stage.finish()
      }
    })
    expect(killed).toBe(true)
    expect(run.code, run.stderr).toBe(0)
    expectComplete(modcache, universe.modules)
    expect(zips(good).length).toBeGreaterThan(0)
    expect(performance.now() - started).toBeLessThan(20_000)
  })

  it('stops the speculative fetch when no file completes for stall-timeout, and says so', async () => {
    const hanging = await proxy({ kind: 'hang' })
    const stage = await startFetch(await options([hanging.url], { stallTimeoutMs: 1_000 }))
    await new Promise(resolve => setTimeout(resolve, 1_800))
    const report = await stage.finish()
    expect(report).toMatchObject({ files: 0, stopped: 'no file completed for 1s' })
  })
})
