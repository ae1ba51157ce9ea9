// `go-mod-download serve` as a user runs it: dist/cli.js in the foreground, a plain go pointed at it.
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { groupAlive, runCli, startCli, waitFor } from './support/cli.ts'
import { go, offlineGoEnv, tempModcache } from './support/go.ts'
import { closedPort, healthy, proxyPool } from './support/proxy-server.ts'
import { makeUniverse, moduleCacheHas, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'cli-serve-universe-')), { count: 4 })
})
afterEach(() => proxies.closeAll())
afterAll(() => proxies.closeAll())

const GOPROXY_LINE = /^GOPROXY=(http:\/\/127\.0\.0\.1:(\d+)\/([\w-]{24}))$/

describe('go-mod-download serve', () => {
  it('a plain go mod download fetches through it: a silent candidate probed out, one that goes silent after the probe hedged past; SIGTERM stops it with its figures, nothing left running', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    const flaky = await proxies.start(healthy)
    const good = await proxies.start(healthy)
    const serve = startCli(['serve', '--proxies', `${silent.url},${flaky.url},${good.url}`, '--probe-timeout', '1s', '--stall-timeout', '2s'], universe.sampleDir, offlineGoEnv(tempModcache()))
    const first = await serve.firstLine
    const m = GOPROXY_LINE.exec(first ?? '')
    expect(m, `${first}\n${serve.stderr()}`).not.toBeNull()
    const [, url, , secret] = m as unknown as [string, string, string, string]
    // The secret path is on stdout's first line alone: the log masks it.
    await waitFor(() => serve.stderr().includes('Serving'), 5000)
    expect(serve.stderr()).not.toContain(secret)
    expect(serve.stderr()).toMatch(/Serving http:\/\/127\.0\.0\.1:\d+, http:\/\/127\.0\.0\.1:\d+ verified/)
    expect(serve.stderr()).not.toContain(`Serving ${silent.url}`)
    // The first it serves from goes silent once it is serving.
    flaky.setFault({ kind: 'hang' })
    const askedOfSilent = silent.requests.length

    const modcache = tempModcache()
    await go(['mod', 'download'], universe.sampleDir, { ...offlineGoEnv(modcache), GOPROXY: url })
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
    // Behind it, the silent one was never asked again; the flaky one was asked first, the healthy one served the zips.
    expect(silent.requests.length).toBe(askedOfSilent)
    expect(flaky.requests.length).toBeGreaterThan(1)
    expect(good.requests.filter(r => r.endsWith('.zip'))).toHaveLength(universe.modules.length)

    const pgid = serve.child.pid as number
    serve.child.kill('SIGTERM')
    const run = await serve.done
    expect(run.code, run.stderr).toBe(0)
    expect(groupAlive(pgid)).toBe(false)
    // The figures per candidate, after the GOPROXY line: the healthy one kept every file (.info, .mod, .zip of each module).
    const figures = run.stdout.split('\n').slice(1).join('\n')
    expect(figures).toContain('Stopped (terminated)')
    expect(figures).toMatch(new RegExp(`${good.url.replace(/\./g, '\\.')}\\s+\\d+\\s+${universe.modules.length * 3}\\s`))
    expect(figures).toMatch(new RegExp(`${flaky.url.replace(/\./g, '\\.')}\\s+\\d+\\s+0\\s`))
    expect(figures).not.toContain(silent.url)
    expect(figures + run.stderr).not.toContain(secret)
  })

  it('stopped the moment its GOPROXY line is read, it still stops as asked: exit 0, with its figures', async () => {
    const good = await proxies.start(healthy)
    // A script that reads the line and stops it at once: the signal must find it listening.
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM'] as const) {
      const serve = startCli(['serve', '--proxies', good.url], universe.sampleDir, offlineGoEnv(tempModcache()))
      // Signalled in the very callback that receives the line, as a script's `read` would.
      serve.child.stdout.once('data', () => serve.child.kill(signal))
      expect(await serve.firstLine).toMatch(GOPROXY_LINE)
      const run = await serve.done
      expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null })
      expect(run.stdout).toContain(signal === 'SIGINT' ? 'Stopped (interrupted)' : 'Stopped (terminated)')
    }
  })

  it('says that direct, among the candidates, is not served and how to keep go falling back to it', async () => {
    const good = await proxies.start(healthy)
    const serve = startCli(['serve', '--proxies', `${good.url},direct`], universe.sampleDir, offlineGoEnv(tempModcache()))
    const url = GOPROXY_LINE.exec((await serve.firstLine) ?? '')?.[1] as string
    expect(url).not.toContain('direct')
    serve.child.kill('SIGINT')
    const run = await serve.done
    expect(run.code).toBe(0)
    expect(run.stderr).toContain("direct is go's own, not served here: for go to fall back as before, put it after the URL (GOPROXY=<url>,direct).")
  })

  it('refuses a request without its secret path', async () => {
    const good = await proxies.start(healthy)
    const serve = startCli(['serve', '--proxies', good.url], universe.sampleDir, offlineGoEnv(tempModcache()))
    const url = GOPROXY_LINE.exec((await serve.firstLine) ?? '')?.[1] as string
    const origin = new URL(url).origin
    const mod = `${universe.modules[1]?.path}/@v/v1.0.0.mod`
    expect((await fetch(`${origin}/${mod}`)).status).toBe(403)
    expect((await fetch(`${url}/${mod}`)).status).toBe(200)
    serve.child.kill('SIGINT')
    const run = await serve.done
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('Stopped (interrupted)')
  })

  it('--listen takes the address and port; --idle-timeout stops it by itself', async () => {
    const good = await proxies.start(healthy)
    const port = await closedPort()
    const started = Date.now()
    const run = await runCli(['serve', '--proxies', good.url, '--listen', `127.0.0.1:${port}`, '--idle-timeout', '1s'], universe.sampleDir, offlineGoEnv(tempModcache()))
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(new RegExp(`^GOPROXY=http://127\\.0\\.0\\.1:${port}/[\\w-]{24}\\n`))
    expect(run.stdout).toContain('Stopped (idle for 1s)')
    // Bounded only to prove it stops by itself.
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('bad flags exit 2, named, before any request', async () => {
    const good = await proxies.start(healthy)
    for (const [args, named] of [
      [['--listen', 'localhost'], '--listen'],
      [['--idle-timeout', 'forever'], '--idle-timeout'],
      [['--json'], '--json'],
      [['--concurrency', '0'], '--concurrency'],
      [['--proxies', 'direct'], '--proxies']
    ] as const) {
      const run = await runCli(['serve', '--proxies', good.url, ...args], universe.sampleDir, offlineGoEnv(tempModcache()))
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2)
      expect(run.stderr).toContain(named)
      expect(run.stdout).toBe('')
    }
    expect(good.requests).toEqual([])
  })

  it('an address beyond loopback is warned of before it is listened on; loopback is not', async () => {
    const good = await proxies.start(healthy)
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: the listen fails, after the warning, and nothing is exposed.
    const beyond = await startCli(['serve', '--proxies', good.url, '--listen', '192.0.2.1:0'], universe.sampleDir, offlineGoEnv(tempModcache())).done
    expect(beyond.code).toBe(1)
    expect(beyond.stderr).toContain('warning: --listen 192.0.2.1:0 reaches beyond this machine')
    expect(beyond.stderr).toContain('--listen 192.0.2.1:0: no address of this machine')
    expect(good.requests).toEqual([])
    const loopback = await runCli(['serve', '--proxies', good.url, '--listen', '[::1]:0', '--idle-timeout', '1s'], universe.sampleDir, offlineGoEnv(tempModcache()))
    expect(loopback.code, loopback.stderr).toBe(0)
    expect(loopback.stderr).not.toContain('reaches beyond')
  })

  it('an address already taken: exit 1, said naming --listen before any candidate is asked, nothing left running', async () => {
    const good = await proxies.start(healthy)
    const taken = new URL(good.url).port
    const cli = startCli(['serve', '--proxies', good.url, '--listen', `127.0.0.1:${taken}`], universe.sampleDir, offlineGoEnv(tempModcache()))
    const run = await cli.done
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`go-mod-download: --listen 127.0.0.1:${taken}: the address is already in use`)
    expect(good.requests).toEqual([])
    expect(groupAlive(cli.child.pid as number)).toBe(false)
  })
})
