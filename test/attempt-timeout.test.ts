// `timeout` bounds an attempt from its start, however steadily go progresses: a download that
// keeps finishing requests but would take longer than `timeout` in total is killed at
// `timeout`. (stall-timeout is the other bound: no progress for that long.)
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { goBinary, offlineGoEnv } from './support/go.ts'
import { answersBeside, canMount, hungMount } from './support/hung-mount.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 8 })
})
afterEach(proxies.closeAll)

describe('timeout', () => {
  it('ends an attempt that finishes a request every 0.4 s but needs longer than timeout in all', async () => {
    // Every answer takes 0.4 s, far inside stall-timeout; go asks one at a time (GOMAXPROCS=1),
    // and needs about 24 of them (.mod, .info, .zip of 8 modules): some 10 s against a 4 s timeout.
    const slow = await proxies.start(healthy, { latencyMs: 400 })
    const run = await runScenario(
      universe,
      { proxies: slow.url, prefetch: 'false', timeout: '4s', 'stall-timeout': '3s', retries: '0' },
      { env: { GOMAXPROCS: '1' } }
    )

    expect(run.failed).toBe(true)
    expect(run.outputs.attempts).toBe('1')
    expect(run.summary).toMatch(new RegExp(`\\| 1 \\| ${slow.url} \\| ❌ timeout \\| (4|5)\\.\\d+s \\|`))
    expect(run.log).toMatch(/::warning::Attempt 1 \(.*\): timeout after (4|5)\.\d+s/)
    // It was progressing when it was killed: go had finished requests throughout, not stalled.
    const answered = run.log.split('\n').filter(l => new RegExp(`^# get ${slow.url}/\\S+: 200 `).test(l))
    expect(answered.length).toBeGreaterThanOrEqual(6)
    expect(answered.length).toBeLessThan(slow.requests.length + 1)
    expect(answered.filter(l => l.includes('.zip: 200')).length).toBeLessThan(universe.modules.length)
  })
})

/**
 * Beside the hung mount: a module cache with `subs` directories under cache/download, a main
 * module needing a module of a proxy that takes every request and never answers (go waits on it
 * for good), and another user of the module cache who wins the race every time: each listing of
 * cache/download by the watchdog's count is followed at once by one more of those directories
 * becoming a link into the mount. `then` runs with `attempt()` (one attempt, its stall-timeout
 * `stallMs`), `swaps` and `done(value)` (written where `resultOf` reads it) in scope.
 */
function hungCountCode(dir: string, mnt: string, subs: number, stallMs: number, then: string): string {
  const modcache = path.join(dir, 'modcache')
  for (let i = 0; i < subs; i++) mkdirSync(path.join(modcache, `cache/download/sub${i}/dir`), { recursive: true })
  const work = path.join(dir, 'work')
  mkdirSync(work)
  writeFileSync(path.join(work, 'go.mod'), 'module example.com/main\n\ngo 1.21\n\nrequire example.com/a v1.0.0\n')
  return `
    import http from 'node:http'
    import fs, { lstatSync, renameSync, symlinkSync } from 'node:fs'
    import { syncBuiltinESMExports } from 'node:module'
    const [modcache, work, mnt, goBin, goEnv, result] = ${JSON.stringify([modcache, work, mnt, goBinary(), offlineGoEnv(modcache), path.join(dir, 'result.json')])}
    const readdir = fs.promises.readdir
    let swaps = 0
    fs.promises.readdir = async (p, ...rest) => {
      const listed = await readdir(p, ...rest)
      if (String(p).endsWith('/cache/download')) {
        for (let i = 0; i < ${subs}; i++) {
          const sub = modcache + '/cache/download/sub' + i
          if (!lstatSync(sub).isDirectory()) continue
          renameSync(sub, sub + '-moved')
          symlinkSync(mnt + '/x', sub)
          swaps++
          break
        }
      }
      return listed
    }
    syncBuiltinESMExports()
    const silent = http.createServer(() => {})
    await new Promise(resolve => silent.listen(0, '127.0.0.1', resolve))
    const { runAttempt } = await import(${JSON.stringify(path.join(import.meta.dirname, '../src/download/attempt.ts'))})
    const attempt = () => runAttempt({
      go: goBin, cwd: work, modcache, timeoutMs: 60_000, stallTimeoutMs: ${stallMs},
      env: { ...process.env, ...goEnv, GOPROXY: 'http://127.0.0.1:' + silent.address().port, GOFLAGS: '-mod=mod' }
    })
    const done = value => {
      fs.writeFileSync(result, JSON.stringify(value))
      console.log('answered')
      process.exit(0)
    }
    ${then}`
}

const resultOf = <T>(dir: string): T => JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as T

// The watchdog counts the bytes under the module cache's cache/ to see whether go still makes
// progress. That count walks a directory any user of a shared module cache can write to: a
// directory there swapped for a link into a file system that never answers (a hung network
// mount, a FUSE mount of theirs) holds the count for good. It must not hold the bounds with it.
describe.skipIf(!canMount)('a count of the module cache that never ends', () => {
  it('go, stalled on a silent proxy, is still ended at stall-timeout', async ({ skip }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hung-count-'))
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const code = hungCountCode(dir, mount.mnt, 1, 2_000, `
      const outcome = await attempt()
      done({ swaps, endedBy: outcome.endedBy, waitingOn: outcome.waitingOn })`)
    expect(await answersBeside(mount, code, 15_000)).toBe(true)
    const outcome = resultOf<{ swaps: number; endedBy: string; waitingOn: string[] }>(dir)
    expect(outcome).toMatchObject({ swaps: 1, endedBy: 'stall' })
    expect(outcome.waitingOn.length).toBeGreaterThan(0)
  }, 30_000)
})

// Each count that never ends keeps one of libuv's threads (four by default) in the kernel for
// good: the next attempt (a retry, the next go run) must not start another, or after four the
// step's every file read, its cache save among them, waits with them.
describe.skipIf(!canMount)('counts of the module cache that never end, attempt after attempt', () => {
  it('after four stalled attempts the step still reads files', async ({ skip }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hung-counts-'))
    const mount = await hungMount(dir)
    if (!mount) return skip('no FUSE mount here')
    const code = hungCountCode(dir, mount.mnt, 4, 1_000, `
      const endedBy = []
      for (let i = 0; i < 4; i++) endedBy.push((await attempt()).endedBy)
      // What the step does next (its summary, its cache save) reads files.
      const read = await Promise.race([fs.promises.stat(work).then(() => true), new Promise(resolve => setTimeout(() => resolve(false), 3_000))])
      done({ swaps, endedBy, read })`)
    expect(await answersBeside(mount, code, 25_000)).toBe(true)
    const outcome = resultOf<{ swaps: number; endedBy: string[]; read: boolean }>(dir)
    expect(outcome.swaps).toBeGreaterThan(0)
    expect(outcome.endedBy).toEqual(['stall', 'stall', 'stall', 'stall'])
    expect(outcome.read).toBe(true)
  }, 45_000)
})
