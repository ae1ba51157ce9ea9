// What the two local proxies (the step's, while go downloads; the job's, for later steps) accept
// from a client on 127.0.0.1: only requests under their secret path, decoded once, naming a
// module path and version go itself could ask for, or a checksum database path go's client
// asks. Anything else gets a 4xx before it reaches the disk or a candidate. Real HTTP against
// the running proxies, with a candidate that would answer anything.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readProject } from '../src/fetch/resolve.ts'
import { startFetch } from '../src/fetch/stage.ts'
import { parseCandidates } from '../src/go/goproxy.ts'
import { launchJobProxy } from '../src/later/start.ts'
import type { HttpClient } from '../src/net/client.ts'
import { type AnyCandidate, startAnyCandidate } from './support/any-candidate.ts'
import { tempModcache } from './support/go.ts'
import { networkClient } from './support/net.ts'
import { makeUniverse, type Universe } from './support/universe.ts'
import { parseGosumdb, SumdbRoutes } from '../src/go/sumdb.ts'

let universe: Universe
let client: HttpClient
let candidate: AnyCandidate
const SUMDB = 'sum.example.com'

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 2 })
  client = await networkClient()
  candidate = await startAnyCandidate()
})
afterAll(async () => {
  client.close()
  await candidate.close()
})

/**
 * Hostile request paths, after the secret prefix, and the status each gets. `CLIMB` stands for
 * the %2F-joined `..` that lead from the store to a directory outside it.
 */
const HOSTILE: [string, number][] = [
  ['CLIMB%2Fexample.com%2Fplanted/@v/v1.0.0.info', 400],
  ['..%2F..%2Fexample.com/a/@v/v1.0.0.info', 400],
  ['example.com/../../../CLIMB/x/@v/v1.0.0.info', 400],
  ['example.com%2Fa/@v/v1.0.0.info', 400],
  ['example.com%2fa/@v/v1.0.0.info', 400],
  ['example.com/%2E%2E/%2E%2E/x/@v/v1.0.0.info', 400],
  ['example.com/./a/@v/v1.0.0.info', 400],
  ['example.com//a/@v/v1.0.0.info', 400],
  ['example.com/a/@v/..%2F..%2F..%2Fx.info', 400],
  ['example.com/a/@v/%2E%2E.info', 400],
  ['example.com/a/@v/.info', 400],
  ['example.com\\..\\x/@v/v1.0.0.info', 400],
  ['example.com%5C..%5Cx/@v/v1.0.0.info', 400],
  // Case encoding: only its own output. %21 and ! are the same once decoded; %2521 is a second encoding.
  ['example.com/%2521a/@v/v1.0.0.info', 400],
  ['example.com/!A/@v/v1.0.0.info', 400],
  ['example.com/A/@v/v1.0.0.info', 400],
  ['example.com/!1/@v/v1.0.0.info', 400],
  ['example.com/a!/@v/v1.0.0.info', 400],
  ['example.com/!!a/@v/v1.0.0.info', 400],
  ['Example.com/a/@v/v1.0.0.info', 400],
  ['example.com/a/@v/v1.0.0-!R!C.info', 400],
  ['example.com/a/@v/v1.0.0%00.info', 400],
  ['example.com/a/@v/%ZZ.info', 400],
  ['example.com/a/@v/%C3%A9.info', 400],
  ['example/a/@v/v1.0.0.info', 400],
  ['example.com/a/v1/@v/v1.0.0.info', 400],
  // go asks a .mod or .zip only by canonical version.
  ['example.com/a/@v/master.mod', 400],
  ['example.com/a/@v/v1.0.mod', 400],
  ['example.com/a/@v/v1.0.0+meta.zip', 400],
  ['example.com/a/@v/v1.0.0.info?x=1', 400],
  ['example.com/a/@v/v1.0.0.info#x', 400],
  ['example.com/a/@v/v1.0.0.txt', 400],
  ['example.com/a', 400],
  ['', 400],
  // The checksum database: its own grammar.
  [`sumdb/${SUMDB}/lookup/..%2F..%2Fx@v1.0.0`, 400],
  [`sumdb/${SUMDB}/lookup/example.com/a@v1.0.0/../../x`, 400],
  [`sumdb/${SUMDB}/lookup/example.com/A@v1.0.0`, 400],
  [`sumdb/${SUMDB}/lookup/example.com/a@master`, 400],
  [`sumdb/${SUMDB}/tile/8/0/../../../x`, 400],
  [`sumdb/${SUMDB}/tile/8/0/001/../../x`, 400],
  [`sumdb/${SUMDB}/tile/8/0/x000/001`, 400],
  [`sumdb/${SUMDB}/tile/8/0/1`, 400],
  [`sumdb/${SUMDB}/tile/31/0/001`, 400],
  [`sumdb/${SUMDB}/tile/8/0/001.p/256`, 400],
  [`sumdb/${SUMDB}/latest/..%2F..%2Fx`, 400],
  [`sumdb/${SUMDB}/supported/x`, 400],
  [`sumdb/${SUMDB}%2F..%2F..%2Fx/latest`, 404],
  ['sumdb/other.example.com/latest', 404],
  ['sumdb/..%2F..%2Fx/latest', 404]
]

/** Requests without the secret: refused before they are read. */
const WITHOUT_SECRET = (secret: string) => ['/example.com/a/@v/list', '/wrong-secret/example.com/a/@v/list', `/${secret}`, `/${secret}%2Fexample.com/a/@v/list`, `/${secret.slice(1)}/example.com/a/@v/list`, `/./${secret}/example.com/a/@v/list`, `/x/../${secret}/example.com/a/@v/list`]

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string) => (readdirSync(dir, { recursive: true, withFileTypes: true }) as { isFile: () => boolean; parentPath: string; name: string }[]).filter(e => e.isFile()).map(e => path.relative(dir, path.join(e.parentPath, e.name)))

/** Sends each hostile request through `url` (the proxy's, secret included) and checks what it did: no file appeared in `outside` or under `root` (the store's tree). */
async function expectRefused(url: string, store: string, outside: string, root: string) {
  const secret = new URL(url).pathname.slice(1)
  const origin = new URL(url).origin
  const climb = path.relative(store, outside).split(path.sep).join('%2F')
  const asked = candidate.requests.length
  const before = filesUnder(root)
  const statuses: Record<string, number> = {}
  for (const [hostile] of HOSTILE) {
    const target = hostile.replace('CLIMB', climb)
    // Sent as written: fetch() would resolve the dot segments that the proxy must refuse itself.
    statuses[hostile] = await rawGet(origin, `/${secret}/${target}`)
  }
  for (const p of WITHOUT_SECRET(secret)) statuses[p] = await rawGet(origin, p)
  expect(statuses).toEqual({ ...Object.fromEntries(HOSTILE), ...Object.fromEntries(WITHOUT_SECRET(secret).map(p => [p, 403])) })
  expect(await rawGet(origin, `/${secret}/example.com/a/@v/v1.0.0.zip`, 'POST')).toBe(405)
  // Nothing reached a candidate, nothing was written anywhere.
  expect(candidate.requests.slice(asked)).toEqual([])
  expect(readdirSync(outside)).toEqual([])
  expect(filesUnder(root)).toEqual(before)

  // The same proxy serves go's own requests: `!` sent as %21 (as go sends it) or as written.
  for (const spelled of ['example.com/%21a/@v/v1.0.0.info', 'example.com/!b/@v/v1.0.0.info', 'example.com/a/@v/v1.0.0.info', 'gopkg.in/yaml.v2/@v/list']) {
    expect(await rawGet(origin, `/${secret}/${spelled}`), spelled).toBe(200)
  }
  expect(candidate.requests.slice(asked)).toEqual(['/example.com/%21a/@v/v1.0.0.info', '/example.com/%21b/@v/v1.0.0.info', '/example.com/a/@v/v1.0.0.info', '/gopkg.in/yaml.v2/@v/list'])
}

/** A GET of `target` exactly as written (no dot-segment resolution), and its status. */
async function rawGet(origin: string, target: string, method = 'GET'): Promise<number> {
  const http = await import('node:http')
  return new Promise((resolve, reject) => {
    const request = http.request(origin, { method, path: target, agent: false }, response => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    request.on('error', reject)
    request.end()
  })
}

describe('the step’s local proxy', () => {
  it('refuses every hostile request with a 4xx, writes nothing and asks no candidate; serves go’s', async () => {
    const modcache = tempModcache()
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    const candidates = parseCandidates(candidate.url).map(c => ({ candidate: c, latencyMs: 5 }))
    const stage = await startFetch({
      client,
      candidates,
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
      // The routes' own probe is over before the hostile requests are counted.
      const routes = new SumdbRoutes(client, [candidates[0]!.candidate], parseGosumdb(SUMDB) as NonNullable<ReturnType<typeof parseGosumdb>>, 5000)
      await routes.done
      stage.probed(candidates, routes)
      expect(stage.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{24}$/)
      await expectRefused(stage.url, path.join(modcache, 'cache', 'download'), outside, modcache)
    } finally {
      await stage.finish()
    }
  })
})

/** Starts the job's proxy process from source, its work directory under a RUNNER_TEMP of its own. */
async function startJobProxy(idleMs: number) {
  const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
  const saved = process.env.RUNNER_TEMP
  process.env.RUNNER_TEMP = runnerTemp
  const proxy = await launchJobProxy()
    .start({ candidates: [{ spec: candidate.url, latencyMs: 5 }], sumLines: [], goauth: 'off', idleMs, stallTimeoutMs: 5000, timeoutMs: 60_000, sumdb: { name: SUMDB, routes: [candidate.url] } })
    .finally(() => (saved === undefined ? delete process.env.RUNNER_TEMP : (process.env.RUNNER_TEMP = saved)))
  return { ...proxy, runnerTemp, workDir: path.join(runnerTemp, readdirSync(runnerTemp)[0] as string) }
}

const hasPrlimit = (() => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' })
    return process.platform === 'linux'
  } catch {
    return false
  }
})()

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('the job’s proxy for later steps', () => {
  it('stops when idle, however many requests without the secret arrive meanwhile', async () => {
    const proxy = await startJobProxy(2000)
    const origin = new URL(proxy.url).origin
    const started = Date.now()
    try {
      // Someone else on the machine keeps knocking, without the secret.
      while (alive(proxy.pid) && Date.now() - started < 20_000) {
        expect(await rawGet(origin, '/example.com/a/@v/list').catch(() => 403)).toBe(403)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      expect(alive(proxy.pid)).toBe(false)
      expect(Date.now() - started).toBeLessThan(10_000)
      const stats = JSON.parse(readFileSync(path.join(proxy.workDir, 'stats.json'), 'utf8')) as { requests: number; refused: number; stopped: string }
      expect(stats).toMatchObject({ requests: 0, stopped: expect.stringMatching(/^idle/) })
      expect(stats.refused).toBeGreaterThan(5)
    } finally {
      if (alive(proxy.pid)) process.kill(proxy.pid, 'SIGTERM')
    }
  })

  it('refuses every hostile request with a 4xx, writes nothing and asks no candidate; serves go’s', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    const proxy = await startJobProxy(600_000)
    try {
      await expectRefused(proxy.url, path.join(proxy.workDir, 'store'), outside, proxy.runnerTemp)
    } finally {
      process.kill(proxy.pid, 'SIGTERM')
    }
  })

  // Anyone on the machine can open connections to it, secret or not: enough of them use up its
  // descriptors (here a limit of 128, lowered with prlimit; 65536 on a hosted runner, within
  // reach of two processes). Its report to the post step then cannot be written, which must not
  // end the proxy that later steps' go is using (their port would be free for anyone to take).
  it.skipIf(!hasPrlimit)('outlives a flood of connections that uses up its descriptors, and serves go once it is over', async () => {
    const net = await import('node:net')
    const proxy = await startJobProxy(600_000)
    const { port } = new URL(proxy.url)
    const sockets: import('node:net').Socket[] = []
    try {
      execFileSync('prlimit', ['--pid', String(proxy.pid), '--nofile=128:128'])
      for (let i = 0; i < 200; i++) sockets.push(net.connect(Number(port), '127.0.0.1').on('error', () => undefined))
      await new Promise(resolve => setTimeout(resolve, 500))
      // go's request meanwhile: it may fail (go then asks the chain behind), but it changes the count the report follows.
      await rawGet(new URL(proxy.url).origin, `${new URL(proxy.url).pathname}/example.com/a/@v/list`).catch(() => 0)
      // The report is written every 2 s while requests come.
      await new Promise(resolve => setTimeout(resolve, 5000))
      expect(alive(proxy.pid)).toBe(true)
      for (const socket of sockets) socket.destroy()
      await new Promise(resolve => setTimeout(resolve, 500))
      expect(await rawGet(new URL(proxy.url).origin, `${new URL(proxy.url).pathname}/example.com/a/@v/list`)).toBe(200)
      await new Promise(resolve => setTimeout(resolve, 3000))
      // The one asked during the flood may never have reached it: the one after it did.
      const stats = JSON.parse(readFileSync(path.join(proxy.workDir, 'stats.json'), 'utf8')) as { requests: number; served: number }
      expect(stats.requests).toBeGreaterThanOrEqual(1)
      expect(stats.served).toBeGreaterThanOrEqual(1)
    } finally {
      for (const socket of sockets) socket.destroy()
      if (alive(proxy.pid)) process.kill(proxy.pid, 'SIGTERM')
    }
  }, 30_000)
})
