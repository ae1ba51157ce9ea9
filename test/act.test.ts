// The action under a real workflow runner: act in host mode runs test/fixtures/act/workflow.yml
// with the bundled action, loopback proxies and act's own cache service, twice.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeAll, expect, it } from 'vitest'
import { goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { tools } from './support/tools.ts'
import { makeUniverse, type Universe, writeSample } from './support/universe.ts'

const root = path.join(import.meta.dirname, '..')
let universe: Universe
let repo: string
const proxies = proxyPool(() => universe.proxyDir)
const proxy = (fault = healthy) => proxies.start(fault)

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 7 })
  // A throwaway repository: this action at its root, as `uses: ./` expects, and the sample module.
  repo = mkdtempSync(path.join(os.tmpdir(), 'act-repo-'))
  cpSync(path.join(root, 'action.yml'), path.join(repo, 'action.yml'))
  cpSync(path.join(root, 'dist'), path.join(repo, 'dist'), { recursive: true })
  cpSync(path.join(root, 'test/fixtures/act/workflow.yml'), path.join(repo, '.github/workflows/act.yml'))
  await writeSample(path.join(repo, 'sample'), 'example.com/sample', stepModules(), universe.proxyDir)
  await writeSample(path.join(repo, 'later'), 'example.com/later', laterModules(), universe.proxyDir)
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: repo })
  git('init', '-q')
  git('add', '-A')
  git('commit', '-q', '-m', 'fixture')
})

afterEach(proxies.closeAll)

/** The action's step downloads these; a later step needs the rest. */
const stepModules = () => universe.modules.slice(0, 4)
const laterModules = () => universe.modules.slice(4)

interface ActRun {
  code: number | null
  log: string
  /** What the workflow's later steps saw: GOPROXY, the outputs, and whether go build succeeded. */
  seen: Record<string, string>
}

function runAct(proxies: string[], modcache: string, gocache: string, cacheDir: string): Promise<ActRun> {
  const resultFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'act-result-')), 'seen')
  const stepEnv = { ...offlineGoEnv(modcache), GOCACHE: gocache, GOPROXY: '', TEST_PROXIES: proxies.join(','), RESULT_FILE: resultFile }
  const args = [
    'push',
    '-P', 'ubuntu-latest=-self-hosted',
    '--cache-server-addr', '127.0.0.1',
    '--cache-server-path', cacheDir,
    ...Object.entries(stepEnv).flatMap(([name, value]) => ['--env', `${name}=${value}`])
  ]
  // Host mode runs the action with the node and go found on PATH: Node 24 and this go.
  const PATH = [path.dirname(process.execPath), path.dirname(goBinary()), process.env.PATH].join(path.delimiter)
  // act keeps its working copies under XDG_CACHE_HOME: a temporary one, not the user's.
  const XDG_CACHE_HOME = mkdtempSync(path.join(os.tmpdir(), 'act-home-'))
  const child = spawn(tools.act, args, { cwd: repo, env: { ...process.env, PATH, XDG_CACHE_HOME, ACT_DISABLE_VERSION_CHECK: '1' } })
  const chunks: string[] = []
  child.stdout.on('data', c => chunks.push(String(c)))
  child.stderr.on('data', c => chunks.push(String(c)))
  return new Promise(resolve =>
    child.on('close', code => {
      let seen: Record<string, string> = {}
      try {
        seen = Object.fromEntries(readFileSync(resultFile, 'utf8').trim().split('\n').map(l => l.split(/=(.*)/s).slice(0, 2) as [string, string]))
      } catch {
        // The step never ran; the assertions say so.
      }
      resolve({ code, log: chunks.join(''), seen })
    })
  )
}

it('runs under act: later steps see the exported GOPROXY and outputs and fetch through the action’s proxy past a silent one; the post step stops it and saves the build cache; a second run restores both', async () => {
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'act-cache-'))
  const modcache = tempModcache()
  const gocache = mkdtempSync(path.join(os.tmpdir(), 'act-gocache-'))
  // First in line and healthy for the step; silent for what only the later step needs.
  const silentLater = await proxy({ kind: 'hang-on', parts: laterModules().map(m => `/${m.path}/`) })
  const good = await proxy()

  const first = await runAct([silentLater.url, good.url], modcache, gocache, cacheDir)
  expect(first.code, first.log).toBe(0)
  expect(first.seen).toMatchObject({ proxy: silentLater.url, 'cache-hit': 'false', attempts: '1', 'build-cache-hit': 'false', built: 'yes', later: 'yes' })
  expect(first.seen.GOPROXY).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/[\\w-]{24}\\|${silentLater.url}\\|${good.url}$`))
  // The later step's modules came from the healthy proxy, past the silent one.
  const zips = (requests: string[]) => requests.filter(r => r.endsWith('.zip'))
  expect(zips(good.requests)).toEqual(expect.arrayContaining(laterModules().map(m => `/${m.path}/@v/${m.version}.zip`)))
  expect(first.log).toContain('Cache saved successfully')
  // The post step stopped the proxy, said what later steps fetched, and saved what the build compiled.
  expect(first.log).toMatch(/Later steps asked the action's proxy [1-9]\d* times/)
  expect(first.log).toMatch(/Build cache: saved/)

  // A fresh runner: the same module and build cache paths, empty.
  for (const dir of [modcache, gocache]) rmSync(dir, { recursive: true, force: true })
  const fresh = [await proxy(), await proxy()]
  const second = await runAct(fresh.map(p => p.url), modcache, gocache, cacheDir)
  expect(second.code, second.log).toBe(0)
  expect(second.seen).toMatchObject({ 'cache-hit': 'true', 'build-cache-hit': 'true', proxy: '', built: 'yes', later: 'yes' })
  // The step itself asked no proxy anything: only the later step's own modules were fetched.
  const laterPaths = laterModules().map(m => `/${m.path}/`)
  expect(fresh.flatMap(p => p.requests).filter(r => !laterPaths.some(part => r.startsWith(part)))).toEqual([])
  expect(second.log).toMatch(/Restored go-mod-download-\S+ \(exact\)/)
})
