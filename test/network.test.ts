// The network as go sees it, with real parts on loopback: a corporate forward proxy (names
// resolve only through it; the Go one of the test tools, and Debian's squid where installed), a private CA known only through SSL_CERT_FILE
// or SSL_CERT_DIR, and a private https proxy whose credentials live only in a .netrc. In each,
// a silent candidate goes first: the step must pick the healthy one within seconds, not wait
// out stall-timeout, and go itself must get through the same way.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ActionRun } from './support/action.ts'
import { type ForwardProxy, type ForwardProxyKind, forwardProxyKinds, startForwardProxy } from './support/forward-proxy.ts'
import { networkClient } from './support/net.ts'
import { healthy, type ProxyServer, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { type Authority, testAuthority } from './support/tls.ts'
import { makeUniverse, type Universe } from './support/universe.ts'
import { FLOOR_BYTES_PER_SEC } from '../src/util/timing.ts'

let universe: Universe
let authority: Authority
const proxies = proxyPool(() => universe.proxyDir)
const forwardProxies: ForwardProxy[] = []

// Names only the forward proxy resolves.
const NAMES = ['silent.corp.test', 'mirror.corp.test', 'secure.corp.test']

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'network-')), { count: 4 })
  authority = testAuthority()
})
afterEach(async () => {
  await proxies.closeAll()
  await Promise.all(forwardProxies.splice(0).map(p => p.close()))
})

const startForward = async (kind: ForwardProxyKind, credentials?: { user: string; password: string }) => {
  const proxy = await startForwardProxy(kind, { hosts: Object.fromEntries(NAMES.map(n => [n, '127.0.0.1'])), ...(credentials ? { credentials } : {}) })
  forwardProxies.push(proxy)
  return proxy
}

/** The server's URL under a name only the forward proxy knows. */
const named = (server: ProxyServer, name: string) => server.url.replace('127.0.0.1', name)
const port = (server: ProxyServer) => new URL(server.url).port

/** Inputs for a silent candidate first and `second` behind it, with a stall-timeout a slow step would show. */
const silentFirst = (silent: string, second: string) => ({ proxies: `${silent}\n${second}`, 'stall-timeout': '30s', retries: '1' })

/** Everything the step wrote, where a secret must never appear. */
const written = (run: ActionRun) => [run.log.replace(/^::add-mask::.*$/gm, ''), run.summary, JSON.stringify(run.outputs), JSON.stringify(run.exported), run.state].join('\n')

async function timed<T>(work: () => Promise<T>): Promise<T & { seconds: number }> {
  const started = performance.now()
  const result = await work()
  return { ...result, seconds: (performance.now() - started) / 1000 }
}

function expectChosen(run: ActionRun & { modcache: string; seconds: number }, url: string) {
  expect(run.failed, run.log).toBe(false)
  expect(run.outputs.proxy).toBe(url)
  expect(run.exported.GOPROXY?.startsWith(url)).toBe(true)
  expect(run.summary).toContain(`| ${url} | ✅ healthy |`)
  expectComplete(run.modcache, universe.modules)
  // Far under the 30 s stall-timeout: the silent candidate cost the probe's hedge, not a stall.
  expect(run.seconds).toBeLessThan(10)
}

describe.each(forwardProxyKinds())('a forward proxy (%s), as HTTP_PROXY and HTTPS_PROXY', kind => {
  const forwardProxy = (credentials?: { user: string; password: string }) => startForward(kind, credentials)

  it('the candidates are names only the proxy can resolve: the action, asked directly, finds no such host; through the proxy it reaches the server', async () => {
    const forward = await forwardProxy()
    const good = await proxies.start(healthy)
    const list = `${named(good, 'mirror.corp.test')}/${universe.modules[1]!.path}/@v/list`
    const get = async (env: Record<string, string>) => {
      const client = await networkClient(env)
      try {
        return await client.get(list, { signal: AbortSignal.timeout(10_000), maxBytes: 1 << 20, floor: { bytesPerSec: FLOOR_BYTES_PER_SEC, windowMs: 10_000 } })
      } finally {
        client.close()
      }
    }
    await expect(get({})).rejects.toMatchObject({ kind: 'dns', message: expect.stringContaining('mirror.corp.test') })
    expect(good.requests).toEqual([])
    const answer = await get({ HTTP_PROXY: forward.url, NO_PROXY: '' })
    expect(answer.status).toBe(200)
    expect(answer.body.toString()).toBe('v1.0.0\n')
    expect(forward.log()).toContain(`GET ${list} 200`)
    expect(good.requests).toEqual([`/${universe.modules[1]!.path}/@v/list`])
  })

  it('http candidates go through it: the silent one is passed over, the healthy one chosen', async () => {
    const forward = await forwardProxy()
    const [silent, good] = [await proxies.start({ kind: 'hang' }), await proxies.start(healthy)]
    const mirror = named(good, 'mirror.corp.test')
    const run = await timed(() =>
      runScenario(universe, silentFirst(named(silent, 'silent.corp.test'), mirror), { env: { HTTP_PROXY: forward.url, HTTPS_PROXY: forward.url, NO_PROXY: '' } })
    )
    expectChosen(run, mirror)
    expect(run.summary).toContain(`through HTTP_PROXY ${forward.url}`)
    // The probe, the prefetch and go itself all went through the proxy (each sends `!` as `%21`, as go does).
    const log = forward.log()
    expect(log).toContain(`GET ${mirror}/example.com/%21fixture/m001/@v/v1.0.0.mod 200`)
    expect(log.filter(l => l.startsWith(`GET ${mirror}/`) && l.includes('.zip ')).length).toBeGreaterThanOrEqual(universe.modules.length)
    expect(good.requests.length).toBeGreaterThan(0)
  })

  it('an https candidate goes through a CONNECT tunnel, its certificate trusted through SSL_CERT_FILE alone', async () => {
    const forward = await forwardProxy()
    const silent = await proxies.start({ kind: 'hang' })
    const good = await proxies.start(healthy, { tls: authority.issue('secure.corp.test') })
    const secure = named(good, 'secure.corp.test')
    const run = await timed(() =>
      runScenario(universe, silentFirst(named(silent, 'silent.corp.test'), secure), {
        env: { HTTPS_PROXY: forward.url, HTTP_PROXY: forward.url, NO_PROXY: '', SSL_CERT_FILE: authority.certFile, SSL_CERT_DIR: '', NODE_EXTRA_CA_CERTS: '' }
      })
    )
    expectChosen(run, secure)
    expect(run.summary).toContain(`through HTTPS_PROXY ${forward.url}`)
    expect(forward.log()).toContain(`CONNECT secure.corp.test:${port(good)} 200`)
  })

  it('a proxy that demands credentials: 407 is named as the proxy\'s, and credentials in its URL work but are never shown', async () => {
    const password = 'forward-pa55word'
    const forward = await forwardProxy({ user: 'alice', password })
    const good = await proxies.start(healthy)
    const mirror = named(good, 'mirror.corp.test')

    const refused = await runScenario(universe, { proxies: mirror, retries: '0' }, { env: { HTTP_PROXY: forward.url, NO_PROXY: '' } })
    expect(refused.failed).toBe(true)
    expect(refused.summary).toContain(`forward proxy ${forward.url} (HTTP_PROXY) answered 407 Proxy Authentication Required`)
    expect(refused.summary).toContain('failed at the forward proxy')
    expect(good.requests).toEqual([])

    const withCredentials = forward.url.replace('http://', `http://alice:${password}@`)
    const silent = await proxies.start({ kind: 'hang' })
    const run = await timed(() =>
      runScenario(universe, silentFirst(named(silent, 'silent.corp.test'), mirror), { env: { HTTP_PROXY: withCredentials, NO_PROXY: '' } })
    )
    expectChosen(run, mirror)
    expect(forward.log().some(l => l.startsWith(`GET ${mirror}/`) && l.endsWith(' 200'))).toBe(true)
    expect(written(run)).not.toContain(password)
    expect(run.summary).toContain(`through HTTP_PROXY http://\\*\\*\\*@127.0.0.1:${new URL(forward.url).port}`)
  })

  it('NO_PROXY exempts a host as go does: the request bypasses the proxy', async () => {
    const forward = await forwardProxy()
    const [silent, good] = [await proxies.start({ kind: 'hang' }), await proxies.start(healthy)]
    // localhost is never proxied, by go's own rule; a loopback IP neither.
    const local = good.url.replace('127.0.0.1', 'localhost')
    const run = await timed(() =>
      runScenario(universe, silentFirst(named(silent, 'silent.corp.test'), local), { env: { HTTP_PROXY: forward.url, NO_PROXY: 'corp.test' } })
    )
    // NO_PROXY=corp.test sends silent.corp.test direct, where no DNS knows it: refused at once, not silent.
    expectChosen(run, local)
    expect(forward.log(), run.log).toEqual([])
    expect(run.summary).toMatch(/\| http:\/\/silent\.corp\.test:\d+ \| ❌ unhealthy \|/)
  })
})

describe('trust roots, as go reads them', () => {
  it('a private CA known only through SSL_CERT_DIR', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'certdir-'))
    copyFileSync(authority.certFile, path.join(dir, 'corporate-root.pem'))
    const silent = await proxies.start({ kind: 'hang' })
    const good = await proxies.start(healthy, { tls: authority.issue() })
    const run = await timed(() =>
      runScenario(universe, silentFirst(silent.url, good.url), { env: { SSL_CERT_FILE: '', SSL_CERT_DIR: dir, NODE_EXTRA_CA_CERTS: '' } })
    )
    expectChosen(run, good.url)
  })

  it('a certificate go rejects is rejected, GOINSECURE notwithstanding (go applies it to direct fetches only)', async () => {
    const other = testAuthority()
    const good = await proxies.start(healthy, { tls: authority.issue() })
    const run = await runScenario(universe, { proxies: good.url, retries: '0' }, {
      env: { SSL_CERT_FILE: other.certFile, SSL_CERT_DIR: '', NODE_EXTRA_CA_CERTS: '', GOINSECURE: '*' }
    })
    expect(run.failed).toBe(true)
    expect(run.summary).toMatch(new RegExp(`\\| ${good.url} \\| ❌ unhealthy \\|  \\| [^|]*(certificate|issuer)`))
    expect(run.summary).toContain(`⚠️ ${good.url} failed on TLS`)
    expect(run.summary).toContain(`SSL_CERT_FILE=${other.certFile}`)
    // go, run by the step with the same environment, refused the same certificate.
    expect(run.log).toMatch(/x509: certificate signed by unknown authority/)
  })
})

describe('credentials outside the URL (GOAUTH)', () => {
  const password = 'n3trc-pa55word'
  let privateProxy: ProxyServer

  beforeAll(async () => {
    privateProxy = await proxyPool(() => universe.proxyDir).start(healthy, { tls: authority.issue(), basicAuth: `ci:${password}` })
  })
  afterAll(() => privateProxy.close())

  const netrc = (dir: string, name = '.netrc') => {
    mkdirSync(dir, { recursive: true })
    // go matches `machine` against the URL's host as written, port included.
    writeFileSync(path.join(dir, name), `machine example.com login nobody password nothing\nmachine 127.0.0.1:${port(privateProxy)}\n  login ci\n  password ${password}\n`)
    return path.join(dir, name)
  }
  const trust = () => ({ SSL_CERT_FILE: authority.certFile, SSL_CERT_DIR: '', NODE_EXTRA_CA_CERTS: '' })

  it('a private proxy whose credentials are only in $NETRC: healthy, and the password never shown', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    const before = privateProxy.authorizations.length
    const run = await timed(() =>
      runScenario(universe, silentFirst(silent.url, privateProxy.url), { env: { ...trust(), NETRC: netrc(mkdtempSync(path.join(os.tmpdir(), 'netrc-'))), GOAUTH: '' } })
    )
    expectChosen(run, privateProxy.url)
    const sent = privateProxy.authorizations.slice(before)
    expect(sent.length).toBeGreaterThan(universe.modules.length)
    expect(sent.every(a => a === `Basic ${Buffer.from(`ci:${password}`).toString('base64')}`)).toBe(true)
    expect(written(run)).not.toContain(password)
  })

  it('found in ~/.netrc through HOME', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'home-'))
    netrc(home)
    const silent = await proxies.start({ kind: 'hang' })
    const run = await timed(() => runScenario(universe, silentFirst(silent.url, privateProxy.url), { env: { ...trust(), HOME: home, NETRC: '', GOAUTH: 'netrc' } }))
    expectChosen(run, privateProxy.url)
    expect(written(run)).not.toContain(password)
  })

  it('GOAUTH=off: no credentials are sent, by the action or by go', async () => {
    const before = privateProxy.authorizations.length
    const run = await runScenario(universe, { proxies: privateProxy.url, retries: '0' }, {
      env: { ...trust(), NETRC: netrc(mkdtempSync(path.join(os.tmpdir(), 'netrc-'))), GOAUTH: 'off' }
    })
    expect(run.failed).toBe(true)
    expect(run.summary).toContain(`| ${privateProxy.url} | ❌ unhealthy |`)
    expect(run.summary).toContain('HTTP 401')
    const sent = privateProxy.authorizations.slice(before)
    expect(sent.length).toBeGreaterThan(0)
    expect(sent.every(a => a === '')).toBe(true)
  })
})

describe('when no probe passes', () => {
  it('a candidate that answered goes before one that said nothing', async () => {
    const silent = await proxies.start({ kind: 'hang' })
    // Its first answer (the probe's) is an error; everything after it is fine.
    const warming = await proxies.start({ kind: 'fail-first', count: 1 })
    const run = await timed(() => runScenario(universe, { ...silentFirst(silent.url, warming.url), 'probe-timeout': '1s' }))
    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toContain('No candidate passed its probe')
    expect(run.outputs.attempts).toBe('1')
    expect(run.outputs.proxy).toBe(warming.url)
    // The silent one failed its probe and served nothing: later steps do not wait on it.
    expect(run.exported.GOPROXY).toBe(warming.url)
    expect(silent.requests).toHaveLength(1)
    expect(run.seconds).toBeLessThan(10)
  })
})
