// A module cache left on a self-hosted runner by someone hostile (or restored from an entry that
// planted it): symlinks, FIFOs, devices and hard links where go keeps its files and trees. The
// bundled step runs against each as the runner runs it; the step must end, never read or write
// through a link, never block on a FIFO or device, and leave go a module cache it can trust.
import { execFileSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyModuleCache } from '../src/cache/verify.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { escapePath } from '../src/module/path.ts'
import { processesWithEnv } from './support/action.ts'
import { type BoundedRun, runBundledWithin } from './support/bounded-step.ts'
import { go, goBinary, offlineGoEnv, tempModcache } from './support/go.ts'
import { holdLock } from './support/lock-holder.ts'
import { healthy, type ProxyServer, startProxy } from './support/proxy-server.ts'
import { expectComplete } from './support/scenario.ts'
import { makeUniverse, type Module, TAMPERED, type Universe } from './support/universe.ts'

let universe: Universe
let server: ProxyServer

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 4 })
  server = await startProxy(universe.proxyDir, healthy)
})

afterAll(async () => {
  await server?.close()
})

/** Far beyond a run's few seconds: a step still running then is hung. */
const HUNG_MS = 60_000

/** Modules without a capital in their path (the first has one). */
const victim = (i: 1 | 2 | 3): Module => universe.modules[i] as Module
const download = (modcache: string, m: Module, ext: string) => path.join(modcache, 'cache', 'download', escapePath(m.path), '@v', `${m.version}.${ext}`)
const treeOf = (modcache: string, m: Module) => path.join(modcache, `${escapePath(m.path)}@${m.version}`)
const zipRequested = (m: Module, since: number) => server.requests.slice(since).some(r => r.endsWith(`${escapePath(m.path)}/@v/${m.version}.zip`))

/** A module cache as go leaves it on a runner: every module of the sample downloaded and extracted. */
async function leftOnRunner(): Promise<string> {
  const modcache = tempModcache()
  await go(['mod', 'download'], universe.sampleDir, { ...offlineGoEnv(modcache), GOPROXY: `file://${universe.proxyDir}` })
  return modcache
}

const outside = () => mkdtempSync(path.join(os.tmpdir(), 'outside-'))

/** The bundled step on `modcache` with the healthy proxy; killed (and reported hung) if it has not ended within HUNG_MS. */
function runStep(modcache: string, env: Record<string, string> = {}): Promise<BoundedRun> {
  return runBundledWithin(
    HUNG_MS,
    { proxies: server.url, 'working-directory': 'sample', 'probe-timeout': '2s', 'stall-timeout': '10s', timeout: '60s', retries: '1', 'protect-later-steps': 'false' },
    path.dirname(universe.sampleDir),
    { ...offlineGoEnv(modcache), ...env }
  )
}

/** What every run against a planted module cache must end with: a prompt success, a module cache go verifies, the planted module fetched again, and nothing left running. */
async function expectRepaired(run: BoundedRun, modcache: string, planted: Module[], since: number): Promise<void> {
  expect(run.hung, run.log).toBe(false)
  expect(run.exitCode, run.log).toBe(0)
  expectComplete(modcache, universe.modules)
  await go(['mod', 'verify'], universe.sampleDir, offlineGoEnv(modcache))
  for (const m of planted) expect(zipRequested(m, since), m.path).toBe(true)
  expect(processesWithEnv(`GOMODCACHE=${modcache}`)).toEqual([])
}

/** Whether this process may make device nodes (root with CAP_MKNOD). */
function canMknod(): boolean {
  const probe = path.join(mkdtempSync(path.join(os.tmpdir(), 'mknod-')), 'dev')
  try {
    execFileSync('mknod', [probe, 'c', '1', '3'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

describe('a module cache left on the runner with things go.sum names replaced', () => {
  it('a FIFO where go.sum names a .zip, and one where it names a .mod: discarded unopened, fetched again, the step never blocks', async () => {
    const modcache = await leftOnRunner()
    for (const [m, ext] of [
      [victim(1), 'zip'],
      [victim(2), 'mod']
    ] as const) {
      rmSync(download(modcache, m, ext))
      execFileSync('mkfifo', [download(modcache, m, ext)])
    }
    const since = server.requests.length

    const run = await runStep(modcache)

    await expectRepaired(run, modcache, [victim(1)], since)
    expect(lstatSync(download(modcache, victim(1), 'zip')).isFile()).toBe(true)
    expect(lstatSync(download(modcache, victim(2), 'mod')).isFile()).toBe(true)
    expect(run.summary).toContain(`discarded: \`${victim(1).path}\` \`${victim(1).version}\`, zip is a FIFO, not a regular file`)
    expect(run.summary).toContain(`discarded: \`${victim(2).path}\` \`${victim(2).version}\`, go.mod is a FIFO, not a regular file`)
  })

  it.skipIf(!canMknod())('a device where go.sum names a .mod, and where a .ziphash is: never opened (one that blocks on read, as /dev/kmsg does)', async () => {
    const modcache = await leftOnRunner()
    for (const file of [download(modcache, victim(1), 'mod'), download(modcache, victim(2), 'ziphash')]) {
      rmSync(file)
      execFileSync('mknod', [file, 'c', '1', '11'])
    }
    const since = server.requests.length

    const run = await runStep(modcache)

    await expectRepaired(run, modcache, [victim(2)], since)
    expect(run.summary).toContain(`discarded: \`${victim(1).path}\` \`${victim(1).version}\`, go.mod is a device, not a regular file`)
    expect(run.summary).toContain(`discarded: \`${victim(2).path}\` \`${victim(2).version}\`, ${victim(2).version}.ziphash is a device, not a regular file`)
    expect(lstatSync(download(modcache, victim(2), 'ziphash')).isFile()).toBe(true)
  })

  it('a .ziphash that is a symlink to a file outside, and one hard-linked to a file outside: neither outside file is ever written', async () => {
    const modcache = await leftOnRunner()
    const away = outside()
    const [linked, hardLinked] = [path.join(away, 'linked'), path.join(away, 'hard-linked')]
    for (const file of [linked, hardLinked]) writeFileSync(file, 'outside\n')
    rmSync(download(modcache, victim(1), 'ziphash'))
    symlinkSync(linked, download(modcache, victim(1), 'ziphash'))
    rmSync(download(modcache, victim(2), 'ziphash'))
    linkSync(hardLinked, download(modcache, victim(2), 'ziphash'))
    const since = server.requests.length

    const run = await runStep(modcache)

    expect(readFileSync(linked, 'utf8')).toBe('outside\n')
    expect(readFileSync(hardLinked, 'utf8')).toBe('outside\n')
    await expectRepaired(run, modcache, [victim(1)], since)
    // The hard-linked one was replaced beside the zip it vouches for, not written into.
    expect(readFileSync(download(modcache, victim(2), 'ziphash'), 'utf8')).toMatch(/^h1:/)
    expect(statSync(hardLinked).nlink).toBe(1)
    expect(run.summary).toContain(`discarded: \`${victim(1).path}\` \`${victim(1).version}\`, ${victim(1).version}.ziphash is a symlink, not a regular file`)
  })

  it("a module's download directory symlinked outside: the link is removed, and the fetch writes nothing there", async () => {
    const modcache = await leftOnRunner()
    const away = outside()
    const at = path.dirname(download(modcache, victim(1), 'zip'))
    rmSync(at, { recursive: true })
    rmSync(treeOf(modcache, victim(1)), { recursive: true })
    symlinkSync(away, at)
    const since = server.requests.length

    const run = await runStep(modcache)

    await expectRepaired(run, modcache, [victim(1)], since)
    expect(readdirSync(away)).toEqual([])
    expect(lstatSync(at).isDirectory()).toBe(true)
  })

  it('an extracted tree symlinked to a changed copy outside: the copy is neither taken for the module nor made writable', async () => {
    const modcache = await leftOnRunner()
    const away = path.join(outside(), 'tree')
    cpSync(treeOf(modcache, victim(1)), away, { recursive: true })
    writeFileSync(path.join(away, `${victim(1).pkg}.go`), `package ${victim(1).pkg}\n\nfunc Name() string { return "tampered" }\n`)
    chmodSync(away, 0o555)
    rmSync(treeOf(modcache, victim(1)), { recursive: true })
    symlinkSync(away, treeOf(modcache, victim(1)))
    const since = server.requests.length

    const run = await runStep(modcache)

    await expectRepaired(run, modcache, [], since)
    expect(statSync(away).mode & 0o777).toBe(0o555)
    expect(readFileSync(path.join(away, `${victim(1).pkg}.go`), 'utf8')).toContain('tampered')
    expect(lstatSync(treeOf(modcache, victim(1))).isDirectory()).toBe(true)
    expect(run.summary).toContain(`discarded: \`${victim(1).path}\` \`${victim(1).version}\`, extracted tree is a symlink, not a directory`)
  })

  it('the directory where go extracts every module symlinked outside, on a runner with no download cache: the extraction writes nothing there', async () => {
    const modcache = tempModcache()
    const away = outside()
    // Every module of the universe is example.com/…: their trees go under GOMODCACHE/example.com.
    symlinkSync(away, path.join(modcache, 'example.com'))

    const run = await runStep(modcache)

    await expectRepaired(run, modcache, [], 0)
    expect(readdirSync(away)).toEqual([])
    expect(lstatSync(path.join(modcache, 'example.com')).isDirectory()).toBe(true)
  })

  it("go's lock file a symlink to a file outside, beside a changed zip: the link is removed, never locked through, and the zip is discarded", async () => {
    const modcache = await leftOnRunner()
    const away = path.join(outside(), 'lock')
    writeFileSync(away, '')
    rmSync(download(modcache, victim(1), 'lock'), { force: true })
    symlinkSync(away, download(modcache, victim(1), 'lock'))
    cpFile(path.join(universe.proxyDir, escapePath(victim(1).path), '@v', `${victim(1).version}.zip${TAMPERED}`), download(modcache, victim(1), 'zip'))
    const since = server.requests.length

    const run = await runStep(modcache)

    await expectRepaired(run, modcache, [victim(1)], since)
    expect(lstatSync(download(modcache, victim(1), 'lock')).isFile()).toBe(true)
    expect(run.summary).toContain(`discarded: \`${victim(1).path}\` \`${victim(1).version}\`, zip does not match go.sum`)
  })
})

describe('the check has a deadline', () => {
  it('what is not checked by its deadline is discarded (and fetched again), never waited for', async () => {
    const modcache = await leftOnRunner()
    const lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
    const started = Date.now()

    const report = await verifyModuleCache(modcache, lines, { deadlineMs: 0 })

    expect(Date.now() - started).toBeLessThan(10_000)
    expect(report.discarded.map(d => d.module).sort()).toEqual(universe.modules.map(m => m.path).sort())
    for (const d of report.discarded) expect(d.why).toContain("not checked within the check's deadline")
    for (const m of universe.modules) {
      expect(existsSync(download(modcache, m, 'zip'))).toBe(false)
      expect(existsSync(treeOf(modcache, m))).toBe(false)
    }
  })
})

describe("the check and go's lock", () => {
  it('a changed zip that another process, holding the lock, replaces with a good one: the check, once it has the lock, leaves the new one alone', async () => {
    const modcache = await leftOnRunner()
    const m = victim(1)
    const zip = download(modcache, m, 'zip')
    const good = readFileSync(zip)
    cpFile(path.join(universe.proxyDir, escapePath(m.path), '@v', `${m.version}.zip${TAMPERED}`), zip)
    const holder = await holdLock(download(modcache, m, 'lock'))
    try {
      const lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
      const checking = verifyModuleCache(modcache, lines)
      // The check found the zip changed and now waits for the lock (its helper has the lock file open).
      await until(() => lockHelperHas(download(modcache, m, 'lock')))
      // Meanwhile the lock's holder writes a good zip as go does: a new file renamed into place.
      writeFileSync(`${zip}.123.tmp`, good)
      renameSync(`${zip}.123.tmp`, zip)
      holder.release()

      const report = await checking

      expect(readFileSync(zip).equals(good)).toBe(true)
      expect(existsSync(treeOf(modcache, m))).toBe(true)
      expect(report.discarded).toEqual([])
    } finally {
      holder.release()
    }
  })
})

describe('a runner without perl', () => {
  it("the check still discards what does not match, without go's locks, and says so", async () => {
    const modcache = await leftOnRunner()
    cpFile(path.join(universe.proxyDir, escapePath(victim(1).path), '@v', `${victim(1).version}.zip${TAMPERED}`), download(modcache, victim(1), 'zip'))
    // go alone on PATH: no perl to hold go's locks.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'bin-'))
    symlinkSync(goBinary(), path.join(bin, 'go'))
    const since = server.requests.length

    const run = await runStep(modcache, { PATH: bin })

    await expectRepaired(run, modcache, [victim(1)], since)
    expect(run.log).toContain("Checked without go's module locks (perl could not start (ENOENT))")
  })
})

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise(resolve => setTimeout(resolve, 10))
  expect(condition()).toBe(true)
}

/** Whether this process's lock helper (perl, see go-lock.ts) has `file` open: it has been asked for that lock. */
function lockHelperHas(file: string): boolean {
  for (const pid of readdirSync('/proc').filter(name => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (!stat.includes('(perl)') || Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue
      if (readdirSync(`/proc/${pid}/fd`).some(fd => readlinkSafe(`/proc/${pid}/fd/${fd}`) === file)) return true
    } catch {
      // Gone meanwhile.
    }
  }
  return false
}

function readlinkSafe(link: string): string | undefined {
  try {
    return readlinkSync(link)
  } catch {
    return undefined
  }
}

function cpFile(from: string, to: string): void {
  rmSync(to)
  mkdirSync(path.dirname(to), { recursive: true })
  writeFileSync(to, readFileSync(from))
}
