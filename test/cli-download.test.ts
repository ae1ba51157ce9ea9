// `go-mod-download download` as a user runs it: dist/cli.js in a module's folder, the real go, loopback proxies.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RunFacts } from '../src/report/facts.ts'
import { proxiedZips } from '../src/report/story.ts'
import { buildSummary } from '../src/report/summary.ts'
import { processesWithEnv } from './support/action.ts'
import { runCli, startCli, waitFor } from './support/cli.ts'
import { offlineGoEnv, tempModcache } from './support/go.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { loopbackCertificate } from './support/tls.ts'
import { makeUniverse, moduleCacheHas, type Universe } from './support/universe.ts'

let universe: Universe
const proxies = proxyPool(() => universe.proxyDir)
const QUICK = ['--probe-timeout', '1s', '--stall-timeout', '2s', '--timeout', '60s', '--retries', '1']

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'cli-universe-')), { count: 4 })
})
afterEach(() => proxies.closeAll())
afterAll(() => proxies.closeAll())

describe('go-mod-download download', () => {
  it('with a silent first candidate and a healthy second: the modules in the module cache, the summary as a table, exit 0', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    const good = await proxies.start(healthy)
    const modcache = tempModcache()
    const run = await runCli(['download', '--proxies', `${silent.url},${good.url}`, ...QUICK], universe.sampleDir, offlineGoEnv(modcache))
    expect(run.code, run.stderr).toBe(0)
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
    // The summary on stdout, a text table: no markdown pipes, the healthy candidate named and chosen.
    expect(run.stdout).not.toContain('|')
    expect(run.stdout).toMatch(new RegExp(`${good.url.replace(/[.]/g, '\\.')}\\s+✅ healthy`))
    expect(run.stdout).toMatch(new RegExp(`${silent.url.replace(/[.]/g, '\\.')}\\s+🐢 too slow`))
    // Nothing of what a runner has and a terminal has not: later steps to export to, a cache service.
    expect(run.stdout).not.toMatch(/Exported|later steps|Cache|not saved/)
    // The engine's lines go to stderr; nothing of the Action's workflow commands anywhere.
    expect(run.stderr).toContain('Probe the proxies')
    expect(run.stdout + run.stderr).not.toMatch(/^::/m)
    expect(good.requests.some(r => r.endsWith('.zip'))).toBe(true)
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
    // Again over the module cache it left: the check of that cache is what the table says of it.
    const again = await runCli(['--proxies', good.url, ...QUICK], universe.sampleDir, offlineGoEnv(modcache))
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toMatch(/^Module cache\nChecked against go\.sum\n-+\n\d+ zips/m)
  })

  it('a module without go.sum: the warning names nothing a terminal has not (the action, a cache to restore or save)', async () => {
    const good = await proxies.start(healthy)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-nosum-'))
    cpSync(universe.sampleDir, dir, { recursive: true })
    rmSync(path.join(dir, 'go.sum'))
    const run = await runCli(['--proxies', good.url, ...QUICK], dir, offlineGoEnv(tempModcache()))
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toContain('warning: There is no go.sum: no module can be checked against it, so nothing is fetched ahead of go;')
    expect(run.stdout + run.stderr).not.toMatch(/the action|restores nor saves|caching/)
  })

  it('--json prints one JSON document on stdout, the report, and its facts match the module cache', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    const good = await proxies.start(healthy)
    const modcache = tempModcache()
    const run = await runCli(['--proxies', `${silent.url},${good.url}`, '--json', ...QUICK], universe.sampleDir, offlineGoEnv(modcache))
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1)
    const report = JSON.parse(run.stdout) as { ok: boolean; chosen: string; attempts: { reason: string }[]; fetch: { zips: number; planned: number }; probes: { candidate: { display: string }; verdict: string }[] }
    expect(report.ok).toBe(true)
    expect(report.chosen).toBe(good.url)
    expect(report.attempts.map(a => a.reason)).toEqual(['ok'])
    expect(report.probes.map(p => [p.candidate.display, p.verdict])).toEqual([
      [silent.url, 'slow'],
      [good.url, 'healthy']
    ])
    // Every zip the report says was fetched and verified is in the module cache, and nothing else is missing.
    expect(report.fetch.zips).toBe(universe.modules.length)
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
  })

  it('credentials in a candidate URL are never printed, in the table, the JSON or the log', async () => {
    const cert = loopbackCertificate()
    const good = await proxies.start(healthy, { tls: cert, basicAuth: 'gopher:s3cret-Pa55' })
    const withCredentials = good.url.replace('https://', 'https://gopher:s3cret-Pa55@')
    for (const json of [[], ['--json']]) {
      const modcache = tempModcache()
      const run = await runCli(['--proxies', withCredentials, ...json, ...QUICK], universe.sampleDir, { ...offlineGoEnv(modcache), SSL_CERT_FILE: cert.certFile })
      expect(run.code, run.stderr).toBe(0)
      for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
      expect(run.stdout + run.stderr).not.toContain('s3cret-Pa55')
      expect(run.stdout).toContain(good.url.replace('https://', 'https://***@'))
    }
  })
})

describe('a file:// chain, which go reads itself and prints no request for', () => {
  it('credits the zips go read to the file:// entry: the count, the chosen proxy', async () => {
    const entry = pathToFileURL(universe.proxyDir).href
    const modcache = tempModcache()
    const run = await runCli(['--proxies', entry, '--json'], universe.sampleDir, offlineGoEnv(modcache))
    expect(run.code, run.stderr).toBe(0)
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module), module.path).toBe(true)
    const facts = JSON.parse(run.stdout) as RunFacts
    expect(facts.chosen).toBe(entry)
    expect(proxiedZips(facts)).toBe(universe.modules.length)
    expect(buildSummary(facts).title).toContain(`${universe.modules.length} downloaded`)
  })
})

describe('exit codes', () => {
  it('2: an unknown flag is named, before any request', async () => {
    const good = await proxies.start(healthy)
    const run = await runCli(['download', '--proxies', good.url, '--retry', '3'], universe.sampleDir, offlineGoEnv(tempModcache()))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--retry')
    expect(run.stdout).toBe('')
    expect(good.requests).toEqual([])
  })

  it('2: a bad value is named as its flag, before any request', async () => {
    const good = await proxies.start(healthy)
    for (const [flag, value] of [
      ['--retries', 'many'],
      ['--timeout', 'soon'],
      ['--selection', 'random'],
      ['--proxies', 'ftp://example.com']
    ] as const) {
      const run = await runCli(['--proxies', good.url, flag, value], universe.sampleDir, offlineGoEnv(tempModcache()))
      expect(run.code, `${flag} ${value}`).toBe(2)
      expect(run.stderr).toContain(`${flag}: `)
    }
    const run = await runCli(['fetch'], universe.sampleDir, offlineGoEnv(tempModcache()))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('unknown command "fetch"')
    expect(good.requests).toEqual([])
  })

  it('2: a refused proxies entry, or a URL given as a command, is quoted with its credentials redacted', async () => {
    for (const argv of [['--proxies', 'https://usr7Q:pa\\s3cret@host.example'], ['--proxies=https://usr7Q:pa s3cret@host.example'], ['https://usr7Q:pa\\s3cret@host.example']]) {
      const run = await runCli(argv, universe.sampleDir, offlineGoEnv(tempModcache()))
      expect(run.code, argv.join(' ')).toBe(2)
      expect(run.stderr, argv.join(' ')).toContain('"https://***@host.example"')
      expect(run.stdout + run.stderr, argv.join(' ')).not.toMatch(/usr7Q|s3cret/)
    }
  })

  it('2: a bad GOPROXY in the environment (no --proxies): named on stderr as the last line, with --json too, before any request', async () => {
    const good = await proxies.start(healthy)
    const run = await runCli(['--json'], universe.sampleDir, { ...offlineGoEnv(tempModcache()), GOPROXY: `ftp://x.example.com,${good.url}` })
    expect(run.code, run.stdout + run.stderr).toBe(2)
    expect(lastLine(run.stderr)).toMatch(/^go-mod-download: proxies \(from go env GOPROXY\): "ftp:\/\/x\.example\.com" /)
    // The report says it as stderr does: a setting from go's environment, not an action's input.
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, failure: expect.stringMatching(/^proxies \(from go env GOPROXY\): "ftp:\/\/x\.example\.com" /) as unknown })
    expect(good.requests).toEqual([])
  })

  it('2: GOFLAGS go refuses: named on stderr as the last line with go’s words, before any request', async () => {
    const good = await proxies.start(healthy)
    const run = await runCli(['--proxies', good.url], universe.sampleDir, { ...offlineGoEnv(tempModcache()), GOFLAGS: '-modcacherw=maybe' })
    expect(run.code, run.stdout + run.stderr).toBe(2)
    expect(lastLine(run.stderr)).toBe('go-mod-download: GOFLAGS (from go env GOFLAGS): go refuses them (go: invalid boolean value "maybe" for flag -modcacherw (from $GOFLAGS): parse error); fix GOFLAGS in the environment, or with go env -w GOFLAGS=…')
    // The table on stdout names it the same way: the CLI has no inputs.
    expect(run.stdout).toContain('GOFLAGS (from go env GOFLAGS): go refuses them')
    expect(run.stdout).not.toContain('Input "')
    expect(good.requests).toEqual([])
  })

  it('2: a -modfile in GOFLAGS that names no file: named before any request, not retried', async () => {
    const good = await proxies.start(healthy)
    const run = await runCli(['--proxies', good.url], universe.sampleDir, { ...offlineGoEnv(tempModcache()), GOFLAGS: '-modfile=nonexist.mod' })
    expect(run.code, run.stdout + run.stderr).toBe(2)
    expect(lastLine(run.stderr)).toBe(`go-mod-download: GOFLAGS (from go env GOFLAGS): -modfile=nonexist.mod names no file in ${universe.sampleDir}: go would fail every attempt on it`)
    expect(good.requests).toEqual([])
  })

  it('2: a GOMODCACHE go refuses (relative, or none at all): named before any request, nothing written', async () => {
    const good = await proxies.start(healthy)
    const run = await runCli(['--proxies', good.url], universe.sampleDir, { ...offlineGoEnv(tempModcache()), GOMODCACHE: 'relative/modcache' })
    expect(run.code, run.stdout + run.stderr).toBe(2)
    expect(lastLine(run.stderr)).toBe('go-mod-download: GOMODCACHE (from go env GOMODCACHE): "relative/modcache" is not an absolute path, which go requires of the module cache; set GOMODCACHE to one')
    expect(good.requests).toEqual([])
    expect(existsSync(path.join(universe.sampleDir, 'relative'))).toBe(false)
  })

  it('2: a folder without go.mod', async () => {
    const run = await runCli([], os.tmpdir(), offlineGoEnv(tempModcache()))
    expect(run.code).toBe(2)
    // Run there, no flag given: the folder is named as the current one, with what to do.
    expect(run.stderr).toBe(`go-mod-download: the current folder: ${os.tmpdir()} holds neither go.mod nor go.work; run it in a module's folder, or give --working-directory\n`)
    const named = await runCli(['--working-directory', os.tmpdir()], universe.sampleDir, offlineGoEnv(tempModcache()))
    expect(named.code).toBe(2)
    expect(named.stderr).toBe(`go-mod-download: --working-directory: ${os.tmpdir()} holds neither go.mod nor go.work\n`)
  })

  it('3: no candidate is healthy', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    const portal = await proxies.start({ kind: 'html' })
    const run = await runCli(['--proxies', `${silent.url},${portal.url}`, ...QUICK], universe.sampleDir, offlineGoEnv(tempModcache()))
    expect(run.code, run.stdout + run.stderr).toBe(3)
    expect(failureBlock(run.stderr)).toMatch(/^go-mod-download: go mod download failed after \d+ attempts?\.\n- http:\/\/127\.0\.0\.1:\d+: unhealthy, /)
  })

  it('4: go mod download fails through a healthy candidate (a module no proxy has)', async () => {
    const good = await proxies.start(healthy)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-absent-'))
    cpSync(universe.sampleDir, dir, { recursive: true })
    // go.sum vouches for it, so the probe finds its bytes missing only where go asks: go's failure, not the probe's.
    writeFileSync(path.join(dir, 'go.mod'), `${readFileSync(path.join(dir, 'go.mod'), 'utf8')}\nrequire example.com/absent v1.0.0\n`)
    const run = await runCli(['--proxies', good.url, ...QUICK], dir, offlineGoEnv(tempModcache()))
    expect(run.code, run.stdout + run.stderr).toBe(4)
    expect(run.stdout).toContain('example.com/absent')
    expect(failureBlock(run.stderr)).toMatch(/^go-mod-download: go mod download failed after \d+ attempts?\.\n(.*\n)*Last error: .*example\.com\/absent/)
  })

  it('1: go is nowhere to be found', async () => {
    const good = await proxies.start(healthy)
    const run = await runCli(['--proxies', good.url], universe.sampleDir, { ...offlineGoEnv(tempModcache()), PATH: path.dirname(process.execPath) })
    expect(run.code, run.stdout + run.stderr).toBe(1)
    expect(run.stdout).toContain('go was not found')
    expect(lastLine(run.stderr)).toMatch(/^go-mod-download: go was not found/)
    expect(good.requests).toEqual([])
  })

  it('143 on SIGTERM mid-download, and nothing of it left running', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    const modcache = tempModcache()
    // go waits on a silent proxy (the probe is over: it waits on go's own request).
    const cli = startCli(['--proxies', silent.url, '--no-prefetch', '--probe-timeout', '1s', '--stall-timeout', '60s', '--timeout', '60s'], universe.sampleDir, offlineGoEnv(modcache))
    await waitFor(() => processesWithEnv(`GOMODCACHE=${modcache}`).length > 1, 20_000)
    cli.child.kill('SIGTERM')
    const run = await cli.done
    expect(run.code).toBe(143)
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
    // Why it ended is the last line on stderr, as for any other exit code.
    expect(lastLine(run.stderr)).toBe('go-mod-download: interrupted by SIGTERM: go mod download and everything it started were stopped')
  })
})

/** The last line written: where a failure's one-line reason goes, after the engine's own lines. */
function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? ''
}

/** The failure's reason at the end of what was written, from its first line on. */
function failureBlock(text: string): string {
  return text.slice(text.lastIndexOf('go-mod-download: ')).trimEnd()
}
