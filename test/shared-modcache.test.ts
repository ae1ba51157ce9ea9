// One module cache shared by the step and plain go processes, as on a self-hosted runner whose
// jobs share GOMODCACHE: real go processes, one of them paused (SIGSTOP) while it holds go's
// lock on a module and is halfway through extracting it. The step must honour go's `.partial`
// marker and go's lock, never wait for a lock past its bound, and leave every go's trees whole.
import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapePath } from '../src/module/path.ts'
import { LOCK_WAIT_MS } from '../src/util/timing.ts'
import { processesWithEnv } from './support/action.ts'
import { type BoundedRun, runBundledWithin } from './support/bounded-step.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { expectComplete } from './support/scenario.ts'
import { makeUniverse, type Module, TAMPERED, type Universe, writeSample } from './support/universe.ts'

let universe: Universe
let server: ProxyServer
/** A second project needing the same modules: the other job's. */
let otherProject: string

beforeAll(async () => {
  // Modules of about 1,000 files each: go takes a while to extract one, long enough to pause it halfway.
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 3, sourceBytes: 8 << 20 })
  server = await startProxy(universe.proxyDir, healthy)
  otherProject = path.join(path.dirname(universe.sampleDir), 'other')
  await writeSample(otherProject, 'example.com/other', universe.modules, universe.proxyDir)
})

afterAll(async () => {
  await server?.close()
})

const HUNG_MS = 90_000
const download = (modcache: string, m: Module, ext: string) => path.join(modcache, 'cache', 'download', escapePath(m.path), '@v', `${m.version}.${ext}`)
const treeOf = (modcache: string, m: Module) => path.join(modcache, `${escapePath(m.path)}@${m.version}`)
const filesIn = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? filesIn(path.join(dir, e.name)) : 1), 0)
const exited = (child: ChildProcess) => new Promise<number | null>(resolve => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', code => resolve(code))))

/** A plain `go mod download` of the other project on `modcache`, through a file:// proxy (or `goproxy`). */
function plainGo(modcache: string, goproxy = `file://${universe.proxyDir}`): ChildProcess {
  return spawn(goBinary(), ['mod', 'download'], { cwd: otherProject, env: { ...process.env, ...offlineGoEnv(modcache), GOPROXY: goproxy }, stdio: 'ignore' })
}

/**
 * A new module cache where a plain go is paused (SIGSTOP) halfway through extracting a module:
 * its `.partial` marker there, its tree part-written, its lock held. Watched in a tight loop,
 * so that it stops within microseconds of the tree appearing.
 */
/** Waits (at most 5 s) until every thread of the process is stopped, as /proc tells. */
function stopped(child: ChildProcess): boolean {
  const until = Date.now() + 5_000
  const state = (tid: string) => readFileSync(`/proc/${child.pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]
  while (Date.now() < until) {
    try {
      if (readdirSync(`/proc/${child.pid}/task`).every(tid => state(tid) === 'T')) return true
    } catch {
      return false
    }
  }
  return false
}

/** A plain go stopped while it extracts `module`; `extracting` counts the modules it was extracting then (go extracts several at once). */
function pausedMidExtraction(): { modcache: string; go: ChildProcess; module: Module; extracting: number } {
  for (let attempt = 0; attempt < 5; attempt++) {
    const modcache = tempModcache()
    const child = plainGo(modcache)
    const until = Date.now() + 30_000
    const extracting = (m: Module) => existsSync(download(modcache, m, 'partial')) && existsSync(treeOf(modcache, m))
    let module: Module | undefined
    while (!module && Date.now() < until) module = universe.modules.find(extracting)
    child.kill('SIGSTOP')
    // A signal is delivered, not obeyed, by the time kill returns: until every thread of go has
    // stopped, it may still be reading the zip a test then changes (go then removes the tree).
    if (!stopped(child)) {
      child.kill('SIGKILL')
      continue
    }
    if (module && extracting(module)) return { modcache, go: child, module, extracting: universe.modules.filter(extracting).length }
    child.kill('SIGKILL')
  }
  throw new Error('go never paused halfway through an extraction')
}

/** The bundled step on the sample project; with `onChecked`, told once the check of the module cache is over. */
function runStep(modcache: string, inputs: Record<string, string> = {}, onChecked?: () => void): Promise<BoundedRun> {
  let told = false
  return runBundledWithin(
    HUNG_MS,
    { proxies: server.url, 'working-directory': 'sample', 'probe-timeout': '2s', 'stall-timeout': '30s', timeout: '80s', retries: '0', 'protect-later-steps': 'false', ...inputs },
    path.dirname(universe.sampleDir),
    offlineGoEnv(modcache),
    log => {
      if (!told && onChecked && /go\.mod files in [^:]*: (all match|\d+ discarded)|::error::/.test(log)) {
        told = true
        onChecked()
      }
    }
  )
}

/** What a shared module cache must be once everyone is done: whole trees go itself verifies, and both projects build. */
async function expectWholeForBoth(modcache: string): Promise<void> {
  expectComplete(modcache, universe.modules)
  for (const project of [universe.sampleDir, otherProject]) {
    await go(['mod', 'verify'], project, offlineGoEnv(modcache))
    await go(['build', '-o', path.join(mkdtempSync(path.join(os.tmpdir(), 'bin-')), 'out'), '.'], project, offlineGoEnv(modcache))
  }
}

describe('a module cache shared with plain go', () => {
  it('a go paused halfway through extracting a module: the step leaves its tree alone, never waits on its lock, and both finish whole once it resumes', async () => {
    const other = pausedMidExtraction()
    const modcache = other.modcache
    const half = filesIn(treeOf(modcache, other.module))
    let resumed = false

    const run = await runStep(modcache, {}, () => {
      // Only once the check is over: a check that waited on the paused go's lock would never get here.
      resumed = true
      other.go.kill('SIGCONT')
    })

    expect(run.hung, run.log).toBe(false)
    expect(resumed).toBe(true)
    expect(run.exitCode, run.log).toBe(0)
    expect(await exited(other.go)).toBe(0)
    expect(filesIn(treeOf(modcache, other.module))).toBeGreaterThan(half)
    await expectWholeForBoth(modcache)
    expect(run.log).toContain(`Left alone: ${other.extracting} extracted tree(s) another go is extracting`)
    expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
  })

  it("a changed zip whose lock a paused go holds: the step waits for the lock only its bound, then stops naming the module and the lock, and the paused go's tree is untouched", async () => {
    const other = pausedMidExtraction()
    const modcache = other.modcache
    const m = other.module
    try {
      // Someone changed the zip under it (its .ziphash kept, so go would trust it).
      copyFileSync(path.join(universe.proxyDir, escapePath(m.path), '@v', `${m.version}.zip${TAMPERED}`), download(modcache, m, 'zip'))
      const half = filesIn(treeOf(modcache, m))

      const run = await runStep(modcache)

      expect(run.hung, run.log).toBe(false)
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(
        new RegExp(`::error::The module cache holds what go.sum does not vouch for, and the step cannot remove it, so go would use it as it is: ${m.path} ${m.version} \\(zip does not match go.sum\\): another process has held go's lock on it \\(\\S+/${m.version}.lock\\) for ${LOCK_WAIT_MS / 1000} s`)
      )
      // Nothing of the module was taken from under the paused go.
      expect(existsSync(download(modcache, m, 'partial'))).toBe(true)
      expect(filesIn(treeOf(modcache, m))).toBe(half)
      expect(existsSync(download(modcache, m, 'zip'))).toBe(true)
      expect(processesWithEnv(`GOMODCACHE=${modcache}`).filter(pid => pid !== other.go.pid)).toEqual([])
    } finally {
      other.go.kill('SIGCONT')
      await exited(other.go)
    }
  })

  it('two plain go processes and the step at once on one module cache, read-only trees included: all succeed and every tree is whole', async () => {
    const modcache = tempModcache()
    const goproxy = server.url
    // One go leaves its trees read-only, as go does by default.
    const a = spawn(goBinary(), ['mod', 'download'], { cwd: otherProject, env: { ...process.env, ...offlineGoEnv(modcache), GOFLAGS: '', GOPROXY: goproxy }, stdio: 'ignore' })
    const b = plainGo(modcache, goproxy)

    const [run, codeA, codeB] = await Promise.all([runStep(modcache), exited(a), exited(b)])

    expect(run.exitCode, run.log).toBe(0)
    expect([codeA, codeB]).toEqual([0, 0])
    await expectWholeForBoth(modcache)
  })
})
