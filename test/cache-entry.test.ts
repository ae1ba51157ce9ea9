// Cache entries as anyone with write access to the repository's cache can save them, module
// caches as a previous job can leave them, and transfers that break or are cancelled: through a
// real cache service (act's) and @actions/cache's real client. What a restore writes, what moves
// into the module cache, what a save carries, and what an interruption leaves behind.
import { type ChildProcess, execFileSync } from 'node:child_process'
import { cpSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { moduleStash } from '../src/cache/layout.ts'
import { entryIn } from '../src/cache/staging.ts'
import { parseGoSum } from '../src/module/gosum.ts'
import { escapePath } from '../src/module/path.ts'
import { downloadBase, savedPaths } from '../src/module/vouched.ts'
import { processesWithEnv, runBundled } from './support/action.ts'
import { type CacheFront, saveAs, startCacheFront, tarLikeActionsCache, uploadArchive } from './support/cache-entries.ts'
import { type CacheService, servicePool } from './support/cache-service.ts'
import { offlineGoEnv, tempModcache } from './support/go.ts'
import { proxyPool } from './support/proxy-server.ts'
import { expectComplete, QUICK, runScenario, type Where } from './support/scenario.ts'
import { makeUniverse, type Module, type Universe, writeSample } from './support/universe.ts'

let universe: Universe
/** A complete module cache for the universe's sample, and the key the action saves it under. */
let complete: { modcache: string; key: string }
const proxies = proxyPool(() => universe.proxyDir)
const services = servicePool()
const fronts: CacheFront[] = []

beforeAll(async () => {
  universe = await makeUniverse(mkdtempSync(path.join(os.tmpdir(), 'universe-')), { count: 7 })
  const cold = await runAction({ proxies: (await proxies.start()).url }, {})
  expect(cold.failed, cold.log).toBe(false)
  complete = { modcache: cold.modcache, key: cold.outputs['cache-key'] as string }
})

afterEach(async () => {
  await Promise.all([proxies.closeAll(), services.closeAll(), ...fronts.splice(0).map(f => f.close())])
})

const runAction = (inputs: Record<string, string>, where: Where) => runScenario(universe, inputs, where)
const stagingOf = (modcache: string) => moduleStash(modcache).staging
/** The path an entry of this module cache is saved from and restored into: the cache service ties the entry to it. */
const entryOf = (modcache: string) => entryIn(stagingOf(modcache))
/** A path as tar names it when run from the file system's root. */
const fromRoot = (file: string) => path.relative('/', file)
const downloadDir = (modcache: string, m: Module) => path.join(modcache, 'cache', 'download', escapePath(m.path), '@v')
const [, m002, m003, m004] = [1, 2, 3, 4].map(i => ({ path: `example.com/fixture/m00${i}`, version: 'v1.0.0', pkg: `m00${i}` })) as Module[] as [Module, Module, Module, Module]

/** The files under dir whose contents hold `text`. */
function filesHolding(dir: string, text: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => e.isFile() && readFileSync(path.join(e.parentPath, e.name)).includes(text))
    .map(e => path.join(e.parentPath, e.name))
}

/** Everything under dir that is not a regular file or a directory. */
function oddities(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(e => !e.isFile() && !e.isDirectory())
    .map(e => path.join(e.parentPath, e.name))
}

interface Attack {
  /**
   * Adds the attack to the entry folder (already holding a complete download cache); returns
   * names for tar's manifest before and after the folder's, and renames.
   */
  plant: (entry: string, outside: string) => { first?: string[]; last?: string[]; transforms?: string[] }
  /** Removes what tar had to read but the restore must not write back. */
  unplant?: (outside: string) => void
  /** What must hold outside the module cache afterwards. */
  expectOutside: (outside: string) => void
  /** The member the warning names. */
  member: (entry: string, outside: string) => string
}

const attacks: Record<string, Attack> = {
  'an absolute member': {
    plant: (_, outside) => {
      writeFileSync(path.join(outside, 'absolute'), 'planted')
      return { last: [path.join(outside, 'absolute')] }
    },
    unplant: outside => rmSync(path.join(outside, 'absolute')),
    expectOutside: outside => expect(existsSync(path.join(outside, 'absolute'))).toBe(false),
    member: (_, outside) => path.join(outside, 'absolute')
  },
  'a `../` escape': {
    plant: (entry, outside) => {
      writeFileSync(path.join(outside, 'escaped'), 'planted')
      return { last: [escape(entry, outside)] }
    },
    unplant: outside => rmSync(path.join(outside, 'escaped')),
    expectOutside: outside => expect(existsSync(path.join(outside, 'escaped'))).toBe(false),
    member: (entry, outside) => escape(entry, outside)
  },
  'a symbolic link to a file outside': {
    plant: (entry, outside) => {
      writeFileSync(path.join(outside, 'secret'), 'secret')
      symlinkSync(path.join(outside, 'secret'), path.join(downloadDir(entry, m002), 'v1.0.0.info.link'))
      return {}
    },
    expectOutside: outside => expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('secret'),
    member: entry => fromRoot(path.join(downloadDir(entry, m002), 'v1.0.0.info.link'))
  },
  'a linked directory, then a file through it': {
    plant: (entry, outside) => {
      mkdirSync(path.join(outside, 'dir'))
      writeFileSync(path.join(outside, 'dir', 'planted'), 'planted')
      symlinkSync(path.join(outside, 'dir'), path.join(entry, 'cache', 'download', 'linked'))
      return { last: [fromRoot(path.join(entry, 'cache', 'download', 'linked', 'planted'))] }
    },
    unplant: outside => rmSync(path.join(outside, 'dir', 'planted')),
    expectOutside: outside => expect(readdirSync(path.join(outside, 'dir'))).toEqual([]),
    member: entry => fromRoot(path.join(entry, 'cache', 'download', 'linked'))
  },
  'a hard link to a file outside, where the check would rewrite a .ziphash': {
    plant: (entry, outside) => {
      writeFileSync(path.join(outside, 'victim'), 'victim')
      const ziphash = path.join(downloadDir(entry, m002), 'v1.0.0.ziphash')
      rmSync(ziphash)
      linkSync(path.join(outside, 'victim'), ziphash)
      // tar stores the second name of a file as a link to the first.
      return { first: [fromRoot(path.join(outside, 'victim'))] }
    },
    expectOutside: outside => {
      expect(readFileSync(path.join(outside, 'victim'), 'utf8')).toBe('victim')
      expect(statSync(path.join(outside, 'victim')).nlink).toBe(1)
    },
    member: entry => fromRoot(path.join(downloadDir(entry, m002), 'v1.0.0.ziphash'))
  },
  'a FIFO where go.sum names a zip': {
    plant: entry => {
      rmSync(path.join(downloadDir(entry, m003), 'v1.0.0.zip'))
      execFileSync('mkfifo', [path.join(downloadDir(entry, m003), 'v1.0.0.zip')])
      return {}
    },
    expectOutside: () => undefined,
    member: entry => fromRoot(path.join(downloadDir(entry, m003), 'v1.0.0.zip'))
  },
  'a device': {
    plant: entry => ({ last: ['dev/null'], transforms: [`s,^dev/null$,${fromRoot(path.join(entry, 'cache', 'download', 'device.zip'))},`] }),
    expectOutside: () => undefined,
    member: entry => fromRoot(path.join(entry, 'cache', 'download', 'device.zip'))
  }
}

/** A name that, read from the entry folder's name, climbs back to the root and down to `outside/escaped`. */
function escape(entry: string, outside: string): string {
  const up = fromRoot(entry).split('/').map(() => '..')
  return [fromRoot(entry), ...up, fromRoot(outside), 'escaped'].join('/')
}

/** An entry saved under the sample's exact key by a workflow that planted the attack into an honest module cache. */
async function hostileEntry(service: CacheService, modcache: string, attack: Attack, outside: string): Promise<void> {
  const entry = entryOf(modcache)
  mkdirSync(path.join(entry, 'cache'), { recursive: true })
  cpSync(path.join(complete.modcache, 'cache', 'download'), path.join(entry, 'cache', 'download'), { recursive: true })
  const { first = [], last = [], transforms } = attack.plant(entry, outside)
  const archive = tarLikeActionsCache('/', [...first, fromRoot(entry), ...last], transforms)
  rmSync(stagingOf(modcache), { recursive: true })
  attack.unplant?.(outside)
  await uploadArchive(service.env, complete.key, [entry], archive)
}

describe('a hostile cache entry', () => {
  it.each(Object.keys(attacks))('%s: refused by name, nothing written outside the staging folder, the step goes on from what was vouched for', async name => {
    const attack = attacks[name] as Attack
    const service = await services.start()
    const modcache = tempModcache()
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    await hostileEntry(service, modcache, attack, outside)

    const server = await proxies.start()
    const run = await runAction({ proxies: server.url }, { modcache, env: service.env })

    expect(run.failed, run.log).toBe(false)
    attack.expectOutside(outside)
    expect(oddities(modcache)).toEqual([])
    expect(existsSync(stagingOf(modcache))).toBe(false)
    expectComplete(modcache, universe.modules)
    expect(run.log).toContain(JSON.stringify(attack.member(entryOf(modcache), outside)))
    expect(run.log).toMatch(/::warning::The cache entry \S+ held \d+ member\(s\) that were not written/)
    // Never taken as the exact entry: what it lacks is fetched, and the key is saved again.
    expect(run.outputs['cache-hit']).toBe('false')
    expect(run.summary).toMatch(/🟡 partial/)
  })
})

describe('what moves in from an entry', () => {
  it('only what go.sum vouches for: a module it does not name (its tree and a genuine .ziphash, what `go run tool@version` would execute) and files it does not name stay out', async () => {
    const service = await services.start()
    const [tool] = universe.modules.slice(-1) as [Module]
    const named = universe.modules.slice(0, -1)
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'vouched-'))
    await writeSample(path.join(workspace, 'sample'), 'example.com/sample', named, universe.proxyDir)
    // An honest entry of every module, the tool's tree included, and files no go.sum names.
    const modcache = tempModcache()
    cpSync(complete.modcache, modcache, { recursive: true })
    rmSync(stagingOf(modcache), { recursive: true, force: true })
    mkdirSync(path.join(modcache, 'cache', 'vcs', '0123'), { recursive: true })
    writeFileSync(path.join(modcache, 'cache', 'vcs', '0123', 'HEAD'), 'ref: refs/heads/main\n')
    writeFileSync(path.join(modcache, 'cache', 'download', 'extra.txt'), 'no go.sum names this')
    // An .info go would take, with more in it than go writes.
    writeFileSync(path.join(downloadDir(modcache, m002), 'v1.0.0.info'), JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z', Token: 'planted' }))
    const lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
    const inputs = { 'working-directory': 'sample', 'cache-contents': 'everything' }
    const prefix = (await runAction({ ...inputs, proxies: (await proxies.start()).url, 'save-cache': 'false' }, { workspace })).outputs['cache-key']?.replace(/[0-9a-f]{64}$/, '')
    await saveAs(service, modcache, `${prefix}planted`, [...savedPaths(lines, 'everything'), 'cache/vcs', 'cache/download/extra.txt'])

    rmSync(modcache, { recursive: true })
    const server = await proxies.start()
    const run = await runAction({ ...inputs, proxies: server.url }, { workspace, modcache, env: service.env })

    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toMatch(/🟡 partial/)
    // The .info refused is fetched again (and a candidate is probed for it); nothing else is.
    expect(server.requests.filter(r => !r.endsWith('.mod'))).toEqual(['/example.com/fixture/m002/@v/v1.0.0.info'])
    expectComplete(modcache, named)
    expect(existsSync(path.join(modcache, `${escapePath(tool.path)}@${tool.version}`))).toBe(false)
    expect(existsSync(path.join(modcache, 'cache', 'download', escapePath(tool.path)))).toBe(false)
    expect(existsSync(path.join(modcache, 'cache', 'vcs'))).toBe(false)
    expect(existsSync(path.join(modcache, 'cache', 'download', 'extra.txt'))).toBe(false)
    expect(readFileSync(path.join(downloadDir(modcache, m002), 'v1.0.0.info'), 'utf8')).not.toContain('planted')
    expect(run.log).toMatch(/::warning::Discarded example\.com\/fixture\/m002 v1\.0\.0 from the module cache: \.info holds what go does not write \(Token\)/)
    expect(existsSync(stagingOf(modcache))).toBe(false)
  })

  it('a .partial marker in an entry lets nothing in unchecked: a changed tree beside one is discarded and extracted again', async () => {
    const service = await services.start()
    const modcache = tempModcache()
    cpSync(complete.modcache, modcache, { recursive: true })
    rmSync(stagingOf(modcache), { recursive: true, force: true })
    // m002's tree, changed, with go's marker of an extraction under way beside it: on a runner the
    // check leaves such a tree to the go extracting it; in an entry no go is extracting anything.
    const tree = path.join(modcache, 'example.com', 'fixture', 'm002@v1.0.0')
    writeFileSync(path.join(tree, 'm002.go'), 'package m002\n\nfunc Name() string { return "planted" }\n')
    writeFileSync(path.join(downloadDir(modcache, m002), 'v1.0.0.partial'), '')
    const lines = parseGoSum(readFileSync(path.join(universe.sampleDir, 'go.sum'), 'utf8'))
    const inputs = { 'cache-contents': 'everything' }
    const prefix = (await runAction({ ...inputs, proxies: (await proxies.start()).url, 'save-cache': 'false' }, {})).outputs['cache-key']?.replace(/[0-9a-f]{64}$/, '')
    await saveAs(service, modcache, `${prefix}marked`, [...savedPaths(lines, 'everything'), `${downloadBase('example.com/fixture/m002', 'v1.0.0')}.partial`])

    rmSync(modcache, { recursive: true, force: true })
    const run = await runAction({ ...inputs, proxies: (await proxies.start()).url }, { modcache, env: service.env })

    expect(run.failed, run.log).toBe(false)
    expect(run.log).toMatch(/Discarded example\.com\/fixture\/m002 v1\.0\.0 from the module cache: extracted tree does not match go\.sum/)
    expect(readFileSync(path.join(tree, 'm002.go'), 'utf8')).not.toContain('planted')
    expectComplete(modcache, universe.modules)
  })
})

describe('what a save carries', () => {
  it('only the module cache’s own files: not a hard link to a file outside that reads as an .info with more in it, nor files reached through a linked directory', async () => {
    const service = await services.start()
    const modcache = tempModcache()
    cpSync(complete.modcache, modcache, { recursive: true })
    const secret = `secret-${randomBytes(8).toString('hex')}`
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    // A file outside, which reads as an .info with something more in it.
    const info = JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z', Token: secret })
    writeFileSync(path.join(outside, 'token.json'), info)
    rmSync(path.join(downloadDir(modcache, m002), 'v1.0.0.info'))
    linkSync(path.join(outside, 'token.json'), path.join(downloadDir(modcache, m002), 'v1.0.0.info'))
    cpSync(downloadDir(modcache, m004), path.join(outside, 'm004'), { recursive: true })
    writeFileSync(path.join(outside, 'm004', 'v1.0.0.info'), info)
    rmSync(downloadDir(modcache, m004), { recursive: true })
    symlinkSync(path.join(outside, 'm004'), downloadDir(modcache, m004))

    const run = await runAction({ proxies: (await proxies.start()).url }, { modcache, env: service.env })

    expect(run.failed, run.log).toBe(false)
    expect(run.summary).toContain('saved')
    const [entry] = await service.entries()
    expect(entry).toBeDefined()
    const unpacked = mkdtempSync(path.join(os.tmpdir(), 'saved-'))
    execFileSync('tar', ['-xf', service.archiveFile(entry as NonNullable<typeof entry>), '-C', unpacked])
    expect(filesHolding(unpacked, secret)).toEqual([])
    const members = await service.archiveMembers(entry as NonNullable<typeof entry>)
    expect(members.filter(m => m.endsWith(path.relative(modcache, path.join(downloadDir(modcache, m002), 'v1.0.0.info'))))).toEqual([])
    // go itself writes an .info it reads anew, which makes the link a file of its own: what is in it still does not pass.
    expect(run.log).toMatch(/::warning::Not saved in the cache entry, not being the cache’s own: .*m002\/@v\/v1\.0\.0\.info \([^)]*(a hard link|what go does not write \(Token\))/)
    // The check removed the linked directory (the link, not what it points to) before go ran, and the
    // fetch wrote m004 anew into a real one: the entry holds the candidate's files, the outside is untouched.
    expect(lstatSync(downloadDir(modcache, m004)).isDirectory()).toBe(true)
    expect(members.filter(m => m.endsWith(path.relative(modcache, path.join(downloadDir(modcache, m004), 'v1.0.0.zip'))))).toHaveLength(1)
    expect(readFileSync(path.join(outside, 'm004', 'v1.0.0.info'), 'utf8')).toBe(info)
  })
})

/** Processes still running with this module cache in their environment, once they had `ms` to end. */
async function leftAfter(modcache: string, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms
  while (processesWithEnv(`GOMODCACHE=${modcache}`).length > 0 && Date.now() < deadline) await sleep(100)
  return processesWithEnv(`GOMODCACHE=${modcache}`)
}

describe('an interrupted transfer', () => {
  it('a restore that breaks off partway is reported failed, not a miss, and its key is not saved again', async () => {
    const service = await services.start()
    const modcache = tempModcache()
    const cold = await runAction({ proxies: (await proxies.start()).url }, { modcache, env: service.env })
    expect(cold.summary).toMatch(/\| saved, /)
    const front = await startCacheFront(service.env.ACTIONS_CACHE_URL as string, 'cut-download')
    fronts.push(front)

    rmSync(modcache, { recursive: true })
    const run = await runAction({ proxies: (await proxies.start()).url }, { modcache, env: front.env })

    expect(run.failed, run.log).toBe(false)
    expectComplete(modcache, universe.modules)
    expect(run.summary).toContain('⚠️ restore failed')
    expect(run.log).toMatch(new RegExp(`::warning::Cache restore of ${cold.outputs['cache-key']} failed: `, 'i'))
    expect(run.summary).toContain('not saved: an entry under this key exists (its restore failed)')
    expect(await service.entries()).toHaveLength(1)
  })

  it.each([
    ['restore', 'SIGTERM'],
    ['restore', 'SIGKILL'],
    ['save', 'SIGTERM'],
    ['save', 'SIGKILL']
  ] as const)('a %s cancelled mid-transfer (%s to the step) leaves no process, and the next run uses the cache at once', async (transfer, signal) => {
    const service = await services.start()
    const modcache = tempModcache()
    if (transfer === 'restore') {
      const cold = await runAction({ proxies: (await proxies.start()).url }, { modcache, env: service.env })
      expect(cold.summary).toMatch(/\| saved, /)
      rmSync(modcache, { recursive: true })
    }
    const front = await startCacheFront(service.env.ACTIONS_CACHE_URL as string, transfer === 'restore' ? 'hold-download' : 'hold-upload')
    fronts.push(front)
    let step: ChildProcess | undefined
    void front.faulted.then(() => step?.kill(signal))
    const cancelled = await runBundled(
      process.execPath,
      { 'working-directory': 'sample', ...QUICK, proxies: (await proxies.start()).url },
      path.dirname(universe.sampleDir),
      { ...offlineGoEnv(modcache), ...front.env },
      (_, child) => (step = child)
    )

    expect(cancelled.signal ?? cancelled.exitCode).toBe(signal === 'SIGKILL' ? 'SIGKILL' : 143)
    expect(await leftAfter(modcache, 5_000)).toEqual([])
    // Cancelled, the step releases the folder; killed outright, it cannot, and the next run tells.
    if (signal === 'SIGTERM') expect(existsSync(stagingOf(modcache))).toBe(false)
    const next = await runAction({ proxies: (await proxies.start()).url }, { modcache, env: service.env })
    expect(next.failed, next.log).toBe(false)
    expect(next.log).not.toContain('another job on this runner')
    if (transfer === 'restore') expect(next.outputs['cache-hit']).toBe('true')
    else expect(next.summary).toMatch(/\| saved, /)
    expect(existsSync(stagingOf(modcache))).toBe(false)
  })
})

describe('paths with a space and a non-ASCII letter', () => {
  it('in the workspace and the module cache: saved, then restored whole', async () => {
    const service = await services.start()
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'work space é-'))
    await writeSample(path.join(workspace, 'sample'), 'example.com/sample', universe.modules, universe.proxyDir)
    const modcache = mkdtempSync(path.join(os.tmpdir(), 'mod cache ü-'))
    const where = { workspace, modcache, env: service.env }
    const cold = await runAction({ 'working-directory': 'sample', proxies: (await proxies.start()).url }, where)
    expect(cold.summary, cold.log).toMatch(/\| saved, /)

    rmSync(modcache, { recursive: true })
    const server = await proxies.start()
    const warm = await runAction({ 'working-directory': 'sample', proxies: server.url }, where)

    expect(warm.failed, warm.log).toBe(false)
    expect(warm.outputs['cache-hit']).toBe('true')
    expect(server.requests).toEqual([])
    expectComplete(modcache, universe.modules)
  })
})
