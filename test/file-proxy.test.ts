// file:// entries of GOPROXY work as go reads them: kept in the chain where given, never asked
// over HTTP, judged by what the directory holds. Real go, a file:// proxy made from a universe.
import { execFileSync } from 'node:child_process'
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parseCandidates } from '../src/go/goproxy.ts'
import { downloadPath } from '../src/module/request.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { answersBeside, canMount, hungMount } from './support/hung-mount.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3 })
})

afterEach(async () => {
  await proxies.closeAll()
})

describe('a file:// entry in GOPROXY', () => {
  it('alone, from the environment: go downloads from the directory, and the step succeeds without a request over HTTP', async () => {
    const goproxy = `file://${universe.proxyDir}`
    const run = await runScenario(universe, {}, { env: { GOPROXY: goproxy } })
    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(run.exported.GOPROXY).toBe(goproxy)
    expect(run.summary).toContain(`| ${goproxy} | ➖ not probed |  | a directory in GOPROXY layout with \`example.com/Fixture/m001@v1.0.0\` .mod as go.sum has it, read by go itself |`)
  })

  it('a missing directory first: kept where it was, said so, and go moves on to the proxy behind it', async () => {
    const good = await proxies.start(healthy)
    const missing = `file://${path.join(universe.proxyDir, '..', 'no-such-dir')}`
    const run = await runScenario(universe, {}, { env: { GOPROXY: `${missing},${good.url}` } })
    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, universe.modules)
    expect(run.exported.GOPROXY).toBe(`${missing}|${good.url}`)
    expect(run.summary).toContain(`no directory at ${path.join(universe.proxyDir, '..', 'no-such-dir')}: go finds nothing there`)
  })

  it('a directory without the modules: said so, and go moves on to the proxy behind it', async () => {
    const good = await proxies.start(healthy)
    // The universe's proxy directory, one level up: it holds no module at these paths.
    const other = `file://${path.dirname(universe.proxyDir)}`
    const run = await runScenario(universe, {}, { env: { GOPROXY: `${other}|${good.url}` } })
    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toContain('a directory without `example.com/Fixture/m001@v1.0.0` .mod: go moves on')
  })

  it.each(['file://localhost/srv/goproxy', 'file://example.com/srv', 'file:relative/dir', 'file:/srv/goproxy', 'file:///srv/goproxy?x=1'])('%s, which go refuses too, fails the step before any request, naming the setting', async entry => {
    const good = await proxies.start(healthy)
    const run = await runScenario(universe, {}, { env: { GOPROXY: `${entry},${good.url}` } })
    expect(run.failed).toBe(true)
    expect(run.log).toContain(`::error::proxies (from go env GOPROXY): "${entry}" is not a file:// proxy go accepts`)
    expect(good.requests).toEqual([])
    // go's own verdict on the same setting.
    await expect(go(['mod', 'download'], universe.sampleDir, { ...offlineGoEnv(tempModcache()), GOPROXY: entry })).rejects.toThrow(/invalid file:\/\/ proxy URL with non-path elements|invalid port ":relative"/)
  })

  it('parses as go does: a path alone, the directory decoded', () => {
    expect(parseCandidates('file:///srv/go%20proxy,FILE:////srv/b,direct').map(c => [c.spec, c.keyword, c.dir])).toEqual([
      ['file:///srv/go%20proxy', true, '/srv/go proxy'],
      ['FILE:////srv/b', true, '//srv/b'],
      ['direct', true, undefined]
    ])
  })
})

// The directory is the user's and may be anyone's: what the probe reads of it must not hold the
// step before go ever runs. Each judge runs in a node of its own, bounded, so that a hang is a
// failure and not the test runner's end.
describe.skipIf(process.platform !== 'linux')('the probe of a file:// entry, on hostile ground', () => {
  const src = path.join(import.meta.dirname, '..', 'src')
  /** judgeFileProxy(dir) on the universe's first module, printed after `answered`. */
  const judging = (dir: string) => `
    import { judgeFileProxy } from ${JSON.stringify(`${src}/probe/file-proxy.ts`)}
    import { modRequest } from ${JSON.stringify(`${src}/probe/probe.ts`)}
    console.log('answered', judgeFileProxy(${JSON.stringify(dir)}, modRequest({ module: 'example.com/Fixture/m001', version: 'v1.0.0', goMod: true, hash: 'h1:z' })))`
  /** A GOPROXY layout for that module, its .mod made by `make`. */
  const layout = (make: (mod: string) => void) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'file-entry-'))
    const mod = path.join(dir, downloadPath('example.com/Fixture/m001', 'v1.0.0', 'mod'))
    mkdirSync(path.dirname(mod), { recursive: true })
    make(mod)
    return { dir, mod }
  }

  it('a FIFO where the .mod is: said at once, never opened for reading', async () => {
    const { dir, mod } = layout(file => execFileSync('mkfifo', [file]))
    // Whatever still waits on the FIFO is let go by a writer, so that the node ends.
    const release = () => {
      try {
        closeSync(openSync(mod, constants.O_WRONLY | constants.O_NONBLOCK))
      } catch {
        // No reader waiting.
      }
    }
    const said: string[] = []
    expect(await answersBeside({ release }, judging(dir), 5_000, out => said.push(out))).toBe(true)
    expect(said.join('')).toContain('a directory whose example.com/Fixture/m001@v1.0.0 .mod is not read here: a FIFO')
  }, 20_000)

  it.skipIf(!canMount)('a link on the way into a mount that never answers: said at once', async ({ skip }) => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'hang-'))
    const mount = await hungMount(base)
    if (!mount) return skip('no FUSE mount here')
    const dir = path.join(base, 'entry')
    mkdirSync(path.join(dir, 'example.com'), { recursive: true })
    symlinkSync(mount.mnt, path.join(dir, 'example.com', '!fixture'))
    expect(await answersBeside(mount, judging(dir), 5_000)).toBe(true)
  }, 30_000)
})
