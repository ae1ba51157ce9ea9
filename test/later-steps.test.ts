// The job's proxy (protect-later-steps, on by default): after the step, later go commands reach
// it first and get the step's protection; the post step stops it. Loopback only, the real go.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { zipSync } from 'fflate'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { parseCommandFile, processesWithEnv, runPostBundled, type ActionRun } from './support/action.ts'
import { goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { healthy, proxyPool } from './support/proxy-server.ts'
import { expectComplete, runScenario } from './support/scenario.ts'
import { makeUniverse, moduleCacheHas, type Universe, writeSample } from './support/universe.ts'

let universe: Universe
let workspace: string
const proxies = proxyPool(() => universe.proxyDir)
const started: { main: ActionRun; modcache: string }[] = []

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 7 })
  // The step downloads the first four modules; a later step needs the other three, and a tool.
  workspace = mkdtempSync(path.join(os.tmpdir(), 'later-'))
  await writeSample(path.join(workspace, 'sample'), 'example.com/sample', universe.modules.slice(0, 4), universe.proxyDir)
  await writeSample(path.join(workspace, 'later'), 'example.com/later', universe.modules.slice(4), universe.proxyDir)
  writeTool(universe.proxyDir)
})

afterEach(async () => {
  // A test that failed before its post step still leaves nothing running.
  for (const { main, modcache } of started.splice(0)) {
    await runPostBundled(main, workspace, {})
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
  }
  await proxies.closeAll()
})

/** example.com/tool v1.0.0, a command, in the universe's proxy layout. */
function writeTool(proxyDir: string): void {
  const dir = path.join(proxyDir, 'example.com', 'tool', '@v')
  mkdirSync(dir, { recursive: true })
  const goMod = 'module example.com/tool\n\ngo 1.21\n'
  writeFileSync(path.join(dir, 'list'), 'v1.0.0\n')
  writeFileSync(path.join(dir, 'v1.0.0.info'), JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z' }))
  writeFileSync(path.join(dir, 'v1.0.0.mod'), goMod)
  const main = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("tool v1.0.0") }\n'
  writeFileSync(path.join(dir, 'v1.0.0.zip'), zipSync({ 'example.com/tool@v1.0.0/go.mod': Buffer.from(goMod), 'example.com/tool@v1.0.0/main.go': Buffer.from(main) }))
}

async function step(proxyUrls: string[], inputs: Record<string, string> = {}) {
  const modcache = tempModcache()
  const main = await runScenario(universe, { proxies: proxyUrls.join(','), 'working-directory': 'sample', 'protect-later-steps': 'true', ...inputs }, { workspace, modcache })
  started.push({ main, modcache })
  expect(main.failed, main.log).toBe(false)
  return { main, modcache }
}

/** A later step's go command, with what the step exported; killed (and failed) past `limitMs`. */
async function later(args: string[], dir: string, modcache: string, main: ActionRun, limitMs: number, extra: Record<string, string> = {}) {
  const began = Date.now()
  await promisify(execFile)(goBinary(), args, {
    cwd: dir,
    timeout: limitMs,
    env: { ...process.env, ...offlineGoEnv(modcache), GOPROXY: main.exported.GOPROXY as string, ...extra }
  })
  return Date.now() - began
}

const zipRequests = (requests: string[]) => requests.filter(r => r.endsWith('.zip'))

/** Processes whose environment holds `entry` that are still alive `ms` from now, or as soon as there are none. */
async function remaining(entry: string, ms: number): Promise<number[]> {
  const until = Date.now() + ms
  for (;;) {
    const pids = processesWithEnv(entry)
    if (pids.length === 0 || Date.now() > until) return pids
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

describe('the action’s proxy for later steps', () => {
  it('a later go mod download of new modules, with the first proxy gone silent, succeeds in seconds; the post step reports it and leaves no process', async () => {
    const [first, second] = [await proxies.start(healthy), await proxies.start(healthy)]
    const { main, modcache } = await step([first!.url, second!.url])
    expect(main.exported.GOPROXY).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/[\\w-]{24}\\|${first!.url}\\|${second!.url}$`))
    expect(main.outputs.goproxy).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\*\*\*\|/)
    expect(main.summary).toContain('Later steps reach the action’s proxy first')

    first!.setFault({ kind: 'hang' })
    // The step's own requests may have reached the second candidate too (a hedge, when the first answered slowly on a busy machine): only the later step's count.
    const before = second!.requests.length
    const ms = await later(['mod', 'download'], path.join(workspace, 'later'), modcache, main, 20_000)
    expect(ms).toBeLessThan(10_000)
    expectComplete(modcache, universe.modules.slice(4))
    expect(zipRequests(second!.requests.slice(before)).sort()).toEqual(universe.modules.slice(4).map(m => `/${m.path}/@v/${m.version}.zip`).sort())

    const post = await runPostBundled(main, workspace, {})
    started.splice(0)
    expect(post.exitCode, post.log).toBe(0)
    expect(post.summary).toContain('#### Later steps, through the action’s proxy')
    expect(post.summary).toMatch(new RegExp(`\\| ${second!.url} \\| \\d+ \\| [^|]+ \\| [1-9]\\d* \\|`))
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
  })

  it('without it, the same later step hangs on the silent proxy (what the action protects against)', async () => {
    const [first, second] = [await proxies.start(healthy), await proxies.start(healthy)]
    const { main, modcache } = await step([first!.url, second!.url], { 'protect-later-steps': 'false' })
    expect(main.exported.GOPROXY).toBe(`${first!.url}|${second!.url}`)
    first!.setFault({ kind: 'hang' })
    await expect(later(['mod', 'download'], path.join(workspace, 'later'), modcache, main, 4000)).rejects.toThrow()
    expect(universe.modules.slice(4).some(m => moduleCacheHas(modcache, m))).toBe(false)
  })

  it('a failed step exports no proxy and leaves no process of it (it was launched before the download)', async () => {
    const broken = await proxies.start({ kind: 'status', status: 500 })
    const modcache = tempModcache()
    const main = await runScenario(universe, { proxies: broken.url, 'working-directory': 'sample', 'protect-later-steps': 'true', retries: '0' }, { workspace, modcache })
    expect(main.failed).toBe(true)
    expect(main.exported.GOPROXY ?? '').not.toMatch(/127\.0\.0\.1:\d+\/[\w-]{24}/)
    expect(parseCommandFile(main.state)['later-steps']).toBeUndefined()
    // Killed as the step ended (SIGKILL to its group), it may take a moment to go on a busy machine.
    expect(await remaining(`GOMODCACHE=${modcache}`, 2000)).toEqual([])
  })

  it('a later go install tool@version works through it', async () => {
    const [first, second] = [await proxies.start(healthy), await proxies.start(healthy)]
    const { main, modcache } = await step([first.url, second.url])
    const front = (main.exported.GOPROXY as string).split('|')[0] as string
    // Through the action's proxy, the tool comes from the second candidate past the first gone
    // silent; had go fallen through to the chain, it would have hung on the first.
    first.setFault({ kind: 'hang' })
    const gobin = mkdtempSync(path.join(os.tmpdir(), 'gobin-'))
    const { stderr } = await promisify(execFile)(goBinary(), ['install', '-x', 'example.com/tool@v1.0.0'], {
      cwd: os.tmpdir(),
      timeout: 30_000,
      env: { ...process.env, ...offlineGoEnv(modcache), GOPROXY: main.exported.GOPROXY as string, GOBIN: gobin }
    })
    const { stdout } = await promisify(execFile)(path.join(gobin, 'tool'))
    expect(stdout).toBe('tool v1.0.0\n')
    const got = stderr.split('\n').filter(l => l.startsWith('# get '))
    expect(got).toContain(`# get ${front}/example.com/tool/@v/v1.0.0.zip`)
    expect(got.some(l => l.startsWith(`# get ${front}/example.com/tool/@v/v1.0.0.zip: 200 `))).toBe(true)
    expect(got.filter(l => !l.startsWith(`# get ${front}/`))).toEqual([])
    expect(zipRequests(second.requests)).toContain('/example.com/tool/@v/v1.0.0.zip')
  })

  it('killed mid-job: later go commands fall through to the chain at once', async () => {
    const good = await proxies.start(healthy)
    const { main, modcache } = await step([good.url])
    const { pid } = JSON.parse(parseCommandFile(main.state)['later-steps'] as string) as { pid: number }
    process.kill(-pid, 'SIGKILL')
    const ms = await later(['mod', 'download'], path.join(workspace, 'later'), modcache, main, 20_000)
    expect(ms).toBeLessThan(5_000)
    expectComplete(modcache, universe.modules.slice(4))

    const post = await runPostBundled(main, workspace, {})
    started.splice(0)
    expect(post.summary).toMatch(/It had stopped before the end of the job/)
    expect(post.log).toMatch(/::warning::The action's proxy for later steps had stopped/)
  })

  it('refuses a request without the secret path prefix', async () => {
    const { main } = await step([(await proxies.start(healthy)).url])
    const front = (main.exported.GOPROXY as string).split('|')[0] as string
    const module = universe.modules[5]!
    const withSecret = await fetch(`${front}/${module.path}/@v/list`)
    expect(withSecret.status).toBe(200)
    expect(await withSecret.text()).toBe(`${module.version}\n`)
    const origin = new URL(front).origin
    expect((await fetch(`${origin}/${module.path}/@v/list`)).status).toBe(403)
    expect((await fetch(`${origin}/wrong-secret/${module.path}/@v/list`)).status).toBe(403)
  })

  it('registers its secret with the runner as a secret before the log shows it', async () => {
    const { main } = await step([(await proxies.start(healthy)).url])
    const secret = new URL((main.exported.GOPROXY as string).split('|')[0] as string).pathname.slice(1)
    expect(secret).toMatch(/^[\w-]{24}$/)
    const lines = main.log.split('\n')
    const first = lines.findIndex(l => l.includes(secret))
    expect(lines[first]).toBe(`::add-mask::${secret}`)
  })

  it('a later step that needs the step’s own modules again gets only bytes that match the step’s go.sum, a tampering candidate first', async () => {
    const [first, second] = [await proxies.start(healthy), await proxies.start(healthy)]
    const { main } = await step([first.url, second.url])
    expect(main.exported.GOPROXY).toMatch(new RegExp(`\\|${first.url}\\|${second.url}$`))
    // From now on the first serves a valid zip with other contents for every module.
    first.setFault({ kind: 'tamper-zip' })
    const asked = first.requests.length
    // Another module cache (go clean -modcache, or a job step with its own GOMODCACHE).
    const fresh = tempModcache()
    await later(['mod', 'download'], path.join(workspace, 'sample'), fresh, main, 30_000)
    const wanted = universe.modules.slice(0, 4)
    expectComplete(fresh, wanted)
    // The first was asked for their zips, and its bytes never reached go.
    expect(zipRequests(first.requests.slice(asked)).length).toBeGreaterThan(0)
    for (const module of wanted) {
      const dir = path.join(fresh, `${escapePath(module.path)}@${module.version}`)
      expect(readFileSync(path.join(dir, `${module.pkg}.go`), 'utf8')).not.toContain('tampered')
    }
    await promisify(execFile)(goBinary(), ['mod', 'verify'], { cwd: path.join(workspace, 'sample'), env: { ...process.env, ...offlineGoEnv(fresh) } })
  })
})
