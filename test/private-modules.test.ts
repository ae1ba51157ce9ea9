// Private modules as companies have them: go fetches them `direct` from a real git server on
// loopback (`git daemon`, or `git http-backend` behind an HTTP server with Basic credentials),
// reached through git's insteadOf given in the environment, beside public modules from a
// proxy, with a refused public candidate listed first. What the step reports, what it probes,
// what the watchdog does with a slow or stuck clone, what it shows of git's credentials, and
// what the cache keeps of direct fetches.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { zipSync } from 'fflate'
import { afterEach, describe, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { processesWithEnv } from './support/action.ts'
import { saveAs } from './support/cache-entries.ts'
import { servicePool } from './support/cache-service.ts'
import { goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { GIT_HOST, type GitModule, type GitServer, gitRedirect, startGitDaemon, startGitHttp } from './support/git-server.ts'
import { makePrivateProject, type PrivateProject } from './support/private-project.ts'
import { closedPort, healthy, proxyPool } from './support/proxy-server.ts'
import { readAsRunner } from './support/runner-commands.ts'
import { expectComplete, runScenario, type Where } from './support/scenario.ts'
import { moduleCacheHas } from './support/universe.ts'

const gitServers: GitServer[] = []
const recorders: http.Server[] = []
let proxyDir = ''
const proxies = proxyPool(() => proxyDir)
const services = servicePool()
afterEach(async () => {
  await Promise.all([proxies.closeAll(), services.closeAll(), ...gitServers.splice(0).map(s => s.close()), ...recorders.splice(0).map(r => new Promise(resolve => r.close(resolve)))])
})

const daemon = async (project: PrivateProject) => track(await startGitDaemon(project.repos))
const gitHttp = async (project: PrivateProject, options: Parameters<typeof startGitHttp>[1]) => track(await startGitHttp(project.repos, options))
const track = (server: GitServer) => (gitServers.push(server), server)
const refused = async () => `http://127.0.0.1:${await closedPort()}`
/** A project of `publicCount` public modules and one private module, `acme/<name>`. */
const project = async (publicCount: number, name: string, sourceBytes?: number, goprivate?: string) => {
  const made = await makePrivateProject({ publicCount, gitModules: { [`acme/${name}`]: sourceBytes === undefined ? {} : { sourceBytes } }, ...(goprivate === undefined ? {} : { goprivate }) })
  proxyDir = made.proxyDir
  return { made, module: made.git[`acme/${name}`] as GitModule }
}
const privately = (server: GitServer, url = server.url) => ({ GOPRIVATE: GIT_HOST, ...gitRedirect(url) })
const step = (p: PrivateProject, inputs: Record<string, string>, where: Where) => runScenario(p, inputs, where)

/** An HTTP server that answers 404 to everything and records what it was asked: a checksum database nobody should ask. */
async function recorder(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? '')
    response.writeHead(404).end()
  })
  recorders.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** A table row's cells, from the first: the row may go on after them. */
const row = (...cells: string[]) => `| ${cells.join(' | ')} |`

describe('a project whose only dependency is private', () => {
  it('is fetched direct and reported so: no proxy named, none probed, the checksum database not asked; later steps build offline', async () => {
    const { made, module } = await project(0, 'lib')
    const server = await daemon(made)
    const firstRefused = await refused()
    const publicCandidate = await proxies.start({ kind: 'status', status: 503 })
    const database = await recorder()
    const run = await step(made, { proxies: `${firstRefused}\n${publicCandidate.url}\ndirect` }, { env: { ...privately(server), GOSUMDB: `sum.example.com ${database.url}` } })

    expect(run.failed, run.log).toBe(false)
    expect(moduleCacheHas(run.modcache, module)).toBe(true)
    expect(run.summary).toContain('### ✅ Go modules ready: 1 downloaded direct (GOPRIVATE) in ')
    expect(run.summary).toContain(row('direct', `${firstRefused}\\|${publicCandidate.url}\\|direct`, '1 (1 direct)', '1'))
    expect(run.summary).toContain(row(`\`${module.path}\``, '`v1.0.0`', 'GOPRIVATE covers it: go asks no proxy for it'))
    expect(run.outputs).toMatchObject({ proxy: 'direct', 'direct-modules': `${module.path}@v1.0.0`, 'direct-count': '1' })
    // Not probed, not warned about, not reordered: go asks no candidate anything.
    expect(run.summary).toContain(row(firstRefused, '➖ not probed', '', 'not needed: GOPRIVATE covers every module'))
    expect(run.summary).toContain('No proxy was probed: GOPRIVATE covers every module go.sum and go.mod name')
    expect(run.summary).toContain('Nor was the checksum database sum.example.com: GONOSUMDB covers them too.')
    expect(run.log.split('\n').filter(l => l.startsWith('::warning::') && !l.includes('cache service is not available'))).toEqual([])
    expect(run.exported.GOPROXY).toBe(`${firstRefused}|${publicCandidate.url}|direct`)
    expect(publicCandidate.requests).toEqual([])
    expect(database.requests).toEqual([])
    expect(run.summary).toMatch(/\| 1 \| direct \| ✅ ok \|/)

    // A later step builds from what was fetched, with the git server gone.
    await server.close()
    const bin = path.join(mkdtempSync(path.join(os.tmpdir(), 'bin-')), 'project')
    await promisify(execFile)(goBinary(), ['build', '-o', bin, '.'], { cwd: made.sampleDir, env: { ...process.env, ...offlineGoEnv(run.modcache), GOPROXY: run.exported.GOPROXY as string, GOPRIVATE: GIT_HOST, GOFLAGS: '-mod=readonly' } })
    expect((await promisify(execFile)(bin, [])).stdout).toContain(module.path)
  })
})

describe('a mixed project: five public modules, one private', () => {
  it('counts and names the private one, with git credentials from .netrc that nothing shows', async () => {
    const { made, module } = await project(5, 'secret')
    const password = 'n3trc-pa55'
    const server = await gitHttp(made, { basicAuth: `ci:${password}` })
    const home = mkdtempSync(path.join(os.tmpdir(), 'home-'))
    writeFileSync(path.join(home, '.netrc'), `machine 127.0.0.1\nlogin ci\npassword ${password}\n`)
    const firstRefused = await refused()
    const good = await proxies.start(healthy)
    const run = await step(made, { proxies: `${firstRefused}\n${good.url}\ndirect` }, { env: { ...privately(server, server.url.replace(/\/\/[^@]*@/, '//')), HOME: home, NETRC: '' } })

    expect(run.failed, run.log).toBe(false)
    expectComplete(run.modcache, [...made.modules, module])
    expect(run.summary).toContain(`### ✅ Go modules ready: 6 downloaded: 5 through ${good.url}, 1 direct (GOPRIVATE) in `)
    expect(run.summary).toContain(row(good.url, `${good.url}\\|direct`, '6 (1 direct)', '1'))
    expect(run.summary).toContain(row(`\`${module.path}\``, '`v1.0.0`', 'GOPRIVATE covers it: go asks no proxy for it'))
    expect(run.outputs).toMatchObject({ proxy: good.url, 'direct-modules': `${module.path}@v1.0.0`, 'direct-count': '1' })
    expect(run.exported.GOPROXY).toBe(`${good.url}|direct`)
    // The public candidate is never asked for the private module; git is, with the credentials.
    expect(good.requests.filter(r => r.includes(GIT_HOST))).toEqual([])
    expect(server.requests.some(r => r.startsWith('/acme/secret'))).toBe(true)
    // The fetch's plan goes around the private module's go.mod by design: nothing is missing from it.
    expect(run.summary).not.toContain('could not be read for the plan')
    for (const text of [readAsRunner(run.log).shown.join('\n'), run.summary, JSON.stringify(run.outputs)]) expect(text).not.toContain(password)
  })

  it('with GONOSUMDB covering every module, the candidates are probed and the checksum database is not', async () => {
    const { made } = await project(2, 'lib')
    const server = await daemon(made)
    const good = await proxies.start(healthy)
    const database = await recorder()
    const run = await step(made, { proxies: `${good.url}\ndirect` }, { env: { ...privately(server), GONOSUMDB: `${GIT_HOST},example.com`, GOSUMDB: `sum.example.com ${database.url}` } })

    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toContain(row(good.url, '✅ healthy'))
    expect(run.summary).toContain('The checksum database sum.example.com was not probed: GONOSUMDB covers every module, so go asks it nothing.')
    expect(database.requests).toEqual([])
  })

  it('a private module missing from a warm module cache is fetched and reported, not cloned by the check of the cache', async () => {
    const { made, module } = await project(2, 'lib')
    const server = await daemon(made)
    const good = await proxies.start(healthy)
    const inputs = { proxies: `${good.url}\ndirect` }
    const first = await step(made, inputs, { env: privately(server) })
    expect(first.failed, first.log).toBe(false)
    // The runner keeps the public modules; the private one is gone.
    rmSync(path.join(first.modcache, 'cache', 'download', escapePath(GIT_HOST)), { recursive: true })
    rmSync(path.join(first.modcache, escapePath(GIT_HOST)), { recursive: true })

    const run = await step(made, inputs, { modcache: first.modcache, env: privately(server) })

    expect(run.failed, run.log).toBe(false)
    expect(moduleCacheHas(run.modcache, module)).toBe(true)
    expect(run.summary).not.toContain('Every module was already in the module cache')
    expect(run.summary).toContain('### ✅ Go modules ready: 1 downloaded direct (GOPRIVATE) in ')
  })
})

describe('a public module only its repository has, behind a refused candidate', () => {
  it('comes through `direct`, said so; the refused candidate is not first, nor anywhere, in the exported GOPROXY', async () => {
    const { made, module } = await project(0, 'open', undefined, '')
    const server = await daemon(made)
    const firstRefused = await refused()
    const run = await step(made, { proxies: `${firstRefused}\ndirect` }, { env: gitRedirect(server.url) })

    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toContain('### ✅ Go modules ready: 1 downloaded direct (direct in GOPROXY) in ')
    expect(run.summary).toContain(row(`\`${module.path}\``, '`v1.0.0`', 'no proxy before direct in GOPROXY served it'))
    expect(run.outputs).toMatchObject({ proxy: 'direct', 'direct-modules': `${module.path}@v1.0.0` })
    expect(run.exported.GOPROXY).toBe('direct')
    expect(run.log).toContain(`${firstRefused} failed its probe and served nothing; it is left out of the exported GOPROXY.`)
  })
})

describe('direct under the watchdog', () => {
  const quickly = { retries: '0', 'stall-timeout': '3s' }

  it('a clone that is slow but keeps receiving is left alone', async () => {
    // About 280 KiB of pack at 40 KB/s: some 7 s, well past the stall timeout. git's pack reaches
    // the disk (where the watchdog sees it) in the server's pieces of up to 64 KiB: 1.6 s apart here.
    const { made, module } = await project(0, 'slow', 500_000)
    const server = await gitHttp(made, { bytesPerSec: 40_000 })
    const started = Date.now()
    const run = await step(made, { ...quickly, proxies: 'direct' }, { env: privately(server) })

    expect(run.failed, run.log).toBe(false)
    expect(run.outputs.attempts).toBe('1')
    expect(moduleCacheHas(run.modcache, module)).toBe(true)
    expect(Date.now() - started).toBeGreaterThan(6_000)
  })

  it('a server that stops mid-clone: killed within stall-timeout, naming the clone, with no git process left', async () => {
    const { made, module } = await project(0, 'stuck', 300_000)
    const server = await gitHttp(made, { stallAfterBytes: 30_000 })
    const run = await step(made, { ...quickly, proxies: 'direct' }, { env: privately(server) })

    expect(run.failed).toBe(true)
    expect(run.summary).toContain(`| 1 | direct | ❌ stall |`)
    expect(run.summary).toContain('`waiting on git fetch of https://git.corp.test/acme/stuck`')
    // The attempt ran its clone's start (a second or so), then at most the stall timeout and a check.
    const seconds = Number(/Attempt 1 \(direct first\): stall after (\d+\.\d)s/.exec(run.log)?.[1])
    expect(seconds).toBeLessThan(3 + 3)
    expect(processesWithEnv(`GOMODCACHE=${run.modcache}`)).toEqual([])
    expect(moduleCacheHas(run.modcache, module)).toBe(false)
  })
})

describe('git refusing a clone', () => {
  it('its own reason, which go quotes after its line, is in the failure, not only in --verbose output', async () => {
    const { made } = await project(0, 'locked')
    // The server answers git's ref listing, then fails its fetch.
    const server = await gitHttp(made, { failFetch: 500 })
    const run = await step(made, { proxies: 'direct', retries: '0' }, { env: privately(server) })

    expect(run.failed).toBe(true)
    // git's first line after go's `exit status 128:`, on the attempt's row and in the failure.
    expect(run.summary).toMatch(/exit status 128: error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500`/)
    expect(run.summary).toMatch(/Last error: error: .*exit status 128: error: RPC failed; HTTP 500/)
  })
})

describe("credentials in git's insteadOf URL", () => {
  it('are never shown, even where git prints them (GIT_TRACE, quoted by go in its error)', async () => {
    const { made } = await project(0, 'traced')
    const token = 'ins7eadof-t0ken'
    const server = await gitHttp(made, { basicAuth: `ci:${token}`, failFetch: 500 })
    const run = await step(made, { proxies: 'direct', retries: '0' }, { env: { ...privately(server), GIT_TRACE: '1' } })

    expect(run.failed).toBe(true)
    // git named its remote with the credentials, and go quoted it: the log carried them.
    expect(run.log.replace(/^::add-mask::.*$/gm, '')).toContain(token)
    expect(run.log).toContain(`::add-mask::${token}`)
    for (const text of [readAsRunner(run.log).shown.join('\n'), run.summary, JSON.stringify(run.outputs), run.state]) expect(text).not.toContain(token)
  })
})

describe('the cache and direct modules', () => {
  /** A private-only project, its git daemon, and a cache service. */
  const withCache = async () => {
    const { made, module } = await project(0, 'lib')
    return { made, module, service: await services.start(), server: await daemon(made) }
  }
  const vcsDir = (module: GitModule) => createHash('sha256').update(`git3:https://${module.path.replace(/\.git$/, '')}`).digest('hex')

  it('downloads: the zip go made from a clone is saved like any other, restored without the git server, and checked against go.sum', async () => {
    const { made, module, service, server } = await withCache()
    const saved = await step(made, { proxies: 'direct' }, { env: { ...privately(server), ...service.env } })
    expect(saved.failed, saved.log).toBe(false)
    const [entry] = await service.entries()
    const members = await service.archiveMembers(entry!)
    expect(members.some(m => m.endsWith(`cache/download/${escapePath(module.path)}/@v/v1.0.0.zip`))).toBe(true)
    expect(members.filter(m => m.includes('cache/vcs'))).toEqual([])
    expect(saved.summary).toContain('the clones themselves (GOMODCACHE/cache/vcs) are never saved')

    // Restored on a fresh runner (the entry is tied to the path it was saved from) with the git server gone: go needs nothing.
    await server.close()
    rmSync(saved.modcache, { recursive: true })
    const restored = await step(made, { proxies: 'direct' }, { modcache: saved.modcache, env: { ...privately(server), ...service.env } })
    expect(restored.failed, restored.log).toBe(false)
    expect(restored.outputs['cache-hit']).toBe('true')
    expect(restored.summary).toContain('1 zips, 0 extracted trees, 1 go.mod files')
    expect(moduleCacheHas(restored.modcache, module)).toBe(true)
  })

  it('downloads: a tampered zip of a private module in an entry is discarded and cloned again', async () => {
    const { made, module, service, server } = await withCache()
    const first = await step(made, { proxies: 'direct', 'save-cache': 'false' }, { env: privately(server) })
    // An entry under the exact key whose private zip is not what go.sum says.
    const modcache = tempModcache()
    cpSync(path.join(first.modcache, 'cache'), path.join(modcache, 'cache'), { recursive: true })
    writeFileSync(path.join(modcache, 'cache', 'download', escapePath(module.path), '@v', 'v1.0.0.zip'), zipSync({ [`${module.path}@v1.0.0/go.mod`]: Buffer.from(`module ${module.path}\n`) }))
    await saveAs(service, modcache, first.outputs['cache-key'] as string, ['cache/download'])
    rmSync(modcache, { recursive: true })
    const run = await step(made, { proxies: 'direct' }, { modcache, env: { ...privately(server), ...service.env } })

    expect(run.failed, run.log).toBe(false)
    expect(run.log).toContain(`::warning::Discarded ${module.path} v1.0.0 from the module cache: zip does not match go.sum`)
    expect(run.summary).toContain('### ✅ Go modules ready: 1 downloaded direct (GOPRIVATE) in ')
    expect(moduleCacheHas(run.modcache, module)).toBe(true)
  })

  it('everything: the extracted tree is saved, cache/vcs never; a clone planted in an entry is not restored, its configuration never run', async () => {
    const { made, module, service, server } = await withCache()
    const inputs = { proxies: 'direct', 'cache-contents': 'everything' }
    const saved = await step(made, inputs, { env: { ...privately(server), ...service.env } })
    expect(saved.failed, saved.log).toBe(false)
    expect(existsSync(path.join(saved.modcache, 'cache', 'vcs', vcsDir(module)))).toBe(true)
    const members = await service.archiveMembers((await service.entries())[0]!)
    expect(members.some(m => m.includes(`${escapePath(module.path)}@v1.0.0/`))).toBe(true)
    expect(members.filter(m => m.includes('cache/vcs'))).toEqual([])
    expect(saved.summary).toContain('never saved, whatever cache-contents says')

    // A clone of the module's repository, planted by a workflow with write access to the cache:
    // its configuration runs a command whenever git works in it.
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    const planted = tempModcache()
    cpSync(saved.modcache, planted, { recursive: true })
    rmSync(path.join(planted, 'cache', 'download', escapePath(module.path)), { recursive: true })
    rmSync(path.join(planted, `${escapePath(module.path)}@v1.0.0`), { recursive: true })
    const clone = path.join(planted, 'cache', 'vcs', vcsDir(module))
    writeFileSync(path.join(clone, 'config'), `${readFileSync(path.join(clone, 'config'), 'utf8')}[core]\n\tfsmonitor = touch ${path.join(outside, 'pwned')}; false\n`)
    mkdirSync(path.join(clone, 'hooks'), { recursive: true })
    writeFileSync(path.join(clone, 'hooks', 'reference-transaction'), `#!/bin/sh\ntouch ${path.join(outside, 'hooked')}\n`, { mode: 0o755 })
    await saveAs(service, planted, `${saved.outputs['cache-key']?.replace(/[0-9a-f]{64}$/, '')}planted`, ['cache/vcs'])
    rmSync(planted, { recursive: true })
    const run = await step(made, inputs, { modcache: planted, env: { ...privately(server), ...service.env } })

    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toMatch(/🟡 partial/)
    expect(moduleCacheHas(run.modcache, module)).toBe(true)
    expect(run.summary).toContain('### ✅ Go modules ready: 1 downloaded direct (GOPRIVATE) in ')
    expect(readFileSync(path.join(run.modcache, 'cache', 'vcs', vcsDir(module), 'config'), 'utf8')).not.toContain('fsmonitor')
    expect(readdirSync(outside)).toEqual([])
  })
})
