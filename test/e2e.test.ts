// The bundled dist/index.js, run as the runner runs it: action.yml's defaults as INPUT_*
// variables, and the command files read back.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { processesWithEnv, runBundled, runPostBundled } from './support/action.ts'
import { goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { loopbackCertificate } from './support/tls.ts'
import { makeUniverse, moduleCacheHas, type Universe } from './support/universe.ts'

let universe: Universe
let hanging: ProxyServer
let good: ProxyServer

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 4 })
  hanging = await startProxy(universe.proxyDir, { kind: 'hang' })
  good = await startProxy(universe.proxyDir, healthy)
})

afterAll(async () => {
  await Promise.all([hanging?.close(), good?.close()])
})

// The runner's node24, and the host's Node (a runner emulator may use it) when it is older.
const hostNode = '/usr/bin/node'
const nodes = [process.execPath, ...(existsSync(hostNode) && hostNode !== process.execPath ? [hostNode] : [])]

describe.each(nodes)('dist/index.js under %s', node => {
  it(`with a never-answering proxy first and a healthy one second (node ${execFileSync(node, ['--version']).toString().trim()})`, async () => {
    const modcache = tempModcache()
    const run = await runBundled(
      node,
      // Only what a workflow would write; everything else comes from action.yml's defaults.
      { proxies: `${hanging.url}\n${good.url}`, 'working-directory': 'sample', 'probe-timeout': '2s' },
      path.dirname(universe.sampleDir),
      offlineGoEnv(modcache)
    )

    expect(run.exitCode, run.log).toBe(0)
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module)).toBe(true)
    expect(run.outputs).toMatchObject({ proxy: good.url, 'cache-hit': 'false', attempts: '1' })
    expect(run.outputs['cache-key']).toMatch(/^go-mod-download-linux-amd64-downloads-[0-9a-f]{64}$/)
    // By default later steps reach the action's proxy first, its secret path masked in what the step shows.
    expect(run.exported.GOPROXY).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/[\\w-]{24}\\|${good.url}$`))
    expect(run.outputs.goproxy).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/\\*\\*\\*\\|${good.url}$`))
    expect(run.summary).toContain('| Candidate | Verdict | Latency | Reason |')
    // Hedged: once the healthy one answered, the silent one was waited for only 500 ms.
    expect(run.summary).toMatch(new RegExp(`\\| ${hanging.url} \\| 🐢 too slow \\|  \\| no answer within 500ms, while ${good.url} answered in \\d+ms \\|`))
    expect(run.summary).toMatch(/<summary>Fetch: .*<\/summary>\n\n\| Files \|.*\n.*\n\| 12 of 12 planned \| 4 \(go.sum has 8 lines\) \|/)
    expect(run.summary).toMatch(new RegExp(`\\| ${good.url} \\| ✅ healthy \\| \\d+ms \\| served \`example.com/`))
    // No cache service here: a warning, not a failure.
    expect(run.log).toContain('::warning::The cache service is not available here')
    // The proxy for later steps outlives the step; the bundled post step stops it and leaves nothing running.
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toHaveLength(1)
    const post = await runPostBundled(run, path.dirname(universe.sampleDir), {})
    expect(post.exitCode, post.log).toBe(0)
    expect(post.summary).toContain('#### Later steps, through the action’s proxy')
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
  })

  it('a private https proxy with credentials: they reach go, and nothing the step writes shows them', async () => {
    const token = 's3cr3t-t0ken'
    const cert = loopbackCertificate()
    const privateProxy = await startProxy(universe.proxyDir, healthy, { tls: cert, basicAuth: `ci:${token}` })
    try {
      const withCredentials = privateProxy.url.replace('https://', `https://ci:${token}@`)
      const modcache = tempModcache()
      const run = await runBundled(
        node,
        { proxies: `${withCredentials},${hanging.url}`, 'working-directory': 'sample', 'probe-timeout': '2s' },
        path.dirname(universe.sampleDir),
        // Trusted as go trusts it, through SSL_CERT_FILE alone: node is told nothing (no NODE_EXTRA_CA_CERTS).
        { ...offlineGoEnv(modcache), SSL_CERT_FILE: cert.certFile }
      )

      expect(run.exitCode, run.log).toBe(0)
      for (const module of universe.modules) expect(moduleCacheHas(modcache, module)).toBe(true)
      const masked = privateProxy.url.replace('https://', 'https://***@')
      expect(run.outputs.proxy).toBe(masked)
      expect(run.outputs.goproxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\*\*\*\|/)
      expect(run.outputs.goproxy?.endsWith(`|${masked}`)).toBe(true)
      // Later steps need the real credentials; the runner keeps GITHUB_ENV values out of logs.
      expect(run.exported.GOPROXY?.endsWith(`|${withCredentials}`)).toBe(true)
      expect(run.log).toContain(`::add-mask::${token}`)
      // The proxy for later steps reaches the private proxy as go would: its trust, its credentials.
      const later = (run.exported.GOPROXY as string).split('|')[0] as string
      const module = universe.modules[0]!
      expect((await fetch(`${later}/${escapePath(module.path)}/@v/${module.version}.info`)).status).toBe(200)
      const post = await runPostBundled(run, path.dirname(universe.sampleDir), {})
      const written = [run.log.replace(/^::add-mask::.*$/gm, ''), run.summary, JSON.stringify(run.outputs), run.state, post.log, post.summary]
      for (const text of written) expect(text).not.toContain(token)
      expect(run.summary).toContain(`| ${masked.replace('***', '\\*\\*\\*')} | ✅ healthy |`)
      expect(post.summary).toContain(`| ${masked.replace('***', '\\*\\*\\*')} | 1 |`)
      expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
    } finally {
      await privateProxy.close()
    }
  })

  it("finds go in the runner's tool cache when it is not on PATH", async () => {
    const toolCache = mkdtempSync(path.join(os.tmpdir(), 'toolcache-'))
    // The layout setup-go leaves: <tool cache>/go/<version>/<arch>/bin/go, and <arch>.complete beside it.
    const version = execFileSync(goBinary(), ['env', 'GOVERSION']).toString().trim().replace(/^go/, '')
    const arch = path.join(toolCache, 'go', version, os.arch())
    mkdirSync(path.join(arch, 'bin'), { recursive: true })
    symlinkSync(goBinary(), path.join(arch, 'bin', 'go'))
    writeFileSync(`${arch}.complete`, '')
    const modcache = tempModcache()
    const run = await runBundled(
      node,
      { proxies: good.url, 'working-directory': 'sample', 'protect-later-steps': 'false' },
      path.dirname(universe.sampleDir),
      { ...offlineGoEnv(modcache), PATH: '/usr/bin:/bin', RUNNER_TOOL_CACHE: toolCache }
    )
    expect(run.exitCode, run.log).toBe(0)
    for (const module of universe.modules) expect(moduleCacheHas(modcache, module)).toBe(true)
  })

  it.each<[NodeJS.Signals, number]>([
    ['SIGTERM', 143],
    ['SIGINT', 130]
  ])('a cancelled job (%s) takes its go tree down and exits promptly', async (signal, exitCode) => {
    const stalling = await startProxy(universe.proxyDir, { kind: 'stall-after', after: 2 })
    try {
      const modcache = tempModcache()
      let signalled = 0
      const run = await runBundled(
        node,
        { proxies: stalling.url, 'working-directory': 'sample', 'stall-timeout': '10m' },
        path.dirname(universe.sampleDir),
        offlineGoEnv(modcache),
        (log, step) => {
          // Once go is stuck on the stalled proxy, cancel the step as the runner does.
          if (!signalled && /\n# get \S+\n/.test(log.slice(log.indexOf('::group::go mod download')))) {
            signalled = Date.now()
            expect(processesWithEnv(`GOMODCACHE=${modcache}`).length).toBeGreaterThan(0)
            step.kill(signal)
          }
        }
      )
      expect(signalled).toBeGreaterThan(0)
      expect(run.exitCode).toBe(exitCode)
      expect(Date.now() - signalled).toBeLessThan(10_000)
      expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
    } finally {
      await stalling.close()
    }
  })

  it('a bad input fails the step before any request, naming the input', async () => {
    const before = good.requests.length
    const run = await runBundled(
      node,
      { proxies: `ftp://mirror.example.com`, 'working-directory': 'sample' },
      path.dirname(universe.sampleDir),
      offlineGoEnv(tempModcache())
    )
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain('::error::Input "proxies": "ftp://mirror.example.com" uses ftp; only http and https proxies are supported')
    expect(good.requests.length).toBe(before)
  })
})
